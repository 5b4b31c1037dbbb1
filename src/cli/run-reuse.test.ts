// run's master lookup (run-reuse.ts) against stand-in masters on real Unix sockets in
// a temp state directory: the on/off switches, the key run computes per host (the -l
// user, or the user inferred from the image), the master's own word checked before
// use, and no lookup at all (not even DescribeImages) when no master exists.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testIo } from '../../test/support/test-io.js';
import type { ImageInfo } from '../aws/aws.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import { systemDeps } from '../deps.js';
import { muxKey, socketPath } from '../mux/paths.js';
import { encodeJson, STATUS_REPLY, type MasterStatus } from '../mux/protocol.js';
import { runReuse, runReuseWanted, type RunReuseOptions } from './run-reuse.js';

const ENV = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_REGION: 'us-east-1' };
const instance = { instanceId: 'i-0123456789abcdef0', imageId: 'ami-0b2f3e4d5c6b7a899', state: 'running' } as InstanceInfo;
const ubuntuImage: ImageInfo = { imageId: 'ami-0b2f3e4d5c6b7a899', name: 'ubuntu/images/hvm-ssd/ubuntu-noble-24.04-amd64-server' };

describe('runReuseWanted', () => {
  it.each([
    [{ reuse: true }, {}, {}, true],
    [{ reuse: false }, { EIC_SSH_REUSE: '1' }, {}, false],
    [{ reuse: true }, { EIC_SSH_REUSE: '0' }, {}, false],
    [{ reuse: true }, { EIC_SSH_REUSE: 'no' }, { reuse: true }, false],
    [{ reuse: true }, {}, { reuse: false }, false],
    [{ reuse: true }, { EIC_SSH_REUSE: 'yes' }, { reuse: false }, true],
  ])('%j with env %j and config %j → %s', (options, env, config, wanted) => {
    expect(runReuseWanted(options, env, config)).toBe(wanted);
  });

  it('a value of EIC_SSH_REUSE that is not yes or no is a usage error', () => {
    expect(() => runReuseWanted({ reuse: true }, { EIC_SSH_REUSE: 'maybe' })).toThrow(/EIC_SSH_REUSE='maybe'/);
  });
});

let home: string;
let state: string;
let servers: Server[];
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'eic-run-reuse-'));
  state = join(home, 'state');
  servers = [];
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(home, { recursive: true, force: true });
});

async function fakeMaster(key: string, target: string): Promise<void> {
  const dir = join(state, 'mux');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const status: MasterStatus = { pid: 99, target, typed: 'web-1', startedAt: 0, idleSince: 0, sessions: 0, persistMs: 60_000 };
  const server = createServer((socket) => socket.once('data', () => socket.end(encodeJson(STATUS_REPLY, status))));
  await new Promise<void>((resolve) => server.listen(socketPath(dir, key), resolve));
  servers.push(server);
}

function lookup(options: Partial<RunReuseOptions>, env: Record<string, string> = {}, config: { reuse?: boolean } = {}) {
  const imagesAsked: string[][] = [];
  const aws = {
    describeImages: async (ids: string[]) => {
      imagesAsked.push(ids);
      return [ubuntuImage];
    },
  };
  const io = testIo({ env: { ...ENV, EIC_SSH_HOME: state, ...env } });
  const reuse = runReuse({ reuse: true, via: 'auto', ...options }, aws, io, { ...systemDeps(), homeDir: home }, config);
  return { reuse, imagesAsked };
}

describe('runReuse', () => {
  it('no socket in the mux directory: no lookup, no DescribeImages', async () => {
    const { reuse, imagesAsked } = lookup({});
    expect(await reuse).toBeUndefined();
    mkdirSync(join(state, 'mux'), { recursive: true });
    writeFileSync(join(state, 'mux', 'x.log'), '');
    expect(await lookup({}).reuse).toBeUndefined();
    expect(imagesAsked).toEqual([]);
  });

  it('finds the master under user@instance-id, the user inferred from the image', async () => {
    await fakeMaster(muxKey({ target: instance.instanceId, user: 'ubuntu', via: 'auto' }, ENV), `ubuntu@${instance.instanceId} (eice)`);
    const { reuse, imagesAsked } = lookup({});
    const found = await (await reuse)!.find(instance);
    expect(found?.route).toBe('eice');
    found?.connection.end();
    expect(imagesAsked).toEqual([[ubuntuImage.imageId]]);
    // The image's user is cached: the next lookup asks nothing.
    const again = lookup({});
    (await (await again.reuse)!.find(instance))?.connection.end();
    expect(again.imagesAsked).toEqual([]);
  });

  it('-l, the port, route, profile and region are part of the key', async () => {
    await fakeMaster(muxKey({ target: instance.instanceId, user: 'admin', via: 'direct', port: 2222, region: 'eu-west-1' }, ENV), `admin@${instance.instanceId} (direct)`);
    const found = await (await lookup({ user: 'admin', via: 'direct', port: 2222, region: 'eu-west-1' }).reuse)!.find(instance);
    expect(found?.route).toBe('direct');
    found?.connection.end();
    for (const other of [{ user: 'ubuntu' }, { port: 22 }, { via: 'auto' as const }, { region: 'us-east-1' }, { profile: 'ops' }]) {
      const options = { user: 'admin', via: 'direct' as const, port: 2222, region: 'eu-west-1', ...other };
      expect(await (await lookup(options).reuse)!.find(instance)).toBeUndefined();
    }
  });

  it('a master that says it is someone else is not used', async () => {
    await fakeMaster(muxKey({ target: instance.instanceId, user: 'admin', via: 'auto' }, ENV), 'admin@i-0fedcba9876543210 (direct)');
    expect(await (await lookup({ user: 'admin' }).reuse)!.find(instance)).toBeUndefined();
  });

  it('--no-reuse, EIC_SSH_REUSE=0 and `Reuse no` in the config: no lookup', async () => {
    await fakeMaster(muxKey({ target: instance.instanceId, user: 'admin', via: 'auto' }, ENV), `admin@${instance.instanceId} (direct)`);
    expect(await lookup({ user: 'admin', reuse: false }).reuse).toBeUndefined();
    expect(await lookup({ user: 'admin' }, { EIC_SSH_REUSE: '0' }).reuse).toBeUndefined();
    expect(await lookup({ user: 'admin' }, {}, { reuse: false }).reuse).toBeUndefined();
    expect(await lookup({ user: 'admin' }, { EIC_SSH_REUSE: '1' }, { reuse: false }).reuse).toBeDefined();
  });
});
