// `eic-ssh reuse`: lists the connection-reuse masters (socket, target, age, idle,
// pid) and stops them; `reuse --master` (hidden) is the master process itself, as
// started by mux-session.ts: it connects like `eic-ssh` does, listens on the private
// socket, says "ready", and serves sessions until idle (src/mux/master.ts).
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { askMaster } from '../mux/client.js';
import { linkAliases, removeDanglingAliases, splitSockets, unlinkAliases } from '../mux/alias.js';
import { startMaster } from '../mux/master.js';
import { ensurePrivateDirectory, muxDirectory } from '../mux/paths.js';
import { STATUS, STOP, type MasterStatus } from '../mux/protocol.js';
import { parseWithCommander } from './commander-parse.js';
import { connectToInstance } from './connect-instance.js';
import { stateDir } from './state-dir.js';
import { masterLogPath, MUX_OPTIONS_ENV, MUX_SOCKET_ENV } from './mux-session.js';
import type { SshOptions } from './ssh-args.js';
import { loadUserConfig } from './user-config.js';
import { verbose } from './verbose.js';

const REUSE_HELP_AFTER = `
Connection reuse is on by default, like ssh's ControlMaster auto with ControlPersist:
the first eic-ssh [user@]TARGET starts a master that keeps its authenticated
connection on a private socket in ~/.eic-ssh/mux; later eic-ssh, eic-scp and
eic-ssh run invocations to the same target go through it (no key push, no SSH
handshake) until it has been idle for --persist (default 5m, or EIC_SSH_PERSIST,
or Persist in ~/.eic-ssh/config). Off: --no-reuse, EIC_SSH_REUSE=0, or Reuse no in
~/.eic-ssh/config; ssh's -o ControlMaster=no, -S none, -O check and -O exit work too.
`;

interface ReuseFlags {
  list?: boolean;
  stop?: boolean | string;
  master?: boolean;
}

export async function reuseCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  const program = new Command('eic-ssh reuse')
    .description('List or stop the background masters that keep connections for reuse (on by default; eic-ssh --no-reuse opts out)')
    .usage('[--list | --stop [TARGET]]')
    .option('--list', 'list the masters: socket, target, age, idle time, pid (the default)')
    .option('--stop [target]', 'stop every master, or those for TARGET ([user@]name, instance id)')
    .addOption(new Option('--master').hideHelp())
    .addHelpText('after', REUSE_HELP_AFTER);
  const flags = parseWithCommander<ReuseFlags>(program, argv, io, 'reuse');
  if (flags === 'help-shown') return 0;
  if (flags.master) return runMasterProcess(io, deps);
  if (flags.list && flags.stop !== undefined) throw new UsageError('reuse: choose one of --list and --stop', 'see eic-ssh reuse --help');
  const masters = await liveMasters(io, deps);
  if (flags.stop !== undefined) {
    const wanted = typeof flags.stop === 'string' ? flags.stop : undefined;
    const chosen = masters.filter((m) => wanted === undefined || matches(m.status, wanted));
    if (wanted !== undefined && chosen.length === 0) {
      throw new UsageError(`reuse: no master for '${wanted}'`, 'list them with: eic-ssh reuse --list');
    }
    for (const m of chosen) {
      await askMaster(m.socket, STOP);
      io.stderr.write(`Stopped the master for ${m.status.target} (pid ${m.status.pid})\n`);
    }
    return 0;
  }
  const now = deps.now();
  if (masters.length > 0) io.stdout.write('SOCKET\tTARGET\tAGE\tIDLE\tPID\n');
  for (const { socket, status } of masters) {
    const idle = status.idleSince === null ? `busy(${status.sessions})` : seconds(now - status.idleSince);
    io.stdout.write(`${socket}\t${status.target}\t${seconds(now - status.startedAt)}\t${idle}\t${status.pid}\n`);
  }
  return 0;
}

