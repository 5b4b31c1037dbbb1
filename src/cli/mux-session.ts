// Connection reuse for `eic-ssh [user@]TARGET [COMMAND]` (ssh.ts): when reuse is on,
// a session goes through the master of this target's mux key if one is alive (no key
// push, no SSH handshake); if none is, a master is started first as a detached copy
// of eic-ssh (`eic-ssh reuse --master`, reuse.ts) that connects once and then serves
// every later invocation until it has been idle for the persist time.
//
// Reuse is ON by default (as `ControlMaster auto` + `ControlPersist 5m` would be):
// the first session to a target pays for the key push and the handshake once, the
// next ones within the idle time start in milliseconds. It is turned off by
// --no-reuse, EIC_SSH_REUSE=0, or `Reuse no` in the user config (user-config.ts) —
// scripts and CI jobs that must not leave a process behind say so. Embedders calling
// main() in-process (no deps.selfCommand) use a live master but never start one.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { CopyFs } from '../copy/file-system.js';
import { askMaster, connectMaster, MuxConnection } from '../mux/client.js';
import { STATUS, STOP } from '../mux/protocol.js';
import { openMuxFs } from '../mux/fs.js';
import { ensurePrivateDirectory, muxDirectory, muxKey, parseDuration, socketPath } from '../mux/paths.js';
import { stateDir } from './state-dir.js';
import { yesOrNo } from './user-config.js';
import type { SshOptions } from './ssh-args.js';
import { awaitReady } from './await-ready.js';
import { BACKGROUND_CHILD_ENV } from './background.js';
import type { Verbose } from './verbose.js';

export const DEFAULT_PERSIST_MS = 5 * 60_000;
// The master gets its options here (JSON of SshOptions; no secrets: a key file is
// passed by path, as on the command line).
export const MUX_OPTIONS_ENV = 'EIC_SSH_MUX_OPTIONS';
export const MUX_SOCKET_ENV = 'EIC_SSH_MUX_SOCKET';

// The defaults below the command line: EIC_SSH_REUSE, then the user config's Reuse.
export interface ReuseDefaults {
  reuse?: boolean;
  persistMs?: number;
}

export function reuseWanted(options: SshOptions, env: Record<string, string | undefined>, defaults: ReuseDefaults = {}): boolean {
  if (options.reuse === false) return false;
  // Sessions only: forwards, -N and -f keep their own connection.
  if (options.noCommand || options.background) return false;
  if (options.localForwards.length + options.remoteForwards.length + options.dynamicForwards.length > 0) return false;
  if (options.reuse === true || options.persistMs !== undefined) return true;
  return reuseFromEnv(env) ?? defaults.reuse ?? true;
}

// EIC_SSH_REUSE: 1/yes/true/on or 0/no/false/off; unset is undefined; anything else
// is a mistake worth saying (a typo must not silently leave masters behind).
export function reuseFromEnv(env: Record<string, string | undefined>): boolean | undefined {
  const value = env.EIC_SSH_REUSE?.trim();
  if (value === undefined || value === '') return undefined;
  const answer = yesOrNo(value);
  if (answer === undefined) throw new UsageError(`EIC_SSH_REUSE='${value}' is not yes or no`, 'EIC_SSH_REUSE=0 turns connection reuse off, 1 turns it on');
  return answer;
}

export function persistMs(options: SshOptions, env: Record<string, string | undefined>, defaults: ReuseDefaults = {}): number {
  if (options.persistMs !== undefined) return options.persistMs;
  if (env.EIC_SSH_PERSIST) return parseDuration(env.EIC_SSH_PERSIST, 'EIC_SSH_PERSIST');
  return defaults.persistMs ?? DEFAULT_PERSIST_MS;
}

export function muxSocketFor(options: SshOptions, io: Io, deps: Deps): { directory: string; path: string } {
  const directory = muxDirectory(stateDir(io.env, deps.homeDir));
  if (!options.target) throw new EicError('USAGE', 'connection reuse needs a target');
  const key = muxKey({ ...options, target: options.target }, io.env);
  return { directory, path: socketPath(directory, key) };
}

