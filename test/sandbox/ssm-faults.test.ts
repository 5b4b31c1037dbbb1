// The SSM data channel's fault injection (src/sandbox/ssm-faults.ts): seeded, so the
// same seed replays the same faults; drops lose frames, duplicates repeat them, reorders
// swap a frame with the next one, and nothing else is lost or invented.
import { describe, expect, it } from 'vitest';
import { FaultLine, seededRandom } from '../../src/sandbox/ssm-faults.js';

const RATES = { drop: 0.1, duplicate: 0.1, reorder: 0.1 };

function runLine(seed: number, n: number): number[] {
  const line = new FaultLine<number>(seededRandom(seed));
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(...line.pass(i, RATES));
  out.push(...line.release());
  return out;
}

describe('FaultLine', () => {
  it('replays exactly with the same seed and differs with another', () => {
    expect(runLine(7, 500)).toEqual(runLine(7, 500));
    expect(runLine(7, 500)).not.toEqual(runLine(8, 500));
  });

  it('passes everything unchanged when all rates are zero', () => {
    const line = new FaultLine<number>(seededRandom(1));
    const out: number[] = [];
    for (let i = 0; i < 100; i++) out.push(...line.pass(i, { drop: 0, duplicate: 0, reorder: 0 }));
    expect(out).toEqual([...Array(100).keys()]);
  });

  it('only drops, duplicates and swaps neighbours, at about the configured rates', () => {
    const line = new FaultLine<number>(seededRandom(3));
    const out: number[] = [];
    const n = 20_000;
    for (let i = 0; i < n; i++) out.push(...line.pass(i, RATES));
    out.push(...line.release());
    const { dropped, duplicated, reordered } = line.counts;
    for (const count of [dropped, duplicated, reordered]) expect(count / n).toBeGreaterThan(0.07);
    for (const count of [dropped, duplicated, reordered]) expect(count / n).toBeLessThan(0.13);
    const seen = new Map<number, number>();
    for (const v of out) seen.set(v, (seen.get(v) ?? 0) + 1);
    expect(n - seen.size).toBe(dropped);
    expect(out.length - seen.size).toBe(duplicated);
    // Reordering only swaps neighbours: in order of first appearance, every frame is at
    // most one place away from where it belongs.
    const firsts = [...new Set(out)];
    const sorted = [...firsts].sort((a, b) => a - b);
    const rank = new Map(sorted.map((v, i) => [v, i]));
    expect(firsts.every((v, i) => Math.abs(rank.get(v)! - i) <= 1)).toBe(true);
    expect(firsts).not.toEqual(sorted);
  });
});
