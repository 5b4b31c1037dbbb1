// Property tests of the reliability layer (ssm.md §8, §11, §12): two ReliableChannel
// instances, one as the client and one as the agent, joined by an in-memory link that
// drops, duplicates, delays and reorders frames under a fake clock. Whatever the
// pattern, each direction's stream must arrive byte-exact, in order, exactly once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAcknowledgeContent } from './control-payloads.js';
import { decodeMessage, encodeMessage, MessageType, PayloadType } from './message.js';
import { MAX_RTO_MS, ReliableChannel } from './reliable.js';

interface Fate {
  drop: boolean;
  dup: boolean;
  delay: number;
  dupDelay: number;
  // After this frame: the link goes down for this long (a websocket close and resume,
  // ssm.md §13), and/or the receiver is told pause_publication for this long (§12).
  bounceMs: number;
  pauseMs: number;
}

const fateArb: fc.Arbitrary<Fate> = fc.record({
  drop: fc.boolean(),
  dup: fc.boolean(),
  delay: fc.nat({ max: 60 }),
  dupDelay: fc.nat({ max: 300 }),
  bounceMs: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 500 }) }),
  pauseMs: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 500 }) }),
});

function publication(type: 'pause_publication' | 'start_publication'): Buffer {
  const frame = Buffer.alloc(120);
  frame.writeUInt32BE(116, 0);
  frame.fill(0x20, 4, 36);
  frame.write(type, 4, 'ascii');
  return frame;
}

interface Side {
  ch: ReliableChannel;
  got: Buffer[];
  toSend: Uint8Array[];
}

function runLink(fates: Fate[], dataA: Uint8Array[], dataB: Uint8Array[], maxInFlight: number, blockEvery: number) {
  let now = 1_700_000_000_000;
  let ids = 0;
  let frameIndex = 0;
  let deliverCalls = 0;
  const queue: { at: number; to: 'a' | 'b'; frame: Buffer; order: number }[] = [];
  // Timed events: link restorations and start_publication.
  const events: { at: number; run: () => void }[] = [];
  let linkUp = true;
  const send = (to: 'a' | 'b', frame: Buffer) => {
    // Frames beyond the generated fates travel cleanly, so every run terminates.
    const fate = fates[frameIndex++] ?? { drop: false, dup: false, delay: 1, dupDelay: 0, bounceMs: 0, pauseMs: 0 };
    if (!linkUp) return; // (the channels do not emit while down; belt and braces)
    if (!fate.drop) queue.push({ at: now + fate.delay, to, frame, order: frameIndex });
    if (fate.dup) queue.push({ at: now + fate.dupDelay, to, frame, order: frameIndex + 0.5 });
    if (fate.bounceMs > 0 && linkUp) {
      // The socket closes: frames in flight are lost; both ends keep their state.
      linkUp = false;
      queue.length = 0;
      a.ch.linkDown(); // re-entrant on purpose: the close lands in the middle of a send
      b.ch.linkDown();
      events.push({
        at: now + fate.bounceMs,
        run: () => {
          linkUp = true;
          a.ch.linkRestored();
          b.ch.linkRestored();
        },
      });
    }
    if (fate.pauseMs > 0) {
      const paused = to === 'a' ? 'b' : 'a'; // the sender of this frame is told to pause
      queue.push({ at: now, to: paused, frame: publication('pause_publication'), order: frameIndex + 0.7 });
      events.push({ at: now + fate.pauseMs, run: () => queue.push({ at: now, to: paused, frame: publication('start_publication'), order: Infinity }) });
    }
  };
  const make = (name: 'a' | 'b', sendType: 'input_stream_data' | 'output_stream_data', toSend: Uint8Array[]): Side => {
    const side: Side = { got: [], toSend: [...toSend], ch: undefined as unknown as ReliableChannel };
    side.ch = new ReliableChannel({
      sendType,
      now: () => now,
      newId: () => `00000000-0000-4000-8000-${(++ids).toString(16).padStart(12, '0')}`,
      emit: (frame) => send(name === 'a' ? 'b' : 'a', frame),
      deliver: (m) => side.got.push(Buffer.from(m.payload)),
      control: () => undefined,
      drain: () => pumpSide(side),
      canDeliver: () => blockEvery === 0 || ++deliverCalls % blockEvery !== 0,
      maxInFlight,
    });
    return side;
  };
  const pumpSide = (side: Side) => {
    while (side.toSend.length > 0 && side.ch.hasRoom()) side.ch.send(PayloadType.Output, side.toSend.shift()!);
  };
  const a = make('a', MessageType.InputStreamData, dataA);
  const b = make('b', MessageType.OutputStreamData, dataB);
  pumpSide(a);
  pumpSide(b);
  let maxUnacked = 0;
  for (let step = 0; step < 200_000; step++) {
    const done = a.toSend.length === 0 && b.toSend.length === 0 && a.ch.unacked === 0 && b.ch.unacked === 0 && a.ch.buffered === 0 && b.ch.buffered === 0;
    if (done && queue.length === 0 && events.length === 0) break;
    const deadlines = [a.ch.nextDeadline(), b.ch.nextDeadline(), ...queue.map((q) => q.at), ...events.map((e) => e.at)].filter(
      (x): x is number => x !== undefined,
    );
    now = Math.max(now, Math.min(...deadlines));
    events.sort((x, y) => x.at - y.at);
    while (events.length > 0 && events[0].at <= now) events.shift()!.run();
    queue.sort((x, y) => x.at - y.at || x.order - y.order);
    while (queue.length > 0 && queue[0].at <= now) {
      const item = queue.shift()!;
      (item.to === 'a' ? a : b).ch.receive(item.frame);
    }
    a.ch.tick();
    b.ch.tick();
    a.ch.resumeDelivery();
    b.ch.resumeDelivery();
    pumpSide(a);
    pumpSide(b);
    maxUnacked = Math.max(maxUnacked, a.ch.unacked, b.ch.unacked);
  }
  return { a, b, maxUnacked };
}