// The open session through a master, or undefined when no master can be used
// (none alive and none can be started in-process): then connect as usual. When reuse
// is only on by default, a state directory that cannot hold a socket (a path too
// long for one, a directory of another user) means "connect as usual", said with -v;
// when --reuse or --persist asked for it, it is an error.
export async function connectReused(
  options: SshOptions,
  io: Io,
  deps: Deps,
  v: Verbose,
  defaults: ReuseDefaults = {},
): Promise<{ connection: MuxConnection; startedMaster: boolean } | { exitCode: number } | undefined> {
  let directory: string;
  let path: string;
  try {
    ({ directory, path } = muxSocketFor(options, io, deps));
    await ensurePrivateDirectory(directory);
  } catch (error) {
    const asked = options.reuse === true || options.persistMs !== undefined || reuseFromEnv(io.env) === true;
    if (asked || !(error instanceof EicError)) throw error;
    v.log(`reuse      off: ${error.message}`);
    return undefined;
  }
  let socket = await connectMaster(path);
  if (socket) {
    v.log(`reuse      ${path}`);
    return { connection: new MuxConnection(socket), startedMaster: false };
  }
  if (!deps.selfCommand || deps.selfCommand.length === 0) return undefined;
  const started = await startMasterProcess({ ...options, persistMs: persistMs(options, io.env, defaults) }, path, io, deps, v);
  if (started !== 0) return { exitCode: started };
  socket = await connectMaster(path);
  if (!socket) throw new EicError('CONNECT', 'connection reuse: the new master is not answering on its socket', { hint: 'try again with --no-reuse' });
  return { connection: new MuxConnection(socket), startedMaster: true };
}

// Starts `eic-ssh reuse --master` detached, with its stderr in a private log file,
// and waits for its "ready" (connected and listening). What it wrote during the
// connect (host-key notices, -v lines, or its error) is copied to our stderr; after
// that it never writes to the terminal. Returns 0 when ready, else its exit status.
async function startMasterProcess(options: SshOptions, path: string, io: Io, deps: Deps, v: Verbose): Promise<number> {
  const self = deps.selfCommand!;
  const logPath = masterLogPath(path);
  const logFd = openSync(logPath, 'w', 0o600);
  const child = (() => {
    try {
      return spawn(self[0], [...self.slice(1), 'reuse', '--master'], {
        detached: true,
        stdio: ['ignore', 'ignore', logFd, 'ipc'],
        env: {
          ...io.env,
          [BACKGROUND_CHILD_ENV]: '1',
          [MUX_OPTIONS_ENV]: JSON.stringify(options),
          [MUX_SOCKET_ENV]: path,
        } as NodeJS.ProcessEnv,
      });
    } finally {
      closeSync(logFd);
    }
  })();
  const relayLog = () => {
    try {
      const text = readFileSync(logPath, 'utf8');
      if (text) io.stderr.write(text);
    } catch {
      // The master removes its log when it exits; nothing to show then.
    }
  };
  let readyPid: number | undefined;
  const code = await awaitReady(child, {
    notReady: 'connection reuse: the master',
    cannotStart: 'connection reuse: cannot start the master',
    timeoutHint: 'try again with --no-reuse',
    onReady: (pid) => (readyPid = pid),
  });
  // The master's own lines (its -v phases) first, then ours about it.
  relayLog();
  if (readyPid !== undefined) v.log(`reuse      started master pid ${readyPid} on ${path}`);
  return code;
}

export function masterLogPath(socket: string): string {
  return socket.replace(/\.sock$/, '.log');
}

// eic-scp / eic-ssh cp: an SFTP session through a LIVE master of the same target,
// unless reuse is off (cp's --no-reuse, EIC_SSH_REUSE=0, `Reuse no`). cp never
// starts a master: a copy is one connection, and scp has no ControlPersist of its own.
export async function reusedCopyFs(
  endpoint: { target: string; user?: string; port?: number; via: string; profile?: string; region?: string; identityFile?: string; reuse?: boolean },
  io: Io,
  deps: Deps,
  v: Verbose,
  defaults: ReuseDefaults = {},
): Promise<(CopyFs & { end(): void }) | undefined> {
  if (endpoint.reuse === false || (reuseFromEnv(io.env) ?? defaults.reuse) === false) return undefined;
  const directory = muxDirectory(stateDir(io.env, deps.homeDir));
  let path: string;
  try {
    path = socketPath(directory, muxKey(endpoint, io.env));
    await ensurePrivateDirectory(directory);
  } catch (error) {
    // No master can live there (a path too long for a socket, a directory not ours).
    if (!(error instanceof EicError)) throw error;
    v.log(`reuse      off: ${error.message}`);
    return undefined;
  }
  const socket = await connectMaster(path);
  if (!socket) return undefined;
  v.log(`reuse      ${path}`);
  return openMuxFs(socket, endpoint.user ? `${endpoint.user}@${endpoint.target}` : endpoint.target);
}

// `eic-ssh -O check|exit [user@]TARGET`, as ssh -O does for a ControlMaster: asks the
// master of this target's mux key, with ssh's messages and exit statuses.
export async function controlRequest(options: SshOptions & { controlCommand: 'check' | 'exit' }, io: Io, deps: Deps): Promise<number> {
  const { path } = muxSocketFor(options, io, deps);
  const reply = await askMaster(path, options.controlCommand === 'check' ? STATUS : STOP);
  if (!reply) {
    io.stderr.write(`Control socket connect(${path}): No such file or directory\n`);
    return 255;
  }
  io.stderr.write(options.controlCommand === 'check' ? `Master running (pid=${reply.pid})\n` : 'Exit request sent.\n');
  return 0;
}
