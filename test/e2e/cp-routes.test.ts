// eic-scp over every route to a private instance (db-1): through an EC2 Instance
// Connect Endpoint and through Session Manager, a file both ways byte-exact,
// a tree with -rp, and one key push per copy on each route.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownTree, dirFor, makeTree, sha256File, walk, writeBigFile } from '../support/cp-fixtures.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('db-1');
});
afterAll(async () => sandbox?.close());

describe.each(['eice', 'ssm'])('eic-scp --via %s', (route) => {
  // Session Manager carries far fewer bytes per second than a TCP route: a smaller file.
  const size = route === 'ssm' ? 4 * 1024 * 1024 : 20 * 1024 * 1024;
  it(`copies ${route === 'ssm' ? 4 : 20} MiB up and back down byte-exact with one push each way`, async () => {
    const local = dirFor(user, 'eic-scp-route-l-');
    const remote = dirFor(user, 'eic-scp-route-r-');
    writeBigFile(join(local, 'payload.bin'), size);
    const sha = await sha256File(join(local, 'payload.bin'));
    sandbox.world.calls.length = 0;
    const up = await sandbox.run(['cp', '--via', route, join(local, 'payload.bin'), `${user}@db-1:${remote}/`]);
    expect(up.code, up.stderr).toBe(0);
    expect(sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey')).toHaveLength(1);
    expect(await sha256File(join(remote, 'payload.bin'))).toBe(sha);
    const down = await sandbox.run(['cp', '-q', '--via', route, `${user}@db-1:${remote}/payload.bin`, join(local, 'back.bin')]);
    expect(down.code, down.stderr).toBe(0);
    expect(await sha256File(join(local, 'back.bin'))).toBe(sha);
    rmSync(local, { recursive: true });
    rmSync(remote, { recursive: true });
  });

  it('copies a tree with -rp', async () => {
    const local = dirFor(user, 'eic-scp-route-l-');
    const remote = dirFor(user, 'eic-scp-route-r-');
    mkdirSync(join(remote, 'tree'));
    makeTree(join(remote, 'tree'));
    chownTree(join(remote, 'tree'), user);
    const result = await sandbox.run(['cp', '-rpq', '--via', route, `${user}@db-1:${remote}/tree`, local]);
    expect(result.code, result.stderr).toBe(0);
    expect(walk(join(local, 'tree'))).toEqual(walk(join(remote, 'tree')));
    expect(readFileSync(join(local, 'tree', 'top.txt'), 'utf8')).toBe('top level\n');
  });
});