function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))}s`;
}

function matches(status: MasterStatus, wanted: string): boolean {
  const instanceUser = status.target.split(' ')[0];
  const [, instanceId] = instanceUser.split('@');
  const typedHost = status.typed.includes('@') ? status.typed.slice(status.typed.lastIndexOf('@') + 1) : status.typed;
  return [status.typed, typedHost, instanceUser, instanceId].includes(wanted);
}

// Every socket in the mux directory whose master answers; stale ones are removed.
async function liveMasters(io: Io, deps: Deps): Promise<Array<{ socket: string; status: MasterStatus }>> {
  const directory = muxDirectory(stateDir(io.env, deps.homeDir));
  const names = await readdir(directory).catch(() => [] as string[]);
  const found: Array<{ socket: string; status: MasterStatus }> = [];
  // Aliases (alias.ts: the same master under its instance id's key) are not listed again.
  const { sockets, aliases } = await splitSockets(directory, names);
  for (const socket of sockets) {
    const status = await askMaster(socket, STATUS);
    if (status) found.push({ socket, status });
  }
  await removeDanglingAliases(aliases);
  return found;
}

// The master process (started detached, stderr in a private log file, IPC channel to
// the starting invocation). Never started by hand.
async function runMasterProcess(io: Io, deps: Deps): Promise<number> {
  const optionsJson = io.env[MUX_OPTIONS_ENV];
  const path = io.env[MUX_SOCKET_ENV];
  if (!optionsJson || !path || !deps.notifyReady) {
    throw new UsageError('reuse --master is started by eic-ssh itself', 'use eic-ssh --reuse [user@]TARGET');
  }
  const options = JSON.parse(optionsJson) as SshOptions & { persistMs: number };
  const v = verbose(io, options.verbosity, deps.now);
  // The same host-key source default as a direct `eic-ssh` (ssh.ts).
  const config = await loadUserConfig(io.env, deps.homeDir);
  const { client, reached, route, routeId, keyFingerprint } = await connectToInstance({ ...options, hostKeySource: options.hostKeySource ?? config.hostKeySource }, io, deps, v);
  await ensurePrivateDirectory(join(path, '..'));
  const master = await listenOnce(() =>
    startMaster({
      client,
      socketPath: path,
      persistMs: options.persistMs,
      target: `${reached.osUser}@${reached.instance.instanceId} (${route})`,
      typed: options.user ? `${options.user}@${options.target}` : (options.target ?? ''),
      pid: deps.pid ?? 0,
      now: deps.now,
      facts: {
        instance: reached.instance.instanceId,
        osUser: reached.osUser,
        route,
        ...(routeId ? { routeId } : {}),
        keyFingerprint,
        ...(reached.pushRequestId() ? { pushRequestId: reached.pushRequestId() } : {}),
        connectedAt: deps.now(),
      },
    }),
    path,
  );
  // Also reachable under the key of user@instance-id, for `eic-ssh run` (alias.ts);
  // linked before "ready", so the invocation that started us returns with it in place.
  const aliases = master
    ? await linkAliases(path, { ...options, target: options.target ?? '' }, { instanceId: reached.instance.instanceId, osUser: reached.osUser, route }, io.env)
    : [];
  deps.notifyReady();
  if (!master) {
    // Another invocation's master won the race for this socket: it serves instead.
    client.end();
    return 0;
  }
  await master.done;
  await unlinkAliases(path, aliases);
  await unlink(masterLogPath(path)).catch(() => {});
  return 0;
}

// Listen; if the socket is taken by a live master → undefined; if by a stale file →
// remove it and listen once more.
async function listenOnce<T>(start: () => Promise<T>, path: string): Promise<T | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return await start();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (await askMaster(path, STATUS)) return undefined;
      await unlink(path).catch(() => {});
    }
  }
  throw new EicError('LOCAL_IO', `connection reuse: cannot listen on ${path}`, { hint: 'remove it, or use --no-reuse' });
}
