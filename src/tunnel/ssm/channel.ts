// The client side of an SSM port session as a state machine with no I/O (ssm.md §2,
// §9, §10.1, §14): it answers the agent's handshake (SessionType Port, a deliberate
// ClientVersion, Unsupported for anything else), holds data until HandshakeComplete,
// then carries the SSH byte stream as Output payloads in chunks, over the reliable
// layer (reliable.ts). stream.ts adds the websocket, timers and the Duplex.
import { randomUUID } from 'node:crypto';
import { EicError } from '../../errors.js';
import { encodeFlag, parseChannelClosed, parseFlag } from './control-payloads.js';
import {
  ActionStatus,
  encodeHandshakeResponse,
  parseHandshakeComplete,
  parseHandshakeRequest,
  type ProcessedClientAction,
} from './handshake-payloads.js';
import { MessageType, PayloadType, PayloadTypeFlag, type ClientMessage } from './message.js';
import { ReliableChannel } from './reliable.js';

// §9.4 (choice): the documented minimum plugin version, above 1.2.331.0; in one place.
export const CLIENT_VERSION = '1.2.764.0';
// §10.1: chunk size configurable, default 1024 like both official sides.
export const DEFAULT_CHUNK_SIZE = 1024;

export type ChannelState = 'handshaking' | 'open' | 'closed';

export interface ClientChannelEvents {
  // Bytes for the websocket (binary frames).
  emit(frame: Buffer): void;
  // HandshakeComplete arrived; customerMessage is shown on stderr when non-empty (§9.3).
  open(info: { agentVersion: string; customerMessage: string }): void;
  // SSH bytes from the instance, in order, exactly once.
  data(bytes: Uint8Array): void;
  // The send window has room again (back-pressure released).
  drain(): void;
  // channel_closed (§6): the session ended; output is the service's text, if any.
  closed(output: string): void;
  // A fatal protocol or handshake failure.
  error(error: EicError): void;
  // Diagnostics for -v (never secrets).
  log?(line: string): void;
}

export interface ClientChannelOptions {
  now(): number;
  newId?(): string;
  chunkSize?: number;
  maxInFlight?: number;
  clientVersion?: string;
  canDeliver?(): boolean;
}

export class SsmClientChannel {
  private readonly events: ClientChannelEvents;
  private readonly reliable: ReliableChannel;
  private readonly chunkSize: number;
  private readonly clientVersion: string;
  private stateValue: ChannelState = 'handshaking';
  private agentVersionValue = '';
  // Data written before HandshakeComplete waits here (§9.3: it would be discarded).
  private readonly early: Uint8Array[] = [];

  constructor(events: ClientChannelEvents, options: ClientChannelOptions) {
    this.events = events;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.clientVersion = options.clientVersion ?? CLIENT_VERSION;
    this.reliable = new ReliableChannel({
      sendType: MessageType.InputStreamData,
      now: options.now,
      newId: options.newId ?? randomUUID,
      emit: (frame) => events.emit(frame),
      deliver: (message) => this.onMessage(message),
      control: (message) => this.onControl(message),
      drain: () => events.drain(),
      canDeliver: options.canDeliver,
      badFrame: (error) => events.log?.(`ssm: dropped an unreadable frame: ${(error as Error).message}`),
      maxInFlight: options.maxInFlight,
    });
  }

  get state(): ChannelState {
    return this.stateValue;
  }
  get agentVersion(): string {
    return this.agentVersionValue;
  }
  get stats(): ReliableChannel['stats'] {
    return this.reliable.stats;
  }
  get layer(): ReliableChannel {
    return this.reliable;
  }

  receive(frame: Uint8Array): void {
    if (this.stateValue === 'closed') return;
    this.reliable.receive(frame);
  }

  // SSH bytes to the instance. Returns false when the caller should wait for drain().
  write(bytes: Uint8Array): boolean {
    if (this.stateValue === 'closed') return true;
    if (this.stateValue === 'handshaking') {
      this.early.push(bytes);
      return false;
    }
    this.sendChunks(bytes);
    return this.reliable.hasRoom();
  }

  hasRoom(): boolean {
    return this.stateValue === 'open' && this.reliable.hasRoom();
  }

  tick(): void {
    this.reliable.tick();
  }

  nextDeadline(): number | undefined {
    return this.reliable.nextDeadline();
  }

  linkDown(): void {
    this.reliable.linkDown();
  }

  linkRestored(): void {
    this.reliable.linkRestored();
  }

  resumeDelivery(): void {
    this.reliable.resumeDelivery();
  }

  // §7/§14: the graceful end. Sent as a sequenced Flag message; the caller also calls
  // the TerminateSession API, since the flag is lost if the socket is already gone.
  terminate(): void {
    if (this.stateValue === 'closed') return;
    this.reliable.send(PayloadType.Flag, encodeFlag(PayloadTypeFlag.TerminateSession));
    this.stateValue = 'closed';
  }

