// The SSM Agent's side of one Session Manager port session (basic mode), as a state
// machine with no I/O: frames and TCP events in, effects out (send a frame, dial / write
// / close the TCP connection to the instance's sshd, end the session). ssm-server.ts
// runs it against a websocket and a socket. It follows the *agent* rules of ssm.md:
// handshake with a timeout (§9; what is asked and accepted is in ssm-agent-handshake.ts),
// acks per the agent column of §8.2, an out-of-order buffer, and retransmission with the
// estimator of §11.3 (LastSentTime updated on every resend, unlimited attempts; the
// unacked frames and the RTO are kept by ssm-agent-retransmit.ts). It is independent of
// the client's channel (src/tunnel).
import { randomUUID } from 'node:crypto';
import { makeAcknowledge, parseAcknowledgeContent, parseFlag } from '../tunnel/ssm/control-payloads.js';
import {
  decodeMessage,
  encodeMessage,
  FLAG_SYN,
  MessageType,
  PayloadType,
  PayloadTypeFlag,
  SCHEMA_VERSION,
  type ClientMessage,
} from '../tunnel/ssm/message.js';
import { HANDSHAKE_TIMEOUT_OUTPUT, handshakeCompletePayload, handshakeRequestPayload, judgeHandshakeResponse } from './ssm-agent-handshake.js';
import { RetransmitBuffer } from './ssm-agent-retransmit.js';

export { compareVersions, HANDSHAKE_TIMEOUT_OUTPUT } from './ssm-agent-handshake.js';

export interface AgentOptions {
  agentVersion: string;
  // The HandshakeRequest's SessionType Properties (§9.1), e.g. { portNumber: '22' }.
  properties: Record<string, string>;
  handshakeTimeoutMs: number; // §9.2: 15 s
  checkDigest: boolean; // §5.2: the real agent does not; the sandbox does by default
  // false (faithful): resend only the oldest expired message per tick, as the agent
  // does (§11.3); true: every expired message.
  resendAllExpired: boolean;
  incomingLimit?: number; // §11.1: 100,000
  outgoingLimit?: number; // §11.1: 100,000
  newId?: () => string;
}

export type AgentEffect =
  | { type: 'send'; frame: Buffer } // a binary frame for the client
  | { type: 'tcp-connect' } // dial the session's destination (§10.1)
  | { type: 'tcp-write'; data: Uint8Array }
  | { type: 'tcp-close' } // DisconnectToPort (§7)
  | { type: 'end'; output: string } // session over: MGS sends channel_closed with this Output
  | { type: 'log'; message: string };

export class SsmAgent {
  private phase: 'new' | 'handshake' | 'open' | 'ended' = 'new';
  private tcp: 'none' | 'connecting' | 'connected' = 'none';
  private handshakeStartedAt = 0;
  private expectedSequence = 0; // next client sequence number to process
  private nextSequence = 0; // our next output_stream_data sequence number
  private readonly incoming = new Map<number, ClientMessage>(); // acked, waiting for their turn
  private readonly outgoing = new RetransmitBuffer(); // sent, not yet acked (in seq order)
  private readonly newId: () => string;
  private effects: AgentEffect[] = [];
  clientVersion?: string;

  constructor(private readonly options: AgentOptions) {
    this.newId = options.newId ?? randomUUID;
  }

  get ended(): boolean {
    return this.phase === 'ended';
  }
  get handshakeComplete(): boolean {
    return this.phase === 'open';
  }
  // Unacked output messages; the adapter stops reading sshd when this reaches the limit.
  get unacked(): number {
    return this.outgoing.size;
  }
  get canSend(): boolean {
    return this.phase === 'open' && this.outgoing.size < (this.options.outgoingLimit ?? 100_000);
  }
  get retransmissionTimeoutMs(): number {
    return this.outgoing.retransmissionTimeoutMs;
  }

