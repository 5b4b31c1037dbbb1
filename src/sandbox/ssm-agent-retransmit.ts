// The sandbox agent's reliability bookkeeping for what it sends (ssm.md §11): the
// output_stream_data frames sent but not yet acknowledged, in sequence order, and the
// retransmission timeout computed with the estimator of §11.3. Separate from the agent's
// state machine (ssm-agent.ts) because it is the one piece that is pure arithmetic over
// times: which frames are due again, and how an ack's round trip moves the RTO.
interface Outgoing {
  sequenceNumber: number;
  frame: Buffer;
  lastSentTime: number;
}

// §11.1 constants (agent column).
const INITIAL_RTO_MS = 200;
const INITIAL_SRTT_MS = 100;
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const CLOCK_GRANULARITY_MS = 10;
const MAX_RTO_MS = 1000;

export class RetransmitBuffer {
  private readonly outgoing = new Map<number, Outgoing>(); // sent, not yet acked (in seq order)
  private srtt = INITIAL_SRTT_MS;
  private rttvar = 0;
  private rto = INITIAL_RTO_MS;

  get size(): number {
    return this.outgoing.size;
  }
  get retransmissionTimeoutMs(): number {
    return this.rto;
  }

  add(sequenceNumber: number, frame: Buffer, now: number): void {
    this.outgoing.set(sequenceNumber, { sequenceNumber, frame, lastSentTime: now });
  }

  // §8.1: matched by sequence number only. An ack for nothing outstanding changes nothing.
  acknowledge(sequence: number, now: number): void {
    const acked = this.outgoing.get(sequence);
    if (!acked) return;
    this.outgoing.delete(sequence);
    this.updateRto(now - acked.lastSentTime);
  }

  // The frames to send again now, oldest first. resendAll false (faithful): only the
  // oldest unacked message is looked at, as the agent does (§11.3); true: every expired one.
  due(now: number, resendAll: boolean): Buffer[] {
    const frames: Buffer[] = [];
    for (const message of this.outgoing.values()) {
      if (now - message.lastSentTime > this.rto) {
        message.lastSentTime = now; // the fix of §17 quirk 4
        frames.push(message.frame);
        if (!resendAll) break;
      } else if (!resendAll) {
        break; // §11.3: the agent looks only at the oldest unacked message
      }
    }
    return frames;
  }

  // Every unacked frame, oldest first.
  frames(): Buffer[] {
    return [...this.outgoing.values()].map((m) => m.frame);
  }

  // §11.3, RFC 6298 style, as both official sides compute it.
  private updateRto(sample: number): void {
    this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - sample);
    this.srtt = (1 - ALPHA) * this.srtt + ALPHA * sample;
    this.rto = Math.min(MAX_RTO_MS, this.srtt + Math.max(CLOCK_GRANULARITY_MS, 4 * this.rttvar));
  }
}
