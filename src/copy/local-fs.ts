// CopyFs over the local file system (node:fs/promises). Errors become the strerror(3)
// text scp prints, e.g. "No space left on device".
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle as NodeFileHandle } from 'node:fs/promises';
import { fileError, kindOfMode, type CopyFs, type FileHandle, type FileStat } from './file-system.js';

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EEXIST: 'File exists',
  EROFS: 'Read-only file system',
  EFBIG: 'File too large',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EIO: 'Input/output error',
  ENOTEMPTY: 'Directory not empty',
  EXDEV: 'Invalid cross-device link',
};

function wrap(error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return fileError(STRERROR[code] ?? (error instanceof Error ? error.message : String(error)), error, code === 'ENOENT');
}

async function io<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw wrap(error);
  }
}

export function localFs(): CopyFs {
  return {
    label: 'local',
    stat: (path) =>
      io(async (): Promise<FileStat> => {
        const s = await fsp.stat(path);
        return { kind: kindOfMode(s.mode), size: s.size, mode: s.mode & 0o7777, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) };
      }),
    readdir: (path) => io(() => fsp.readdir(path)),
    mkdir: (path, mode) => io(() => fsp.mkdir(path, mode)),
    openRead: (path) => io(() => fsp.open(path, 'r')),
    openWrite: (path, mode, exclusive) =>
      io(() => fsp.open(path, constants.O_WRONLY | constants.O_CREAT | (exclusive ? constants.O_EXCL : constants.O_TRUNC), mode)),
    read: (handle, buffer, offset, length, position) =>
      io(async () => (await (handle as NodeFileHandle).read(buffer, offset, length, position)).bytesRead),
    write: (handle, buffer, offset, length, position) =>
      io(async () => {
        let done = 0;
        while (done < length) {
          const { bytesWritten } = await (handle as NodeFileHandle).write(buffer, offset + done, length - done, position + done);
          if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
          done += bytesWritten;
        }
      }),
    close: (handle: FileHandle) => io(() => (handle as NodeFileHandle).close()),
    chmod: (path, mode) => io(() => fsp.chmod(path, mode)),
    utimes: (path, atime, mtime) => io(() => fsp.utimes(path, atime, mtime)),
    rename: (from, to) => io(() => fsp.rename(from, to)),
    unlink: (path) => io(() => fsp.unlink(path)),
  };
}
