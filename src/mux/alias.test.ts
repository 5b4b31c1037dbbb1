// Master aliases (alias.ts) over real Unix sockets and symbolic links in a temp
// directory: the keys, linking where no live master answers, reaching a master
// through its link, removal at exit only of our own link, and the directory scan
// that keeps `reuse --list` from listing a master twice.
import { existsSync, lstatSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addAlias, aliasKeys, linkAliases, removeAlias, removeDanglingAliases, splitSockets, unlinkAliases } from './alias.js';
import { askMaster } from './client.js';
import { muxKey, socketPath } from './paths.js';
import { encodeJson, STATUS, STATUS_REPLY, type MasterStatus } from './protocol.js';

const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_REGION: 'us-east-1' };
const ID = 'i-0123456789abcdef0';

let dir: string;
let servers: Server[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eic-alias-'));
  servers = [];
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

// A stand-in master: answers every request with its STATUS_REPLY.
async function fakeMaster(name: string, pid: number): Promise<string> {
  const path = join(dir, name);
  const status: MasterStatus = { pid, target: `ec2-user@${ID} (direct)`, typed: 'web-1', startedAt: 0, idleSince: 0, sessions: 0, persistMs: 1000 };
  const server = createServer((socket) => socket.once('data', () => socket.end(encodeJson(STATUS_REPLY, status))));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  servers.push(server);
  return path;
}

describe('aliasKeys', () => {
  const connected = { instanceId: ID, osUser: 'ec2-user', route: 'direct' };

  it('an auto master: user@instance-id with auto and with the route it got', () => {
    const keys = aliasKeys({ target: 'web-1', via: 'auto' }, connected, env);
    expect(keys).toEqual([
      muxKey({ target: ID, user: 'ec2-user', via: 'auto' }, env),
      muxKey({ target: ID, user: 'ec2-user', via: 'direct' }, env),
    ]);
  });

  it('keeps the other options (port, profile, region, identity file) and the asked route', () => {
    const typed = { target: 'web-1', user: 'ec2-user', via: 'eice' as const, port: 2222, profile: 'ops', region: 'eu-west-1', identityFile: '/k' };
    expect(aliasKeys(typed, { ...connected, route: 'eice' }, env)).toEqual([muxKey({ ...typed, target: ID }, env)]);
  });

  it('nothing when the master was typed as user@instance-id with the route it got', () => {
    expect(aliasKeys({ target: ID, user: 'ec2-user', via: 'direct' }, connected, env)).toEqual([]);
    // Typed by id with auto: only the route-specific alias is new.
    expect(aliasKeys({ target: ID, user: 'ec2-user', via: 'auto' }, connected, env)).toEqual([muxKey({ target: ID, user: 'ec2-user', via: 'direct' }, env)]);
  });

  it('an inferred user (none typed) is keyed by the user the master logged in as', () => {
    const [key] = aliasKeys({ target: 'web-1', via: 'auto' }, { ...connected, osUser: 'ubuntu' }, env);
    expect(key).toBe(muxKey({ target: ID, user: 'ubuntu', via: 'auto' }, env));
    expect(key).not.toBe(muxKey({ target: ID, via: 'auto' }, env));
  });
});

describe('addAlias / removeAlias', () => {
  it('links a relative symlink through which the master answers, and removes it', async () => {
    const master = await fakeMaster('m.sock', 1);
    const alias = join(dir, 'a.sock');
    expect(await addAlias(master, alias)).toBe(true);
    expect(lstatSync(alias).isSymbolicLink()).toBe(true);
    expect(readlinkSync(alias)).toBe('m.sock');
    expect((await askMaster(alias, STATUS))?.pid).toBe(1);
    expect(await addAlias(master, alias)).toBe(true); // already ours
    await removeAlias(master, alias);
    expect(existsSync(alias)).toBe(false);
    expect(lstatSync(master).isSocket()).toBe(true);
  });

  it('leaves a key another live master serves to it, and never removes its link', async () => {
    const first = await fakeMaster('m.sock', 1);
    const second = await fakeMaster('n.sock', 2);
    const alias = join(dir, 'a.sock');
    expect(await addAlias(first, alias)).toBe(true);
    expect(await addAlias(second, alias)).toBe(false);
    expect(readlinkSync(alias)).toBe('m.sock');
    await removeAlias(second, alias);
    expect(readlinkSync(alias)).toBe('m.sock');
    // A live master's own socket at that path is kept too.
    expect(await addAlias(first, second)).toBe(false);
    expect(lstatSync(second).isSocket()).toBe(true);
  });

  it('replaces a dangling link (its master was killed) and a plain stale file', async () => {
    const master = await fakeMaster('m.sock', 1);
    const dangling = join(dir, 'd.sock');
    symlinkSync('gone.sock', dangling);
    expect(await addAlias(master, dangling)).toBe(true);
    expect(readlinkSync(dangling)).toBe('m.sock');
    const stale = join(dir, 's.sock');
    writeFileSync(stale, '');
    // Not a socket: askMaster fails to connect (ECONNREFUSED), the file is replaced.
    expect(await addAlias(master, stale)).toBe(true);
    expect(readlinkSync(stale)).toBe('m.sock');
  });

  it('refuses a path outside the master directory or the socket itself', async () => {
    const master = await fakeMaster('m.sock', 1);
    const elsewhere = mkdtempSync(join(tmpdir(), 'eic-alias-other-'));
    try {
      expect(await addAlias(master, join(elsewhere, 'a.sock'))).toBe(false);
      expect(existsSync(join(elsewhere, 'a.sock'))).toBe(false);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
    expect(await addAlias(master, master)).toBe(false);
  });
});

describe('linkAliases / unlinkAliases', () => {
  it('links every alias key of a connected master and removes them at exit', async () => {
    const typed = { target: 'web-1', user: 'ec2-user', via: 'auto' as const };
    const master = await fakeMaster(`${muxKey(typed, env)}.sock`, 7);
    const connected = { instanceId: ID, osUser: 'ec2-user', route: 'direct' };
    const made = await linkAliases(master, typed, connected, env);
    expect(made).toEqual(aliasKeys(typed, connected, env).map((k) => socketPath(dir, k)));
    expect(made).toHaveLength(2);
    // What `eic-ssh run` computes for this host finds the master.
    const runKey = muxKey({ target: ID, user: 'ec2-user', via: 'auto' }, env);
    expect((await askMaster(socketPath(dir, runKey), STATUS))?.pid).toBe(7);
    await unlinkAliases(master, made);
    for (const path of made) expect(existsSync(path)).toBe(false);
  });
});

describe('splitSockets / removeDanglingAliases', () => {
  it('tells sockets from aliases, and removes only the dangling aliases', async () => {
    const master = await fakeMaster('m.sock', 1);
    symlinkSync('m.sock', join(dir, 'a.sock'));
    symlinkSync('gone.sock', join(dir, 'd.sock'));
    writeFileSync(join(dir, 'm.log'), '');
    const { sockets, aliases } = await splitSockets(dir, ['m.log', 'd.sock', 'm.sock', 'a.sock', 'vanished.sock']);
    expect(sockets).toEqual([master]);
    expect(aliases).toEqual([join(dir, 'a.sock'), join(dir, 'd.sock')]);
    await removeDanglingAliases(aliases);
    expect(existsSync(join(dir, 'a.sock'))).toBe(true);
    expect(() => lstatSync(join(dir, 'd.sock'))).toThrow();
  });
});
