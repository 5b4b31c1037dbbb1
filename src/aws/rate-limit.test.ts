import { describe, expect, it } from 'vitest';
import { TokenBucket, type Clock } from './rate-limit.js';

function fakeClock(): Clock & { time: number; sleeps: number[] } {
  const clock = {
    time: 0,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
    },
  };
  return clock;
}

describe('TokenBucket', () => {
  it('lets the burst through at once, then spaces callers by 1/rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(8, 2, clock);
    const waits = await Promise.all(Array.from({ length: 5 }, () => bucket.take()));
    expect(waits).toEqual([0, 0, 125, 250, 375]);
  });

  it('refills with time, never beyond the burst', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 2, clock);
    await bucket.take();
    await bucket.take();
    clock.time += 10_000;
    expect([await bucket.take(), await bucket.take(), await bucket.take()]).toEqual([0, 0, 100]);
  });

  it('refuses a nonsensical configuration', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
  });
});
