// OpenSSH through `eic-ssh proxy` on every route: the proxy only relays the route's
// Duplex, so ssh and scp must work over EICE and SSM exactly as over direct TCP;
// and eic-ssh's own -L works over those routes too. Needs `npm run build` first.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runInBackground, startEchoHttp, type EchoHttp } from '../support/forward-helpers.js';
import { openSshHome, type OpenSshHome } from '../support/openssh.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let http: EchoHttp;
const homes: OpenSshHome[] = [];
let db1: string;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  http = await startEchoHttp();
  db1 = sandbox.instance('db-1').instanceId; // private: no direct route from here
  user = sandbox.userOf('db-1');
});
afterAll(async () => {
  for (const h of homes) h.close();
  await http?.close();
  await sandbox?.close();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe.each([['eice'], ['ssm'], ['auto']])('ssh and scp through eic-ssh proxy --via %s', (via) => {
  let h: OpenSshHome;
  beforeAll(async () => {
    h = await openSshHome(sandbox, { configArgs: via === 'auto' ? [] : ['--via', via] });
    homes.push(h);
  });

  it('runs a command on the private instance', async () => {
    sandbox.world.calls.length = 0;
    const result = await h.run('ssh', h.sshArgs(`${user}@${db1}`, 'echo over-the-route; exit 3'));
    expect(result.stdout.toString()).toBe('over-the-route\n');
    expect(result.code, result.stderr).toBe(3);
    const operations = sandbox.world.operations();
    if (via === 'ssm') expect(operations).toContain('StartSession');
    if (via === 'eice') expect(operations).toContain('DescribeInstanceConnectEndpoints');
  });

  it('copies 2 MiB up and back with scp byte-exact', async () => {
    const local = join(h.home, 'route.bin');
    const payload = randomBytes(2 * 1024 * 1024 + 3);
    writeFileSync(local, payload);
    const remote = `/tmp/eic-proxy-${via}-${randomBytes(4).toString('hex')}.bin`;
    const up = await h.run('scp', [...h.sshArgs(), local, `${user}@${db1}:${remote}`]);
    expect(up.code, up.stderr).toBe(0);
    const down = await h.run('scp', [...h.sshArgs(), `${user}@${db1}:${remote}`, `${local}.back`]);
    expect(down.code, down.stderr).toBe(0);
    expect(sha256(readFileSync(`${local}.back`))).toBe(sha256(payload));
    await h.run('ssh', h.sshArgs(`${user}@${db1}`, `rm -f ${remote}`));
  });
});

describe.each([['eice'], ['ssm']])('eic-ssh -L over --via %s', (via) => {
  it('forwards to a real HTTP server', async () => {
    const local = await freePort();
    const bg = runInBackground(sandbox, ['--via', via, '-N', '-v', '-L', `${local}:127.0.0.1:${http.port}`, `${user}@db-1`]);
    await bg.waitForStderr(/forward +-L/);
    const body = await fetch(`http://127.0.0.1:${local}/over-${via}`).then((r) => r.text());
    expect(body).toBe(`hello /over-${via}`);
    bg.io.signal('SIGINT');
    expect(await bg.done).toBe(0);
  });
});
