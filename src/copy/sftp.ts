// CopyFs over an SFTP session (ssh2's client, OpenSSH's sftp-server on the instance).
// Requests are issued many at a time by the engine (pipeline.ts), so throughput is
// bounded by the link, not by round trips. Status codes are the SFTP v3 ones
// (draft-ietf-secsh-filexfer-02 §7); their text reads like scp's strerror(3) output.
import type { Client, SFTPWrapper, Stats } from 'ssh2';
import { EicError } from '../errors.js';
import { fileError, kindOfMode, type CopyFs, type FileStat } from './file-system.js';

const SSH_FX_NO_SUCH_FILE = 2;
const SSH_FX_PERMISSION_DENIED = 3;
const SSH_FX_OP_UNSUPPORTED = 8;

const REASONS: Record<number, string> = {
  [SSH_FX_NO_SUCH_FILE]: 'No such file or directory',
  [SSH_FX_PERMISSION_DENIED]: 'Permission denied',
  5: 'Bad message',
  6: 'No connection',
  7: 'Connection lost',
  [SSH_FX_OP_UNSUPPORTED]: 'Operation unsupported',
};

export function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    client.sftp((error, sftp) => {
      if (error) {
        reject(
          new EicError('SSH_CHANNEL', `cannot start the SFTP subsystem: ${error.message}`, {
            hint: 'the instance sshd must enable the sftp subsystem (Subsystem sftp in sshd_config), as Amazon Linux and Ubuntu do',
            cause: error,
          }),
        );
      } else resolve(sftp);
    });
  });
}

function wrap(error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  // SSH_FX_FAILURE (4) carries the server's own text, usually just "Failure": sftp-server
  // maps errors such as ENOSPC to it (sftp-server.c errno_to_portable).
  const reason = typeof code === 'number' && REASONS[code] ? REASONS[code] : message;
  return fileError(reason, error, code === SSH_FX_NO_SUCH_FILE);
}

function call<T>(start: (cb: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      start((error, value) => (error ? reject(wrap(error)) : resolve(value as T)));
    } catch (error) {
      reject(wrap(error));
    }
  });
}

function toStat(s: Stats): FileStat {
  return { kind: kindOfMode(s.mode), size: s.size, mode: s.mode & 0o7777, atime: s.atime, mtime: s.mtime };
}

export function sftpFs(sftp: SFTPWrapper, label: string): CopyFs {
  return {
    label,
    stat: async (path) => toStat(await call<Stats>((cb) => sftp.stat(path, cb))),
    readdir: async (path) =>
      (await call<Array<{ filename: string }>>((cb) => sftp.readdir(path, cb)))
        .map((e) => e.filename)
        .filter((n) => n !== '.' && n !== '..'),
    mkdir: (path, mode) => call<void>((cb) => sftp.mkdir(path, { mode }, (e) => cb(e))),
    openRead: (path) => call<Buffer>((cb) => sftp.open(path, 'r', cb)),
    openWrite: (path, mode, exclusive) => call<Buffer>((cb) => sftp.open(path, exclusive ? 'wx' : 'w', { mode }, cb)),
    read: (handle, buffer, offset, length, position) =>
      call<number>((cb) => sftp.read(handle as Buffer, buffer, offset, length, position, (e, bytesRead) => cb(e, bytesRead))),
    write: (handle, buffer, offset, length, position) =>
      call<void>((cb) => sftp.write(handle as Buffer, buffer, offset, length, position, (e) => cb(e))),
    close: (handle) => call<void>((cb) => sftp.close(handle as Buffer, (e) => cb(e))),
    chmod: (path, mode) => call<void>((cb) => sftp.chmod(path, mode, (e) => cb(e))),
    utimes: (path, atime, mtime) => call<void>((cb) => sftp.utimes(path, atime, mtime, (e) => cb(e))),
    rename: async (from, to) => {
      // SFTP v3 RENAME refuses an existing target (sftp-server links, then unlinks);
      // OpenSSH's posix-rename@openssh.com extension is rename(2), atomic replace.
      try {
        await call<void>((cb) => sftp.ext_openssh_rename(from, to, (e) => cb(e)));
        return;
      } catch (error) {
        if (!/does not support/i.test(String((error as EicError).cause ?? ''))) throw error;
      }
      await call<void>((cb) => sftp.unlink(to, (e) => cb(e))).catch(() => undefined);
      await call<void>((cb) => sftp.rename(from, to, (e) => cb(e)));
    },
    unlink: (path) => call<void>((cb) => sftp.unlink(path, (e) => cb(e))),
  };
}
