// One live Session Manager session on the sandbox's data-channel server: the MGS part
// (websocket attach / "Bye" / publication bursts / idle and max-duration timeouts /
// fault injection / channel_closed) around the pure agent (ssm-agent.ts), bridged to a
// real TCP connection to the instance (its sshd for AWS-StartSSHSession; that side is
// ssm-link-destination.ts). It survives websocket reconnects: the agent's sequence
// numbers and unacked buffer carry over (§13).
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { encodeChannelClosed } from '../tunnel/ssm/control-payloads.js';
import { encodeMessage, MessageType, PayloadType } from '../tunnel/ssm/message.js';
import type { SsmSession, World } from './world.js';
import { SsmAgent, type AgentEffect } from './ssm-agent.js';
import { FaultLine, seededRandom, type FaultRates } from './ssm-faults.js';
import { DestinationBridge, type Destination } from './ssm-link-destination.js';

export type { Destination } from './ssm-link-destination.js';

const RESEND_TICK_MS = 100; // §11.1
const PING_INTERVAL_MS = 54_000; // §4.5: the agent pings every 54 s
const REORDER_RELEASE_MS = 20; // a held (reordered) frame goes out at the latest after this

export class SsmLink {
  readonly agent: SsmAgent;
  private ws: WebSocket | undefined;
  private readonly tcp: DestinationBridge;
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
    destination: () => Destination | undefined,
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
    this.tcp = new DestinationBridge({
      world,
      agent: this.agent,
      destination,
      apply: (effects) => this.apply(effects),
      isClosed: () => this.closed,
      isPaused: () => this.paused,
      pauseInbound: () => this.ws?.pause(),
      resumeInbound: () => this.ws?.resume(),
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
    if (this.tcp.inboundPaused) ws.pause();
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
    this.tcp.schedulePump();
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
          this.tcp.dial();
          break;
        case 'tcp-write':
          this.tcp.write(effect.data);
          break;
        case 'tcp-close':
          this.tcp.drop();
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
    this.tcp.schedulePump();
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
        this.tcp.schedulePump();
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
    this.tcp.close();
    this.onGone();
  }

  // Server shutdown: no channel_closed, just drop everything.
  destroy(): void {
    this.closed = true;
    this.agent.stop();
    for (const t of [...this.timers, ...this.wsTimers]) clearTimeout(t);
    this.ws?.terminate();
    this.tcp.destroy();
  }
}
