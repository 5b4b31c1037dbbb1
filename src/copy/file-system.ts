// The one view of a file system the copy engine works with, whether local (node:fs)
// or remote over SFTP (sftp.ts): so that every direction, local→remote, remote→local
// and remote→remote, runs the same engine code. Paths are POSIX. Every method throws
// EicError('COPY_FILE', reason) where reason reads like strerror(3) ("No such file or
// directory"); the engine prefixes the path the user knows.
import { EicError } from '../errors.js';

export type FileKind = 'file' | 'directory' | 'other';

export interface FileStat {
  kind: FileKind;
  size: number;
  // Permission bits including setuid/setgid/sticky (mode & 07777).
  mode: number;
  // Seconds since the epoch: SFTP v3 carries whole seconds (draft-ietf-secsh-filexfer-02 §5).
  atime: number;
  mtime: number;
}

export type FileHandle = unknown;

export interface CopyFs {
  // 'local' or 'user@target', for messages.
  readonly label: string;
  // Follows symbolic links, as scp does.
  stat(path: string): Promise<FileStat>;
  // The names in a directory, without '.' and '..'.
  readdir(path: string): Promise<string[]>;
  mkdir(path: string, mode: number): Promise<void>;
  openRead(path: string): Promise<FileHandle>;
  // exclusive: fail if the file exists (temporary names); otherwise create or truncate.
  openWrite(path: string, mode: number, exclusive: boolean): Promise<FileHandle>;
  // Bytes read into buffer[offset..]; 0 at end of file.
  read(handle: FileHandle, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  // Writes all `length` bytes.
  write(handle: FileHandle, buffer: Buffer, offset: number, length: number, position: number): Promise<void>;
  close(handle: FileHandle): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  utimes(path: string, atime: number, mtime: number): Promise<void>;
  // Replaces `to` atomically if it exists (rename(2) semantics).
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export function kindOfMode(mode: number): FileKind {
  const type = mode & 0o170000;
  if (type === 0o100000) return 'file';
  if (type === 0o040000) return 'directory';
  return 'other';
}

// A COPY_FILE error whose message is only the reason; `notFound` lets the engine tell
// "does not exist" (expected when probing a destination) from real failures.
export function fileError(reason: string, cause: unknown, notFound = false): EicError {
  const error = new EicError('COPY_FILE', reason, { cause });
  if (notFound) Object.defineProperty(error, 'notFound', { value: true });
  return error;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof EicError && (error as EicError & { notFound?: boolean }).notFound === true;
}

export function reasonOf(error: unknown): string {
  if (error instanceof EicError && error.code === 'COPY_FILE') return error.message;
  return error instanceof Error ? error.message : String(error);
}
