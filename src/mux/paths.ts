// Where the connection-reuse masters live and how a target maps to one: a private
// directory <state dir>/mux (0700) holding one Unix socket (0600) per mux key. The
// key is computed from the command line and environment only — no AWS call — like
// OpenSSH's ControlPath %C (a hash of local host, remote host as given, port, user):
// account/endpoint (AWS_ENDPOINT_URL, profile, access key id), region, the target
// as typed, OS user, port and route. A Name that later resolves elsewhere keeps
// reaching the old instance until the master's idle time ends (as a ControlMaster
// does for a DNS name).
import { createHash } from 'node:crypto';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { EicError, UsageError } from '../errors.js';

// sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS: stay under both.
const MAX_SOCKET_PATH = 103;

export interface MuxTarget {
  target: string;
  user?: string;
  port?: number;
  via: string;
  eiceId?: string;
  profile?: string;
  region?: string;
  identityFile?: string;
}

export function muxDirectory(stateDirectory: string): string {
  return join(stateDirectory, 'mux');
}

export function muxKey(target: MuxTarget, env: Record<string, string | undefined>): string {
  const identity = {
    endpoint: env.AWS_ENDPOINT_URL ?? '',
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    profile: target.profile ?? env.AWS_PROFILE ?? '',
    region: target.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '',
    target: target.target,
    user: target.user ?? '',
    port: target.port ?? Number(env.EIC_SSH_PORT ?? 22),
    via: target.via,
    eiceId: target.eiceId ?? '',
    identityFile: target.identityFile ?? '',
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 20);
}

export function socketPath(directory: string, key: string): string {
  const path = join(directory, `${key}.sock`);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new EicError('LOCAL_IO', `connection reuse: the socket path ${path} is too long for a Unix socket`, {
      hint: 'set EIC_SSH_HOME to a shorter directory, or use --no-reuse',
    });
  }
  return path;
}

// The directory only we may enter: created 0700, and tightened if it exists looser.
// The socket inside is then unreachable to others even before its own chmod 0600,
// and nobody else can plant a socket there that would receive our sessions: a
// directory owned by another user is refused (clients check it too, before connecting).
export async function ensurePrivateDirectory(directory: string, uid: number = userInfo().uid): Promise<void> {
  let info;
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    info = await stat(directory);
  } catch (error) {
    // A read-only home, a file where the directory should be: one clear error, which
    // callers for whom reuse is only a default turn into "connect by yourself".
    throw new EicError('LOCAL_IO', `connection reuse: cannot create ${directory} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: 'set EIC_SSH_HOME to a writable directory of your own, or use --no-reuse',
      cause: error,
    });
  }
  if (info.uid !== uid) {
    throw new EicError('LOCAL_IO', `connection reuse: ${directory} belongs to another user (uid ${info.uid})`, {
      hint: 'remove it, set EIC_SSH_HOME to a directory of your own, or use --no-reuse',
    });
  }
  if ((info.mode & 0o077) !== 0) await chmod(directory, 0o700);
}

// "10m", "30s", "1h", "500ms" or plain seconds ("90"), like ControlPersist's TIME FORMATS.
export function parseDuration(value: string, what: string): number {
  const match = /^(\d{1,7})(ms|s|m|h)?$/.exec(value.trim());
  const unit = match?.[2] ?? 's';
  const ms = match ? Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]! : NaN;
  if (!(ms >= 1 && ms <= 7 * 24 * 3_600_000)) {
    throw new UsageError(`${what}: '${value}' is not a duration`, 'for example 30s, 10m or 1h (at most 7 days)');
  }
  return ms;
}
