// Reproducible faults on the SSM data channel (ssm.md §21 fault knobs): a seeded PRNG and
// a FaultLine that drops, duplicates or reorders the frames passing through it, so a
// failing run replays exactly with the same knobs.ssmFaultSeed.

// mulberry32: a small, well-known 32-bit PRNG; plenty for fault injection.
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultRates {
  drop: number;
  duplicate: number;
  reorder: number;
}

// One direction of the channel. pass() returns the frames to deliver now, in order.
// A reordered frame is held back and delivered right after the next frame (or by
// release(), which the adapter calls shortly after, so nothing stays held forever).
export class FaultLine<T> {
  private held: T | undefined;
  // What was done so far (tests check that faults really happened).
  readonly counts = { passed: 0, dropped: 0, duplicated: 0, reordered: 0 };

  constructor(private readonly random: () => number) {}

  pass(frame: T, rates: FaultRates): T[] {
    const out: T[] = [];
    this.counts.passed++;
    if (rates.drop > 0 && this.random() < rates.drop) {
      this.counts.dropped++;
      return this.releaseInto(out);
    }
    const copies = rates.duplicate > 0 && this.random() < rates.duplicate ? 2 : 1;
    if (copies === 2) this.counts.duplicated++;
    if (this.held === undefined && rates.reorder > 0 && this.random() < rates.reorder) {
      this.counts.reordered++;
      this.held = frame;
      if (copies === 2) out.push(frame);
      return out;
    }
    for (let i = 0; i < copies; i++) out.push(frame);
    return this.releaseInto(out);
  }

  // The held frame, if any (to deliver after a short delay).
  release(): T[] {
    return this.releaseInto([]);
  }

  get holding(): boolean {
    return this.held !== undefined;
  }

  private releaseInto(out: T[]): T[] {
    if (this.held !== undefined) {
      out.push(this.held);
      this.held = undefined;
    }
    return out;
  }
}
