// One live Session Manager session on the sandbox's data-channel server: the MGS part
// (websocket attach / "Bye" / publication bursts / idle and max-duration timeouts /
// fault injection / channel_closed) around the pure agent (ssm-agent.ts), bridged to a
// real TCP connection to the instance (its sshd for AWS-StartSSHSession). It survives
// websocket reconnects: the agent's sequence numbers and unacked buffer carry over (§13).
import { connect, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { encodeChannelClosed, encodeMessage, MessageType, PayloadType } from '../tunnel/ssm/message.js';
import type { SsmSession, World } from './world.js';
import { SsmAgent, type AgentEffect } from './ssm-agent.js';
import { FaultLine, seededRandom, type FaultRates } from './ssm-faults.js';

export interface Destination {
  host: string;
  port: number;
}

const RESEND_TICK_MS = 100; // §11.1
const PING_INTERVAL_MS = 54_000; // §4.5: the agent pings every 54 s
const REORDER_RELEASE_MS = 20; // a held (reordered) frame goes out at the latest after this
const READ_HIGH_WATER = 256 * 1024; // pause reading sshd beyond this many queued bytes

export class SsmLink {
  readonly agent: SsmAgent;
  private ws: WebSocket | undefined;
  private tcp: Socket | undefined;
  private tcpEnded = false; // the destination sent EOF; end the session once all is delivered
  private pending: Buffer[] = []; // bytes read from the destination, not yet sent
  private pendingBytes = 0;
  private pumping = false;
  private inboundPaused = false; // websocket reads stopped until sshd drains
  private paused = false; // publication paused towards the client
  private closed = false;
  readonly toClient: FaultLine<Buffer>;
  readonly toAgent: FaultLine<Buffer>;
  private readonly corruptRandom: () => number;
  corrupted = 0; // frames sent with a corrupted digest (ssmCorruptDigestRate)
  private readonly timers: NodeJS.Timeout[] = [];
  private wsTimers: NodeJS.Timeout[] = [];
  readonly log: string[] = [];

  constructor(
    private readonly world: World,
    readonly session: SsmSession,
    properties: Record<string, string>,
    private readonly destination: () => Destination | undefined,
    seed: number,
    private readonly onGone: () => void,
  ) {
    const k = world.knobs;
    this.agent = new SsmAgent({
      agentVersion: k.ssmAgentVersion,
      properties,
      handshakeTimeoutMs: k.ssmHandshakeTimeoutMs,
      checkDigest: k.ssmCheckDigest,
      resendAllExpired: k.ssmPacing === 'fast',
    });
    this.toClient = new FaultLine(seededRandom(seed));
    this.toAgent = new FaultLine(seededRandom(seed ^ 0x5bd1e995));
    this.corruptRandom = seededRandom(seed ^ 0x27d4eb2f);
    this.timers.push(setInterval(() => this.onTick(), RESEND_TICK_MS));
    this.timers.push(setInterval(() => this.ws?.readyState === 1 && this.ws.ping(), PING_INTERVAL_MS));
    const every = k.ssmPauseEverySeconds;
    if (every !== undefined) this.timers.push(setInterval(() => this.pauseBurst(), every * 1000));
  }

  // A websocket whose OpenDataChannel carried a valid token. The first one starts the
  // agent (HandshakeRequest); later ones replace the previous socket (ResumeSession).
  attach(ws: WebSocket): void {
    if (this.closed) {
      ws.close(1000, 'Bye');
      return;
    }
    const previous = this.ws;
    this.ws = ws;
    if (previous && previous.readyState === previous.OPEN) previous.close(1000, 'Bye');
    for (const t of this.wsTimers) clearTimeout(t);
    this.wsTimers = [];
    const bye = this.world.knobs.ssmByeEverySeconds;
    // §1 fact 9: MGS closes data channels periodically with 1000 "Bye".
    if (bye !== undefined) this.wsTimers.push(setTimeout(() => ws.close(1000, 'Bye'), bye * 1000));
    const drop = this.world.knobs.ssmDropSocketEverySeconds;
    if (drop !== undefined) this.wsTimers.push(setTimeout(() => ws.terminate(), drop * 1000));
    if (this.inboundPaused) ws.pause();
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      if (!isBinary) return; // frames other than binary after OpenDataChannel are dropped (§4.5)
      this.fromClient(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]));
    });
    ws.on('close', () => {
      if (this.ws === ws) this.ws = undefined;
    });
    this.apply(this.agent.start(Date.now()));
  }

  // Ends the session from outside (TerminateSession API): channel_closed, then close.
  terminate(output: string): void {
    this.finish(output, 'Terminated');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private rates(direction: 'to-client' | 'to-agent'): FaultRates {
    const k = this.world.knobs;
    const on = k.ssmFaultDirection === 'both' || k.ssmFaultDirection === direction;
    return on ? { drop: k.ssmDropRate, duplicate: k.ssmDuplicateRate, reorder: k.ssmReorderRate } : { drop: 0, duplicate: 0, reorder: 0 };
  }

  private fromClient(frame: Buffer): void {
    const type = frame.length >= 36 ? frame.toString('latin1', 4, 36).replace(/\0+$/, '').trim() : '';
    if (type === MessageType.InputStreamData) {
      // Choice: while publication is paused the client's stream data is not forwarded.
      if (this.paused) return;
      this.session.lastActivity = this.world.clock.now(); // §14: client input resets idle
    }
    for (const f of this.toAgent.pass(frame, this.rates('to-agent'))) this.apply(this.agent.receive(f, Date.now()));
    if (this.toAgent.holding) setTimeout(() => this.releaseHeld(this.toAgent, true), REORDER_RELEASE_MS);
    this.schedulePump();
  }

  private toClientFrame(frame: Buffer): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) return; // lost; the agent retransmits
    const k = this.world.knobs;
    const type = frame.toString('latin1', 4, 36).trim();
    if (type === MessageType.Acknowledge && k.ssmAckDelayMs > 0) {
      setTimeout(() => this.ws === ws && ws.readyState === ws.OPEN && ws.send(frame, { binary: true }), k.ssmAckDelayMs);
      return;
    }
    let out = frame;
    if (type === MessageType.OutputStreamData && k.ssmCorruptDigestRate > 0 && this.corruptRandom() < k.ssmCorruptDigestRate) {
      out = Buffer.from(frame); // the stored frame stays intact for retransmission
      out[80] = out[80]! ^ 0xff;
      this.corrupted++;
    }
    for (const f of this.toClient.pass(out, this.rates('to-client'))) ws.send(f, { binary: true });
    if (this.toClient.holding) setTimeout(() => this.releaseHeld(this.toClient, false), REORDER_RELEASE_MS);
  }

  private releaseHeld(line: FaultLine<Buffer>, toAgent: boolean): void {
    for (const f of line.release()) {
      if (toAgent) this.apply(this.agent.receive(f, Date.now()));
      else if (this.ws && this.ws.readyState === this.ws.OPEN) this.ws.send(f, { binary: true });
    }
  }

  private apply(effects: AgentEffect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'send':
          this.toClientFrame(effect.frame);
          break;
        case 'tcp-connect':
          this.dial();
          break;
        case 'tcp-write':
          this.writeTcp(effect.data);
          break;
        case 'tcp-close':
          this.dropTcp();
          break;
        case 'end':
          this.finish(effect.output, 'Terminated');
          break;
        case 'log':
          if (this.log.length < 1000) this.log.push(effect.message);
          break;
      }
    }
  }

  private dial(): void {
    const destination = this.destination();
    if (!destination) {
      this.apply(this.agent.tcpFailed(Date.now(), `Unable to start the port session: the destination is not reachable.`));
      return;
    }
    const socket = connect({ host: destination.host, port: destination.port });
    this.tcp = socket;
    this.tcpEnded = false;
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      if (this.tcp === socket) this.apply(this.agent.tcpConnected(Date.now()));
    });
    socket.on('data', (chunk: Buffer) => {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes > READ_HIGH_WATER) socket.pause();
      this.schedulePump();
    });
    socket.on('error', (error) => {
      if (this.tcp !== socket) return;
      this.tcp = undefined;
      if (connected) this.tcpEnded = true;
      else this.apply(this.agent.tcpFailed(Date.now(), `Unable to connect to the destination: ${error.message}`));
      this.maybeEndAfterEof();
    });
    socket.on('close', () => {
      if (this.tcp !== socket) return;
      this.tcp = undefined;
      this.tcpEnded = true;
      this.maybeEndAfterEof();
    });
  }

  // The real agent's write blocks while sshd is slow; here the websocket stops being read
  // until the socket drains, so memory stays bounded whatever the client sends.
  private writeTcp(data: Uint8Array): void {
    const socket = this.tcp;
    if (!socket || socket.write(data) || this.inboundPaused) return;
    this.inboundPaused = true;
    this.ws?.pause();
    const resume = () => {
      this.inboundPaused = false;
      this.ws?.resume();
    };
    socket.once('drain', resume);
    socket.once('close', resume);
  }

  // DisconnectToPort: close quietly; the agent redials on the next Output.
  private dropTcp(): void {
    const socket = this.tcp;
    this.tcp = undefined;
    this.pending = [];
    this.pendingBytes = 0;
    socket?.destroy();
  }

  // §10.1: on TCP EOF the SSH session ends, once everything read has reached the client.
  private maybeEndAfterEof(): void {
    if (!this.tcpEnded || this.closed || this.pendingBytes > 0 || this.agent.unacked > 0) return;
    this.apply(this.agent.tcpClosed(Date.now(), ''));
  }

  private schedulePump(): void {
    if (this.pumping || this.pendingBytes === 0) {
      this.maybeEndAfterEof();
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.pendingBytes > 0 && this.agent.canSend && !this.closed && !this.paused) this.schedulePump();
      else this.maybeEndAfterEof();
    });
  }

  // §18: faithful = ≤ 1024-byte reads, one message each, then a 1 ms sleep.
  private async pump(): Promise<void> {
    let sinceYield = 0;
    // While publication is paused the agent side is "inactive": it reads nothing more.
    while (this.pendingBytes > 0 && this.agent.canSend && !this.closed && !this.paused) {
      const faithful = this.world.knobs.ssmPacing === 'faithful';
      const size = faithful ? this.world.knobs.ssmChunkSize : this.world.knobs.ssmFastChunkSize;
      const piece = this.take(size);
      this.apply(this.agent.sendOutput(piece, Date.now()));
      if (this.pendingBytes <= READ_HIGH_WATER / 2) this.tcp?.resume();
      if (faithful) await new Promise((r) => setTimeout(r, 1));
      else if (++sinceYield >= 16) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  private take(size: number): Buffer {
    const parts: Buffer[] = [];
    let need = size;
    while (need > 0 && this.pending.length > 0) {
      const head = this.pending[0]!;
      if (head.length <= need) {
        parts.push(head);
        this.pending.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        this.pending[0] = head.subarray(need);
        need = 0;
      }
    }
    const piece = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.pendingBytes -= piece.length;
    return piece;
  }

  private onTick(): void {
    const now = this.world.clock.now();
    const k = this.world.knobs;
    if (now - this.session.lastActivity > k.ssmIdleTimeoutSeconds * 1000) {
      this.finish(`Session ${this.session.sessionId} timed out due to inactivity.`, 'TimedOut');
      return;
    }
    if (k.ssmMaxSessionSeconds !== undefined && now - this.session.startDate.getTime() > k.ssmMaxSessionSeconds * 1000) {
      this.finish(`Session ${this.session.sessionId} reached its maximum duration.`, 'TimedOut');
      return;
    }
    if (this.paused) return; // §12: nothing is sent or resent while paused
    this.apply(this.agent.tick(Date.now()));
    this.schedulePump();
  }

  // MGS pause_publication … start_publication burst (§6, §12).
  private pauseBurst(): void {
    if (this.closed || this.paused) return;
    this.paused = true;
    this.sendControl(MessageType.PausePublication, new Uint8Array(0));
    this.timers.push(
      setTimeout(() => {
        this.paused = false;
        this.sendControl(MessageType.StartPublication, new Uint8Array(0));
        this.schedulePump();
      }, this.world.knobs.ssmPauseForMs),
    );
  }

  // MGS's own messages (not sequenced, not acked, never faulted).
  private sendControl(messageType: string, payload: Uint8Array, messageId = randomUUID()): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) return;
    const frame = encodeMessage({
      messageType,
      schemaVersion: 1,
      createdDate: Date.now(),
      sequenceNumber: 0,
      flags: 0,
      messageId,
      payloadType: PayloadType.None,
      payload,
    });
    ws.send(frame, { binary: true });
  }

  // §6: channel_closed with the reason as Output, then close everything.
  private finish(output: string, status: SsmSession['status']): void {
    if (this.closed) return;
    this.closed = true;
    this.agent.stop();
    if (this.session.status === 'Connected') this.session.status = status;
    this.session.tokens.clear();
    const messageId = randomUUID();
    this.sendControl(
      MessageType.ChannelClosed,
      encodeChannelClosed({
        MessageId: messageId,
        CreatedDate: new Date().toISOString(),
        DestinationId: this.session.target,
        SessionId: this.session.sessionId,
        MessageType: MessageType.ChannelClosed,
        SchemaVersion: 1,
        Output: output,
      }),
      messageId,
    );
    for (const t of [...this.timers, ...this.wsTimers]) clearTimeout(t);
    this.ws?.close(1000, '');
    this.tcp?.destroy();
    this.tcp = undefined;
    this.onGone();
  }

  // Server shutdown: no channel_closed, just drop everything.
  destroy(): void {
    this.closed = true;
    this.agent.stop();
    for (const t of [...this.timers, ...this.wsTimers]) clearTimeout(t);
    this.ws?.terminate();
    this.tcp?.destroy();
  }
}
