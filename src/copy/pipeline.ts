// Copies one open file to another with many reads and writes in flight at once, the
// way OpenSSH's sftp client does (sftp-client.c: up to 64 outstanding requests), so
// that a round trip per chunk does not bound throughput. Each worker owns one chunk
// buffer and writes a chunk before reading the next, so memory is
// concurrency × chunkSize whatever the file size, and a slow side slows the other.
import { fileError, type CopyFs, type FileHandle } from './file-system.js';

export interface PipelineOptions {
  chunkSize: number;
  concurrency: number;
  onBytes?: (bytes: number) => void;
  // Aborted (Ctrl-C): stop issuing requests; the copy fails as 'Interrupted'.
  signal?: AbortSignal;
}

// Errors are tagged with the side that failed, so the engine names the right path.
export class SideFailure {
  constructor(
    readonly side: 'source' | 'target',
    readonly error: unknown,
  ) {}
}

// Copies [0, size) and returns the bytes copied (less than size if the source shrank).
export async function pipelinedCopy(
  source: { fs: CopyFs; handle: FileHandle },
  target: { fs: CopyFs; handle: FileHandle },
  size: number,
  options: PipelineOptions,
): Promise<number> {
  let next = 0;
  let copied = 0;
  let eof = false;
  let failure: SideFailure | undefined;

  const worker = async (): Promise<void> => {
    const buffer = Buffer.allocUnsafe(options.chunkSize);
    while (!failure && !eof && next < size) {
      if (options.signal?.aborted) {
        failure ??= new SideFailure('target', fileError('Interrupted', options.signal.reason));
        return;
      }
      const position = next;
      const length = Math.min(options.chunkSize, size - position);
      next += length;
      let got = 0;
      // A read may return less than asked (SFTP servers cap read length): read the rest.
      while (got < length) {
        let n: number;
        try {
          n = await source.fs.read(source.handle, buffer, got, length - got, position + got);
        } catch (error) {
          failure ??= new SideFailure('source', error);
          return;
        }
        if (n === 0) {
          eof = true;
          break;
        }
        got += n;
      }
      if (got === 0) return;
      try {
        await target.fs.write(target.handle, buffer, 0, got, position);
      } catch (error) {
        failure ??= new SideFailure('target', error);
        return;
      }
      copied += got;
      options.onBytes?.(got);
    }
  };

  const workers = Math.max(1, Math.min(options.concurrency, Math.ceil(size / options.chunkSize)));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure;
  return copied;
}
