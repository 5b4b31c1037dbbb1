// Bounded concurrency for fleet runs: at most `concurrency` workers at a time, items
// started in order, and no new item once `stopped()` says so (Ctrl-C). Items never
// started are reported as such, so the caller can say what did not run.

export type PoolResult<R> = { started: true; value: R } | { started: false };

export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<R>,
  stopped: () => boolean = () => false,
): Promise<PoolResult<R>[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  const results: PoolResult<R>[] = items.map(() => ({ started: false }));
  let next = 0;
  const lane = async () => {
    // Bounded by the item count: each turn consumes one index.
    while (next < items.length && !stopped()) {
      const index = next++;
      results[index] = { started: true, value: await worker(items[index], index) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}