const chunks = fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 40 });

describe('ReliableChannel over a lossy link', () => {
  it('delivers both streams byte-exact under any drop, duplication, reordering, link loss and publication pause', () => {
    fc.assert(
      fc.property(
        fc.array(fateArb, { maxLength: 300 }),
        chunks,
        chunks,
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom(0, 0, 3, 7),
        (fates, dataA, dataB, maxInFlight, blockEvery) => {
          const { a, b, maxUnacked } = runLink(fates, dataA, dataB, maxInFlight, blockEvery);
          expect(Buffer.concat(b.got).toString('hex')).toBe(Buffer.concat(dataA).toString('hex'));
          expect(Buffer.concat(a.got).toString('hex')).toBe(Buffer.concat(dataB).toString('hex'));
          // Everything was acknowledged: the run ended by completion, not by the step bound.
          expect([a.ch.unacked, b.ch.unacked]).toEqual([0, 0]);
          // Chunk boundaries survive too: one delivery per message, nothing rewritten.
          expect(b.got.length).toBe(dataA.length);
          expect(a.got.length).toBe(dataB.length);
          // The window bounds what is in flight (sender queues only when there is room).
          expect(maxUnacked).toBeLessThanOrEqual(maxInFlight + 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never rewrites a lone LF (§17 quirk 3)', () => {
    const { b } = runLink([], [Uint8Array.of(0x0a), Uint8Array.of(0x0a, 0x0a)], [], 4, 0);
    expect(Buffer.concat(b.got).toString('hex')).toBe('0a0a0a');
  });
});

describe('ReliableChannel details', () => {
  function single(options: { maxInFlight?: number } = {}) {
    let now = 1_000;
    const frames: Buffer[] = [];
    const delivered: string[] = [];
    let drains = 0;
    const ch = new ReliableChannel({
      sendType: MessageType.InputStreamData,
      now: () => now,
      newId: () => '00000000-0000-4000-8000-000000000001',
      emit: (f) => frames.push(f),
      deliver: (m) => delivered.push(Buffer.from(m.payload).toString()),
      control: () => undefined,
      drain: () => drains++,
      ...options,
    });
    return { ch, frames, delivered, advance: (ms: number) => (now += ms), drains: () => drains };
  }
  const agentData = (seq: number, text: string) =>
    encodeMessage({
      messageType: MessageType.OutputStreamData,
      schemaVersion: 1,
      createdDate: 5,
      sequenceNumber: seq,
      flags: 0,
      messageId: '123e4567-e89b-12d3-a456-426614174000',
      payloadType: PayloadType.Output,
      payload: Buffer.from(text),
    });
  const ackFor = (seq: number) =>
    encodeMessage({
      messageType: MessageType.Acknowledge,
      schemaVersion: 1,
      createdDate: 5,
      sequenceNumber: 0,
      flags: 3,
      messageId: '123e4567-e89b-12d3-a456-426614174001',
      payloadType: 0,
      payload: Buffer.from(JSON.stringify({ AcknowledgedMessageType: 'input_stream_data', AcknowledgedMessageId: 'x', AcknowledgedMessageSequenceNumber: seq, IsSequentialMessage: true })),
    });
  const ackedSeq = (f: Buffer) => {
    const m = decodeMessage(f);
    expect(m.messageType).toBe('acknowledge');
    return parseAcknowledgeContent(m.payload).AcknowledgedMessageSequenceNumber;
  };

  it('re-acks duplicates and acks-and-buffers future messages', () => {
    const t = single();
    t.ch.receive(agentData(1, 'b'));
    t.ch.receive(agentData(0, 'a'));
    t.ch.receive(agentData(0, 'a'));
    expect(t.delivered).toEqual(['a', 'b']);
    expect(t.frames.map(ackedSeq)).toEqual([1, 0, 0]);
  });

  it('updates the send time on resend: one resend per RTO, not per tick (§17 quirk 4)', () => {
    const t = single();
    t.ch.send(PayloadType.Output, Buffer.from('x'));
    expect(t.frames).toHaveLength(1);
    t.advance(t.ch.rto);
    t.ch.tick();
    t.ch.tick();
    expect(t.frames).toHaveLength(2);
    t.advance(t.ch.rto - 1);
    t.ch.tick();
    expect(t.frames).toHaveLength(2);
    t.advance(1);
    t.ch.tick();
    expect(t.frames).toHaveLength(3);
    expect(t.frames[2].equals(t.frames[0])).toBe(true);
  });

  it('keeps the RTO within [G, 1 s], backs off on timeout and ignores samples of resent messages (Karn)', () => {
    const t = single();
    t.ch.send(PayloadType.Output, Buffer.from('x'));
    t.advance(5_000);
    t.ch.tick();
    t.ch.receive(ackFor(0));
    expect(t.ch.rto).toBe(400); // backed off once on the timeout; no sample from a retransmitted message
    for (let i = 1; i < 50; i++) {
      t.ch.send(PayloadType.Output, Buffer.from('y'));
      t.advance(3_000);
      t.ch.receive(ackFor(i));
    }
    expect(t.ch.rto).toBe(MAX_RTO_MS);
  });

  it('applies back-pressure with a full window instead of dropping, and drains on ack', () => {
    const t = single({ maxInFlight: 2 });
    for (const s of ['1', '2', '3']) t.ch.send(PayloadType.Output, Buffer.from(s));
    expect(t.frames).toHaveLength(2);
    expect(t.ch.hasRoom()).toBe(false);
    t.ch.receive(ackFor(0));
    expect(t.frames).toHaveLength(3);
    t.ch.receive(ackFor(1));
    expect(t.ch.hasRoom()).toBe(true);
    expect(t.drains()).toBe(1);
  });

  it('honours pause_publication until start_publication (§12)', () => {
    const t = single();
    const pause = Buffer.alloc(120);
    pause.writeUInt32BE(116, 0);
    pause.write('pause_publication', 4, 'ascii');
    t.ch.receive(pause);
    t.ch.send(PayloadType.Output, Buffer.from('x'));
    t.advance(5_000);
    t.ch.tick();
    expect(t.frames).toHaveLength(0);
    const start = Buffer.from(pause);
    start.fill(0x20, 4, 36);
    start.write('start_publication', 4, 'ascii');
    t.ch.receive(start);
    expect(t.frames).toHaveLength(1);
  });

  it('keeps unacked messages across a link loss and resends them on restore (§13)', () => {
    const t = single();
    t.ch.linkDown();
    t.ch.send(PayloadType.Output, Buffer.from('x'));
    expect(t.frames).toHaveLength(0);
    t.ch.linkRestored();
    expect(t.frames).toHaveLength(1);
    t.ch.linkDown();
    t.ch.linkRestored();
    expect(t.frames).toHaveLength(2);
    expect(decodeMessage(t.frames[1]).sequenceNumber).toBe(0);
  });

  it('treats a corrupted frame as lost (no ack), so the peer resends it', () => {
    const t = single();
    const bad = agentData(0, 'a');
    bad[bad.length - 1] ^= 1;
    t.ch.receive(bad);
    expect(t.frames).toHaveLength(0);
    expect(t.ch.stats.badFrames).toBe(1);
  });
});
