import { describe, expect, it } from 'vitest';
import { runPool } from './pool.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('runPool', () => {
  it('never runs more than `concurrency` workers at once and keeps results in order', async () => {
    let running = 0;
    let peak = 0;
    const results = await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return n * 10;
    });
    expect(peak).toBe(3);
    expect(results).toEqual([10, 20, 30, 40, 50, 60, 70].map((value) => ({ started: true, value })));
  });

  it('starts nothing more once stopped, and reports what never started', async () => {
    let stop = false;
    const gate = deferred();
    const pending = runPool(['a', 'b', 'c', 'd'], 2, async (item) => {
      if (item === 'b') stop = true;
      await gate.promise;
      return item;
    }, () => stop);
    gate.resolve();
    expect(await pending).toEqual([{ started: true, value: 'a' }, { started: true, value: 'b' }, { started: false }, { started: false }]);
  });

  it('handles an empty list and refuses a bad concurrency', async () => {
    expect(await runPool([], 4, async () => 1)).toEqual([]);
    await expect(runPool([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
