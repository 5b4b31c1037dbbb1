// `eic-ssh run` through live connection-reuse masters: for each selected instance, the
// master that `eic-ssh [user@]TARGET` left running for it, found under its alias key
// (src/mux/alias.ts: instance id + the OS user run logs in as + run's port, route,
// profile and region), serves the command with no key push and no SSH handshake.
// run never STARTS a master (a detached process per host of a fleet command would
// surprise), and looks only when the mux directory has sockets at all, so a run with
// no masters costs nothing more. On unless --no-reuse, EIC_SSH_REUSE=0 or `Reuse no`
// in the user config (the same switches as ssh's reuse, mux-session.ts).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Aws } from '../aws/aws.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import { fileOsUserCache, inferOsUser } from '../aws/os-user.js';
import type { Deps } from '../deps.js';
import { EicError } from '../errors.js';
import type { Io } from '../io.js';
import { askMaster, connectMaster, MuxConnection } from '../mux/client.js';
import { ensurePrivateDirectory, muxDirectory, muxKey, socketPath } from '../mux/paths.js';
import { STATUS } from '../mux/protocol.js';
import type { Via } from '../tunnel/route.js';
import { reuseFromEnv } from './mux-session.js';
import { DEFAULT_OS_USER } from './reach-instance.js';
import { stateDir } from './state-dir.js';

export interface RunReuseOptions {
  reuse: boolean; // false: --no-reuse
  user?: string;
  port?: number;
  via: Via;
  profile?: string;
  region?: string;
}

export interface ReusedHost {
  connection: MuxConnection;
  // The master's route (what it connected over), as `reuse --list` shows it.
  route: string;
  socket: string;
}

export interface RunReuse {
  // A session through this instance's live master, or undefined: connect as usual.
  find(instance: InstanceInfo): Promise<ReusedHost | undefined>;
}

// --no-reuse, then EIC_SSH_REUSE (a value that is not yes or no is a usage error),
// then the user config's Reuse; on by default.
export function runReuseWanted(options: { reuse: boolean }, env: Record<string, string | undefined>, config: { reuse?: boolean } = {}): boolean {
  if (!options.reuse) return false;
  return reuseFromEnv(env) ?? config.reuse ?? true;
}

// undefined when reuse is off or no master can exist (no socket in the mux directory).
// A mux directory of another user is never entered (paths.ts): an error when
// EIC_SSH_REUSE=1 asked for reuse, else every host simply connects by itself.
export async function runReuse(
  options: RunReuseOptions,
  aws: Pick<Aws, 'describeImages'>,
  io: Io,
  deps: Deps,
  config: { reuse?: boolean } = {},
): Promise<RunReuse | undefined> {
  if (!runReuseWanted(options, io.env, config)) return undefined;
  const state = stateDir(io.env, deps.homeDir);
  const directory = muxDirectory(state);
  const names = await readdir(directory).catch(() => [] as string[]);
  if (!names.some((n) => n.endsWith('.sock'))) return undefined;
  try {
    await ensurePrivateDirectory(directory);
  } catch (error) {
    if (reuseFromEnv(io.env) === true || !(error instanceof EicError)) throw error;
    return undefined;
  }
  const users = fileOsUserCache(join(state, 'os-users.json'));
  return {
    async find(instance) {
      // The user run would log in as (reach-instance.ts): -l, else inferred from the
      // image (cached by image id, so the later connect pays nothing for it).
      const user = options.user ?? (await inferOsUser(aws, instance.imageId, users))?.user ?? DEFAULT_OS_USER;
      const key = muxKey({ target: instance.instanceId, user, port: options.port, via: options.via, profile: options.profile, region: options.region }, io.env);
      try {
        const path = socketPath(directory, key);
        const status = await askMaster(path, STATUS);
        // The key says who it is; the master's own word must agree before we use it.
        if (!status || !status.target.startsWith(`${user}@${instance.instanceId} `)) return undefined;
        const route = /\(([a-z]+)\)$/.exec(status.target)?.[1] ?? 'reused';
        const socket = await connectMaster(path);
        return socket ? { connection: new MuxConnection(socket), route, socket: path } : undefined;
      } catch {
        // Not a socket, not ours to enter, or too long a path: connect by ourselves.
        return undefined;
      }
    },
  };
}
