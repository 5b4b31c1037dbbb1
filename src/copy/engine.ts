// The copy itself, with scp(1)'s semantics over any pair of CopyFs: files into a
// directory or onto a name, -r for trees, -p for modes and times, and a message per
// failed file (the copy goes on; scp exits 1 if any file failed). A regular file is
// written under a hidden temporary name beside its target and renamed over it only
// when complete, so a partial file never looks complete; on failure the temporary
// file is removed.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { isNotFound, reasonOf, type CopyFs, type FileStat } from './file-system.js';
import { pipelinedCopy, SideFailure } from './pipeline.js';

// Bounded recursion: a symlink loop inside a tree (scp follows links) must end.
const MAX_DEPTH = 64;

export interface CopyProgress {
  file(name: string, size: number): void;
  bytes(n: number): void;
  done(): void;
}

export interface EngineOptions {
  recursive: boolean;
  preserve: boolean;
  chunkSize: number;
  concurrency: number;
  progress?: CopyProgress;
  signal?: AbortSignal;
  // One line per failed file, e.g. "/etc/shadow: Permission denied".
  report(line: string): void;
}

export interface Location {
  fs: CopyFs;
  path: string;
}

export class CopyEngine {
  failures = 0;
  constructor(private readonly options: EngineOptions) {}

  fail(path: string, reason: string): void {
    this.failures++;
    this.options.report(`${path}: ${reason}`);
  }

  // Stats the destination: undefined if it does not exist; a failure is reported.
  async probe(location: Location): Promise<FileStat | undefined | 'failed'> {
    try {
      return await location.fs.stat(location.path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      this.fail(location.path, reasonOf(error));
      return 'failed';
    }
  }

  // Copies `source` to `target`, the final name (the caller joined a directory and basename).
  async copy(source: Location, target: Location, depth = 0): Promise<void> {
    if (this.options.signal?.aborted) return;
    let stat: FileStat;
    try {
      stat = await source.fs.stat(source.path);
    } catch (error) {
      this.fail(source.path, reasonOf(error));
      return;
    }
    if (stat.kind === 'directory') {
      if (!this.options.recursive) this.fail(source.path, 'not a regular file');
      else await this.copyDirectory(source, stat, target, depth);
      return;
    }
    if (stat.kind !== 'file') {
      this.fail(source.path, 'not a regular file');
      return;
    }
    await this.copyFile(source, stat, target);
  }

  private async copyDirectory(source: Location, stat: FileStat, target: Location, depth: number): Promise<void> {
    if (depth >= MAX_DEPTH) {
      this.fail(source.path, `more than ${MAX_DEPTH} levels of directories (a symbolic link loop?)`);
      return;
    }
    const existing = await this.probe(target);
    if (existing === 'failed') return;
    if (existing && existing.kind !== 'directory') {
      this.fail(target.path, 'Not a directory');
      return;
    }
    let names: string[];
    try {
      names = (await source.fs.readdir(source.path)).sort();
    } catch (error) {
      this.fail(source.path, reasonOf(error));
      return;
    }
    if (!existing) {
      try {
        // Owner rwx while filling it (scp.c sink: mode | S_IRWXU); exact mode after, with -p.
        await target.fs.mkdir(target.path, stat.mode | 0o700);
      } catch (error) {
        this.fail(target.path, reasonOf(error));
        return;
      }
    }
    for (const name of names) {
      await this.copy({ fs: source.fs, path: posix.join(source.path, name) }, { fs: target.fs, path: posix.join(target.path, name) }, depth + 1);
    }
    if (this.options.preserve) await this.preserve(target, stat);
  }

  private async preserve(target: Location, stat: FileStat): Promise<boolean> {
    try {
      await target.fs.chmod(target.path, stat.mode);
      await target.fs.utimes(target.path, stat.atime, stat.mtime);
      return true;
    } catch (error) {
      this.fail(target.path, reasonOf(error));
      return false;
    }
  }

  private async copyFile(source: Location, stat: FileStat, target: Location): Promise<void> {
    const existing = await this.probe(target);
    if (existing === 'failed') return;
    if (existing?.kind === 'directory') {
      this.fail(target.path, 'Is a directory');
      return;
    }
    // A device or FIFO (say /dev/null) is written in place: renaming over it would
    // replace the device node itself.
    const inPlace = existing?.kind === 'other';
    const temporary = inPlace ? target.path : temporaryName(target.path);
    // New files get the source's permission bits (the umask applies, as with scp);
    // an existing file keeps its own mode, as when scp overwrites it in place.
    const createMode = existing ? existing.mode & 0o7777 : stat.mode & 0o777;
    this.options.progress?.file(posix.basename(source.path), stat.size);

    let sourceHandle: unknown;
    let targetHandle: unknown;
    let created = false;
    try {
      sourceHandle = await source.fs.openRead(source.path).catch((error) => {
        throw new SideFailure('source', error);
      });
      targetHandle = await target.fs.openWrite(temporary, inPlace ? createMode : createMode | 0o600, !inPlace).catch((error) => {
        throw new SideFailure('target', error);
      });
      created = !inPlace;
      await pipelinedCopy({ fs: source.fs, handle: sourceHandle }, { fs: target.fs, handle: targetHandle }, stat.size, {
        chunkSize: this.options.chunkSize,
        concurrency: this.options.concurrency,
        onBytes: (n) => this.options.progress?.bytes(n),
        signal: this.options.signal,
      });
      const handle = targetHandle;
      targetHandle = undefined;
      await target.fs.close(handle).catch((error) => {
        throw new SideFailure('target', error);
      });
      if (!inPlace) {
        const finalMode = this.options.preserve ? stat.mode : existing ? existing.mode : undefined;
        // Without -p a new file keeps the umask-reduced mode it was created with, minus
        // the owner bits added for writing: chmod to the source bits with umask applied.
        await (finalMode !== undefined ? target.fs.chmod(temporary, finalMode) : restoreOwnerBits(target.fs, temporary, createMode)).catch(
          (error) => {
            throw new SideFailure('target', error);
          },
        );
        if (this.options.preserve) {
          await target.fs.utimes(temporary, stat.atime, stat.mtime).catch((error) => {
            throw new SideFailure('target', error);
          });
        }
        await target.fs.rename(temporary, target.path).catch((error) => {
          throw new SideFailure('target', error);
        });
        created = false;
      } else if (this.options.preserve) {
        await target.fs.utimes(target.path, stat.atime, stat.mtime).catch(() => undefined);
      }
    } catch (error) {
      const failure = error instanceof SideFailure ? error : new SideFailure('target', error);
      this.fail(failure.side === 'source' ? source.path : target.path, reasonOf(failure.error));
      if (targetHandle !== undefined) await target.fs.close(targetHandle).catch(() => undefined);
      if (created) await target.fs.unlink(temporary).catch(() => undefined);
    } finally {
      if (sourceHandle !== undefined) await source.fs.close(sourceHandle).catch(() => undefined);
      this.options.progress?.done();
    }
  }
}

// '.name.eic-scp-<hex>' beside the target: hidden, and never mistaken for the file.
export function temporaryName(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.eic-scp-${randomBytes(4).toString('hex')}`);
}

// The temporary file was created with owner rw added (so that a read-only source can
// be written); take away what the source did not have, keeping the umask's effect.
async function restoreOwnerBits(fs: CopyFs, path: string, createMode: number): Promise<void> {
  if ((createMode & 0o600) === 0o600) return;
  const { mode } = await fs.stat(path);
  await fs.chmod(path, (mode & ~0o600) | (createMode & 0o600));
}
