// Aliases of a connection-reuse master. A master's socket is keyed by the target as
// typed (paths.ts muxKey: "web-1"), but `eic-ssh run` knows only the instances its
// selector resolved to. Once connected, a master knows its instance id and OS user,
// so it also answers under the key that `user@instance-id` (with its other options)
// would have: a symbolic link <alias key>.sock → <its key>.sock in the same private
// 0700 directory (connect(2) on a Unix socket path follows symlinks; bind(2) never
// does, so a master starting for that key finds the path taken and uses ours).
// The link is relative (just the socket's file name), made only where no live
// master answers, and removed when the master exits if it still points at it. A
// master killed outright leaves a dangling link: `reuse --list` removes those, and
// a lookup through one finds nothing (ENOENT), as for a missing socket.
import { lstat, readlink, stat, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { askMaster } from './client.js';
import { muxKey, socketPath, type MuxTarget } from './paths.js';
import { STATUS } from './protocol.js';

// The keys a connected master also answers under: the instance id with the OS user it
// logged in as, with the route it asked for, and (when that was auto) with the route
// it got, since `run --via direct` reaches an auto master that went direct the same way.
export function aliasKeys(
  typed: MuxTarget,
  connected: { instanceId: string; osUser: string; route: string },
  env: Record<string, string | undefined>,
): string[] {
  const own = muxKey(typed, env);
  const vias = typed.via === 'auto' ? ['auto', connected.route] : [typed.via];
  const keys = vias.map((via) => muxKey({ ...typed, target: connected.instanceId, user: connected.osUser, via }, env));
  return [...new Set(keys)].filter((key) => key !== own);
}

// Links aliasPath to the master's socket; false when another live master already
// answers there (it keeps serving that key). At most two attempts: one stale path
// (a socket or link whose master is gone) is removed in between.
export async function addAlias(masterSocket: string, aliasPath: string): Promise<boolean> {
  if (aliasPath === masterSocket || dirname(aliasPath) !== dirname(masterSocket)) return false;
  const name = basename(masterSocket);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await symlink(name, aliasPath);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await pointsAt(aliasPath, name)) return true; // left by this key's previous master: ours again
    if (await askMaster(aliasPath, STATUS)) return false;
    await unlink(aliasPath).catch(() => {});
  }
  return false;
}

// Removes aliasPath if it is still a link to the master's socket.
export async function removeAlias(masterSocket: string, aliasPath: string): Promise<void> {
  if (await pointsAt(aliasPath, basename(masterSocket))) await unlink(aliasPath).catch(() => {});
}

// The masters' own sockets and the aliases among the names in the mux directory.
export async function splitSockets(directory: string, names: string[]): Promise<{ sockets: string[]; aliases: string[] }> {
  const sockets: string[] = [];
  const aliases: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.sock')).sort()) {
    const path = join(directory, name);
    const info = await lstat(path).catch(() => undefined);
    if (info) (info.isSymbolicLink() ? aliases : sockets).push(path);
  }
  return { sockets, aliases };
}

// Removes the aliases whose master's socket is gone (call it after the stale sockets
// themselves were removed).
export async function removeDanglingAliases(aliases: string[]): Promise<void> {
  for (const path of aliases) {
    if (!(await stat(path).then(() => true, () => false))) await unlink(path).catch(() => {});
  }
}

// The master process's step once it listens: links every alias it can; returns those
// it made (to remove at exit). Never fails: without an alias the master still serves
// its own key, and `run` then simply connects by itself.
export async function linkAliases(
  masterSocket: string,
  typed: MuxTarget,
  connected: { instanceId: string; osUser: string; route: string },
  env: Record<string, string | undefined>,
): Promise<string[]> {
  const made: string[] = [];
  for (const key of aliasKeys(typed, connected, env)) {
    try {
      const path = socketPath(dirname(masterSocket), key);
      if (await addAlias(masterSocket, path)) made.push(path);
    } catch {
      // A path too long for a Unix socket, or a file system refusing links: no alias.
    }
  }
  return made;
}

export async function unlinkAliases(masterSocket: string, aliases: string[]): Promise<void> {
  for (const path of aliases) await removeAlias(masterSocket, path);
}

async function pointsAt(path: string, name: string): Promise<boolean> {
  return readlink(path).then((target) => target === name, () => false);
}