  // §9.1: the agent opens with HandshakeRequest, seq 0, flags SYN.
  start(now: number): AgentEffect[] {
    if (this.phase !== 'new') return [];
    this.phase = 'handshake';
    this.handshakeStartedAt = now;
    const request = handshakeRequestPayload(this.options.agentVersion, this.options.properties);
    this.sendStream(PayloadType.HandshakeRequest, request, now, FLAG_SYN);
    return this.flush();
  }

  // One binary frame from the client.
  receive(frame: Uint8Array, now: number): AgentEffect[] {
    if (this.phase === 'ended') return [];
    let message: ClientMessage;
    try {
      message = decodeMessage(frame, { checkDigest: this.options.checkDigest });
    } catch (error) {
      // Unreadable: dropped without an ack, so a correct sender retransmits it.
      this.log(`dropped unreadable message: ${(error as Error).message}`);
      return this.flush();
    }
    if (message.messageType === MessageType.Acknowledge) this.onAcknowledge(message, now);
    else if (message.messageType === MessageType.InputStreamData) this.onStreamData(message, now);
    else this.log(`ignored ${message.messageType}`);
    return this.flush();
  }

  // The TCP connection to the destination exists: data may now be acked (§8.2).
  tcpConnected(now: number): AgentEffect[] {
    if (this.phase !== 'open') return [];
    this.tcp = 'connected';
    this.drain(now);
    return this.flush();
  }

  // The destination closed (or could not be dialled). §10.1: for SSH the agent ends the
  // session; for LocalPortForwarding documents it redials on the next Output message.
  tcpClosed(_now: number, reason: string): AgentEffect[] {
    if (this.phase === 'ended') return [];
    this.tcp = 'none';
    if (this.options.properties.type !== 'LocalPortForwarding') this.end(reason);
    return this.flush();
  }

  // The destination could not be dialled: in basic mode that fails the session (§7).
  tcpFailed(_now: number, reason: string): AgentEffect[] {
    this.end(reason);
    return this.flush();
  }

  // Bytes read from the destination, as one Output message (the adapter chunks them).
  sendOutput(data: Uint8Array, now: number): AgentEffect[] {
    if (this.phase !== 'open') return [];
    this.sendStream(PayloadType.Output, data, now, 0);
    return this.flush();
  }

  // Called every 100 ms (§11.1 resend interval): handshake timeout and retransmission.
  tick(now: number): AgentEffect[] {
    if (this.phase === 'handshake' && now - this.handshakeStartedAt >= this.options.handshakeTimeoutMs) {
      this.end(HANDSHAKE_TIMEOUT_OUTPUT);
      return this.flush();
    }
    if (this.phase === 'ended') return [];
    for (const frame of this.outgoing.due(now, this.options.resendAllExpired)) this.effects.push({ type: 'send', frame });
    return this.flush();
  }

  // Every unacked frame, oldest first (after a reconnect the adapter may resend at once).
  unackedFrames(): Buffer[] {
    return this.outgoing.frames();
  }

  // The session ends from outside (TerminateSession, timeouts): no more effects.
  stop(): void {
    this.phase = 'ended';
  }

  private onAcknowledge(message: ClientMessage, now: number): void {
    let sequence: number;
    try {
      sequence = parseAcknowledgeContent(message.payload).AcknowledgedMessageSequenceNumber;
    } catch (error) {
      this.log(`ignored bad acknowledge: ${(error as Error).message}`);
      return;
    }
    this.outgoing.acknowledge(sequence, now); // §8.1: matched by sequence number only
  }

  // §8.2, agent column.
  private onStreamData(message: ClientMessage, now: number): void {
    const seq = message.sequenceNumber;
    if (seq < this.expectedSequence) {
      this.ack(message, now); // duplicate: re-ack ("Resending acknowledge for already processed message")
      return;
    }
    if (seq > this.expectedSequence) {
      if (this.incoming.has(seq)) this.ack(message, now);
      else if (this.incoming.size < (this.options.incomingLimit ?? 100_000)) {
        this.ack(message, now);
        this.incoming.set(seq, message);
      }
      return;
    }
    if (this.needsTcp(message) && this.tcp !== 'connected') {
      // ErrHandlerNotReady: dropped without ack; the client resends.
      this.requestDial();
      return;
    }
    this.ack(message, now);
    this.process(message, now);
    this.expectedSequence++;
    this.drain(now);
  }