  // Everything written has been acknowledged by the agent.
  get allAcked(): boolean {
    return this.reliable.unacked === 0;
  }

  private sendChunks(bytes: Uint8Array): void {
    // Never rewrite bytes (§17 #3); slice, do not copy-and-modify.
    for (let offset = 0; offset < bytes.length; offset += this.chunkSize) {
      this.reliable.send(PayloadType.Output, bytes.subarray(offset, Math.min(bytes.length, offset + this.chunkSize)));
    }
  }

  private onMessage(message: ClientMessage): void {
    switch (message.payloadType) {
      case PayloadType.Output:
        if (this.stateValue === 'open') this.events.data(message.payload);
        else this.events.log?.(`ssm: ignored ${message.payload.length} output bytes before HandshakeComplete`);
        return;
      case PayloadType.HandshakeRequest:
        this.onHandshakeRequest(message.payload);
        return;
      case PayloadType.HandshakeComplete:
        this.onHandshakeComplete(message.payload);
        return;
      case PayloadType.Flag: {
        const flag = parseFlag(message.payload);
        if (flag === PayloadTypeFlag.ConnectToPortError) {
          this.fail('SSM_SESSION', 'the SSM agent could not connect to the SSH port on the instance', 'check that sshd runs on the instance and listens on the port');
        } else {
          this.events.log?.(`ssm: ignored flag ${flag}`);
        }
        return;
      }
      case PayloadType.EncChallengeRequest:
        this.fail('SSM_PROTOCOL', 'the SSM agent asked for KMS encryption, which eic-ssh refused', 'port sessions are never KMS-encrypted (ssm.md §15); check the session preferences');
        return;
      default:
        this.events.log?.(`ssm: ignored payload type ${message.payloadType}`);
    }
  }

  // §9.2: answer every requested action; Success only for SessionType Port.
  private onHandshakeRequest(payload: Uint8Array): void {
    let request;
    try {
      request = parseHandshakeRequest(payload);
    } catch (error) {
      this.fail('SSM_PROTOCOL', (error as Error).message, 'retry, or use --via eice/direct');
      return;
    }
    this.agentVersionValue = request.AgentVersion;
    const processed: ProcessedClientAction[] = request.RequestedClientActions.map((action) => {
      if (action.ActionType === 'SessionType') {
        const sessionType = (action.ActionParameters as { SessionType?: unknown } | null)?.SessionType;
        if (sessionType === 'Port') return { ActionType: action.ActionType, ActionStatus: ActionStatus.Success, ActionResult: null, Error: '' };
        return { ActionType: action.ActionType, ActionStatus: ActionStatus.Failed, ActionResult: null, Error: `eic-ssh supports only Port sessions, not ${String(sessionType)}` };
      }
      // §17 #7: ActionStatus (not ActionResult) = 3 for what we do not implement (KMS, …).
      return { ActionType: action.ActionType, ActionStatus: ActionStatus.Unsupported, ActionResult: null, Error: `eic-ssh does not support ${action.ActionType}` };
    });
    this.reliable.send(
      PayloadType.HandshakeResponse,
      encodeHandshakeResponse({ ClientVersion: this.clientVersion, ProcessedClientActions: processed, Errors: null }),
    );
    const refused = processed.filter((a) => a.ActionStatus !== ActionStatus.Success);
    if (refused.length > 0) {
      this.fail('SSM_SESSION', `the SSM session asked for what eic-ssh cannot do: ${refused.map((a) => a.Error).join('; ')}`, 'use the AWS-StartSSHSession document (port sessions)');
    }
  }

  private onHandshakeComplete(payload: Uint8Array): void {
    if (this.stateValue !== 'handshaking') return;
    const complete = parseHandshakeComplete(payload);
    this.stateValue = 'open';
    this.events.open({ agentVersion: this.agentVersionValue, customerMessage: complete.CustomerMessage });
    const early = this.early.splice(0);
    for (const bytes of early) this.sendChunks(bytes);
    if (this.reliable.hasRoom()) this.events.drain();
  }

  private onControl(message: ClientMessage): void {
    if (message.messageType === MessageType.ChannelClosed) {
      let output = '';
      try {
        output = parseChannelClosed(message.payload).Output;
      } catch {
        // an unreadable payload still ends the session
      }
      this.stateValue = 'closed';
      this.events.closed(output);
      return;
    }
    this.events.log?.(`ssm: ignored message type ${message.messageType}`);
  }

  private fail(code: 'SSM_PROTOCOL' | 'SSM_SESSION', message: string, hint: string): void {
    this.stateValue = 'closed';
    this.events.error(new EicError(code, message, { hint }));
  }
}
