// The reliability layer of the SSM data channel (ssm.md §8, §11, §12) as a state
// machine with no I/O: frames in, frames and delivered messages out, time from an
// injected clock. It fixes the official client's bugs (§17): the send time is updated
// on resend and retransmitted messages give no RTT sample (Karn, quirk 4); duplicates
// are re-acked (quirk 6); unacknowledged data is never dropped: a bounded in-flight
// window applies back-pressure instead (quirk 5); every expired message is resent,
// not only the oldest (quirk 11), backing the timer off on timeouts; no per-chunk sleep (quirk 12); pause_publication is
// honoured (quirk 10). Both directions use it: the client sends input_stream_data,
// the property tests also run one as the agent (output_stream_data).
import { makeAcknowledge, parseAcknowledgeContent } from './control-payloads.js';
import {
  decodeMessage,
  encodeMessage,
  isStreamData,
  MessageType,
  SCHEMA_VERSION,
  type ClientMessage,
} from './message.js';

// §11.1 / §11.3 constants (shared by client and agent).
export const INITIAL_RTO_MS = 200;
export const INITIAL_SRTT_MS = 100;
export const CLOCK_GRANULARITY_MS = 10;
export const MAX_RTO_MS = 1000;
const ALPHA = 1 / 8;
const BETA = 1 / 4;

export interface ReliableOptions {
  sendType: typeof MessageType.InputStreamData | typeof MessageType.OutputStreamData;
  now(): number;
  newId(): string;
  // Bytes for the wire; only called while the link is up.
  emit(frame: Buffer): void;
  // In-order stream messages of the other direction, each exactly once.
  deliver(message: ClientMessage): void;
  // Non-stream messages other than acks (channel_closed, …).
  control(message: ClientMessage): void;
  // Room opened up in the send window after back-pressure.
  drain(): void;
  // The local consumer accepts more (false = receive back-pressure: stop acking, §8.2).
  canDeliver?(): boolean;
  // A frame that failed to decode: treated as lost (the peer resends it).
  badFrame?(error: unknown): void;
  maxInFlight?: number; // messages sent but not acked (default 256)
  maxIncoming?: number; // out-of-order buffer (default 10,000 as the official client)
  checkDigest?: boolean;
}

interface Outgoing {
  message: ClientMessage;
  frame: Buffer;
  lastSent: number;
  retransmitted: boolean;
}

export class ReliableChannel {
  private readonly o: ReliableOptions;
  private readonly receiveType: string;
  private readonly maxInFlight: number;
  private readonly maxIncoming: number;
  private readonly inFlight = new Map<number, Outgoing>();
  private readonly pending: { payloadType: number; payload: Uint8Array; flags: number }[] = [];
  private readonly incoming = new Map<number, ClientMessage>();
  private nextSeq = 0;
  private expected = 0;
  private srtt = INITIAL_SRTT_MS;
  private rttvar = 0;
  private rtoMs = INITIAL_RTO_MS;
  private paused = false;
  private linkUp = true;
  readonly stats = { sent: 0, resent: 0, received: 0, duplicates: 0, buffered: 0, badFrames: 0, refused: 0 };

  constructor(options: ReliableOptions) {
    this.o = options;
    this.receiveType = options.sendType === MessageType.InputStreamData ? MessageType.OutputStreamData : MessageType.InputStreamData;
    this.maxInFlight = options.maxInFlight ?? 256;
    this.maxIncoming = options.maxIncoming ?? 10_000;
  }

  get rto(): number {
    return this.rtoMs;
  }
  get isPaused(): boolean {
    return this.paused;
  }
  get unacked(): number {
    return this.inFlight.size + this.pending.length;
  }
  // Messages acked and held in the out-of-order buffer, not yet delivered.
  get buffered(): number {
    return this.incoming.size;
  }
  // True when the sender may queue more: the window is not full and nothing waits.
  hasRoom(): boolean {
    return this.pending.length === 0 && this.inFlight.size < this.maxInFlight;
  }

  // Queue one sequenced message (payload chunking is the caller's: never rewritten).
  send(payloadType: number, payload: Uint8Array, flags = 0): void {
    this.pending.push({ payloadType, payload, flags });
    this.pump();
  }

  // The websocket went away: keep every unacked message (§13: state carries over).
  linkDown(): void {
    this.linkUp = false;
  }

  // A new websocket is open (after OpenDataChannel): resend everything unacked now.
  linkRestored(): void {
    this.linkUp = true;
    this.paused = false;
    const now = this.o.now();
    for (const out of this.inFlight.values()) this.transmit(out, now, true);
    this.pump();
  }

  // The consumer drained: deliver what the out-of-order buffer holds.
  resumeDelivery(): void {
    this.drainIncoming();
  }

  receive(frame: Uint8Array): void {
    let message: ClientMessage;
    try {
      message = decodeMessage(frame, { checkDigest: this.o.checkDigest });
    } catch (error) {
      this.stats.badFrames++;
      this.o.badFrame?.(error);
      return;
    }
    switch (message.messageType) {
      case MessageType.Acknowledge:
        this.resumeFromPause();
        this.onAck(message);
        return;
      case MessageType.PausePublication:
        this.paused = true;
        return;
      case MessageType.StartPublication:
        this.resumeFromPause();
        return;
      case this.receiveType:
        this.resumeFromPause();
        this.onStreamData(message);
        return;
      default:
        if (isStreamData(message.messageType)) return; // our own direction reflected: ignore
        this.o.control(message);
    }
  }