  // Buffered messages were acked on arrival; process them in order while possible.
  private drain(now: number): void {
    for (;;) {
      const next = this.incoming.get(this.expectedSequence);
      if (!next || this.phase === 'ended') return;
      if (this.needsTcp(next) && this.tcp !== 'connected') {
        this.requestDial();
        return;
      }
      this.incoming.delete(this.expectedSequence);
      this.process(next, now);
      this.expectedSequence++;
    }
  }

  // Only Output after the handshake goes to the TCP connection.
  private needsTcp(message: ClientMessage): boolean {
    return this.phase === 'open' && message.payloadType === PayloadType.Output;
  }

  private requestDial(): void {
    if (this.tcp !== 'none') return;
    this.tcp = 'connecting';
    this.effects.push({ type: 'tcp-connect' });
  }

  private process(message: ClientMessage, now: number): void {
    if (this.phase === 'handshake') {
      if (message.payloadType === PayloadType.HandshakeResponse) this.onHandshakeResponse(message, now);
      else this.log(`discarded ${message.payloadType === PayloadType.Output ? 'data' : `payload type ${message.payloadType}`} before HandshakeComplete (seq ${message.sequenceNumber})`);
      return;
    }
    switch (message.payloadType) {
      case PayloadType.Output:
        this.effects.push({ type: 'tcp-write', data: message.payload });
        return;
      case PayloadType.Flag:
        this.onFlag(message);
        return;
      default:
        this.log(`ignored payload type ${message.payloadType} (seq ${message.sequenceNumber})`);
    }
  }

  private onFlag(message: ClientMessage): void {
    let flag: number;
    try {
      flag = parseFlag(message.payload);
    } catch (error) {
      this.log((error as Error).message);
      return;
    }
    if (flag === PayloadTypeFlag.TerminateSession) this.end('');
    else if (flag === PayloadTypeFlag.DisconnectToPort && this.tcp !== 'none') {
      this.tcp = 'none'; // §7: close now, redial on the next Output
      this.effects.push({ type: 'tcp-close' });
    }
  }

  // §9.2: a failed or unreadable answer ends the session; a good one gets HandshakeComplete.
  private onHandshakeResponse(message: ClientMessage, now: number): void {
    const verdict = judgeHandshakeResponse(message.payload, this.options.properties);
    if (verdict.clientVersion !== undefined) this.clientVersion = verdict.clientVersion;
    if (verdict.failure !== undefined) {
      this.end(verdict.failure);
      return;
    }
    this.sendStream(PayloadType.HandshakeComplete, handshakeCompletePayload(this.handshakeStartedAt, now), now, 0);
    this.phase = 'open';
    // §10.1: the port plugin dials when the session initialises.
    this.requestDial();
  }

  private ack(message: ClientMessage, now: number): void {
    this.effects.push({ type: 'send', frame: encodeMessage(makeAcknowledge(message, this.newId(), now)) });
  }

  private sendStream(payloadType: number, payload: Uint8Array, now: number, flags: number): void {
    const sequenceNumber = this.nextSequence++;
    const frame = encodeMessage({
      messageType: MessageType.OutputStreamData,
      schemaVersion: SCHEMA_VERSION,
      createdDate: now,
      sequenceNumber,
      flags,
      messageId: this.newId(),
      payloadType,
      payload,
    });
    this.outgoing.add(sequenceNumber, frame, now);
    this.effects.push({ type: 'send', frame });
  }

  private end(output: string): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.effects.push({ type: 'end', output });
  }

  private log(message: string): void {
    this.effects.push({ type: 'log', message });
  }

  private flush(): AgentEffect[] {
    const out = this.effects;
    this.effects = [];
    return out;
  }
}
