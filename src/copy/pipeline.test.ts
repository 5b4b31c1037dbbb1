import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fileError, type CopyFs } from './file-system.js';
import { pipelinedCopy, SideFailure } from './pipeline.js';

// An in-memory file pair: reads return at most `maxRead` bytes (as SFTP servers may),
// and the copy's in-flight requests are counted.
function memory(source: Buffer, options: { maxRead?: number; failWriteAt?: number; failReadAt?: number } = {}) {
  const target = Buffer.alloc(source.length);
  let inFlight = 0;
  let maxInFlight = 0;
  const track = async <T>(work: () => T): Promise<T> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    return work();
  };
  const fs = {
    read: (_h: unknown, buffer: Buffer, offset: number, length: number, position: number) =>
      track(() => {
        if (options.failReadAt !== undefined && position >= options.failReadAt) throw fileError('Permission denied', null);
        if (position >= source.length) return 0;
        return source.copy(buffer, offset, position, Math.min(position + Math.min(length, options.maxRead ?? length), source.length));
      }),
    write: (_h: unknown, buffer: Buffer, offset: number, length: number, position: number) =>
      track(() => {
        if (options.failWriteAt !== undefined && position >= options.failWriteAt) throw fileError('No space left on device', null);
        buffer.copy(target, position, offset, offset + length);
      }),
  } as unknown as CopyFs;
  return { fs, target, maxInFlight: () => maxInFlight };
}

describe('pipelinedCopy', () => {
  it('copies byte-exact across short reads, with at most `concurrency` requests in flight', async () => {
    const data = randomBytes(1_000_003);
    const m = memory(data, { maxRead: 1000 });
    const copied = await pipelinedCopy({ fs: m.fs, handle: 1 }, { fs: m.fs, handle: 2 }, data.length, { chunkSize: 65536, concurrency: 4 });
    expect(copied).toBe(data.length);
    expect(m.target.equals(data)).toBe(true);
    expect(m.maxInFlight()).toBeLessThanOrEqual(4);
  });

  it('stops at an early end of file (the source shrank)', async () => {
    const data = randomBytes(10_000);
    const m = memory(data);
    const copied = await pipelinedCopy({ fs: m.fs, handle: 1 }, { fs: m.fs, handle: 2 }, 50_000, { chunkSize: 4096, concurrency: 3 });
    expect(copied).toBe(10_000);
    expect(m.target.subarray(0, 10_000).equals(data)).toBe(true);
  });

  it.each([
    ['target', { failWriteAt: 200_000 }, 'No space left on device'],
    ['source', { failReadAt: 300_000 }, 'Permission denied'],
  ] as const)('names the failing side: %s', async (side, failure, reason) => {
    const m = memory(randomBytes(1_000_000), failure);
    const error = await pipelinedCopy({ fs: m.fs, handle: 1 }, { fs: m.fs, handle: 2 }, 1_000_000, { chunkSize: 65536, concurrency: 8 }).catch((e) => e);
    expect(error).toBeInstanceOf(SideFailure);
    expect((error as SideFailure).side).toBe(side);
    expect(String((error as SideFailure).error)).toContain(reason);
  });

  it('stops when aborted', async () => {
    const m = memory(randomBytes(1_000_000));
    const abort = new AbortController();
    abort.abort();
    const error = await pipelinedCopy({ fs: m.fs, handle: 1 }, { fs: m.fs, handle: 2 }, 1_000_000, { chunkSize: 65536, concurrency: 8, signal: abort.signal }).catch((e) => e);
    expect(String((error as SideFailure).error)).toContain('Interrupted');
  });
});