  // Resend every message whose RTO expired (§11.3 with the fixes of §17 #4 and #11).
  tick(): void {
    if (this.paused || !this.linkUp) return;
    const now = this.o.now();
    let expired = false;
    for (const out of this.inFlight.values()) {
      if (now >= out.lastSent + this.rtoMs) {
        this.transmit(out, now, true); // same sum as nextDeadline()
        expired = true;
      }
    }
    // Karn's algorithm also backs the timer off on a timeout (RFC 6298 §5.5) until a
    // fresh sample arrives: a stalled peer then gets fewer spurious resends (choice).
    if (expired) this.rtoMs = Math.min(MAX_RTO_MS, this.rtoMs * 2);
  }

  // When tick() next has work, for the caller's timer (undefined: nothing unacked, or
  // paused / link down).
  nextDeadline(): number | undefined {
    if (this.paused || !this.linkUp) return undefined; // nothing resends until resumed
    let earliest: number | undefined;
    for (const out of this.inFlight.values()) {
      if (earliest === undefined || out.lastSent < earliest) earliest = out.lastSent;
    }
    return earliest === undefined ? undefined : earliest + this.rtoMs;
  }

  private resumeFromPause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pump();
  }

  private pump(): void {
    if (this.paused || !this.linkUp) return;
    const now = this.o.now();
    while (this.pending.length > 0 && this.inFlight.size < this.maxInFlight) {
      const next = this.pending.shift()!;
      const message: ClientMessage = {
        messageType: this.o.sendType,
        schemaVersion: SCHEMA_VERSION,
        createdDate: Math.floor(now),
        sequenceNumber: this.nextSeq++,
        flags: next.flags,
        messageId: this.o.newId(),
        payloadType: next.payloadType,
        payload: next.payload,
      };
      const out: Outgoing = { message, frame: encodeMessage(message), lastSent: now, retransmitted: false };
      this.inFlight.set(message.sequenceNumber, out);
      this.transmit(out, now, false);
    }
  }

  private transmit(out: Outgoing, now: number, resend: boolean): void {
    out.lastSent = now;
    if (resend) {
      out.retransmitted = true;
      this.stats.resent++;
    } else {
      this.stats.sent++;
    }
    if (this.linkUp) this.o.emit(out.frame);
  }

  private onAck(message: ClientMessage): void {
    let seq: number;
    try {
      seq = parseAcknowledgeContent(message.payload).AcknowledgedMessageSequenceNumber;
    } catch (error) {
      this.stats.badFrames++;
      this.o.badFrame?.(error);
      return;
    }
    const out = this.inFlight.get(seq);
    if (!out) return; // a duplicate ack
    const wasFull = !this.hasRoom();
    this.inFlight.delete(seq);
    if (!out.retransmitted) this.sampleRtt(this.o.now() - out.lastSent);
    this.pump();
    if (wasFull && this.hasRoom()) this.o.drain();
  }

  // §11.3: RTTVAR, SRTT, RTO = min(1 s, SRTT + max(G, 4·RTTVAR)).
  private sampleRtt(r: number): void {
    this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - r);
    this.srtt = (1 - ALPHA) * this.srtt + ALPHA * r;
    this.rtoMs = Math.min(MAX_RTO_MS, this.srtt + Math.max(CLOCK_GRANULARITY_MS, 4 * this.rttvar));
  }

  private onStreamData(message: ClientMessage): void {
    this.stats.received++;
    const seq = message.sequenceNumber;
    if (seq < this.expected) {
      this.stats.duplicates++;
      this.ack(message); // §17 #6: re-ack duplicates, or the peer resends forever
      return;
    }
    if (seq > this.expected) {
      if (this.incoming.has(seq)) {
        this.ack(message);
      } else if (this.incoming.size < this.maxIncoming) {
        this.incoming.set(seq, message);
        this.stats.buffered++;
        this.ack(message);
      } else {
        this.stats.refused++; // buffer full: no ack, the peer resends later
      }
      return;
    }
    if (!this.consumerReady()) {
      this.stats.refused++; // receive back-pressure: no ack (§8.2)
      return;
    }
    this.expected++;
    this.o.deliver(message);
    this.ack(message);
    this.drainIncoming();
  }

  private consumerReady(): boolean {
    return this.o.canDeliver ? this.o.canDeliver() : true;
  }

  private drainIncoming(): void {
    while (this.incoming.has(this.expected) && this.consumerReady()) {
      const message = this.incoming.get(this.expected)!;
      this.incoming.delete(this.expected);
      this.expected++;
      this.o.deliver(message);
    }
  }

  private ack(message: ClientMessage): void {
    if (!this.linkUp) return;
    this.o.emit(encodeMessage(makeAcknowledge(message, this.o.newId(), Math.floor(this.o.now()))));
  }
}
