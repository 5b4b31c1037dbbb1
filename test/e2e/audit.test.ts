// --audit FILE: one JSON line per connection, field by field, for each route; the
// identifiers match what the sandbox's API recorded (the CloudTrail view), and no line
// carries a secret.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => sandbox?.close());

const fingerprint = (publicKey: string) =>
  'SHA256:' + createHash('sha256').update(Buffer.from(publicKey.split(' ')[1], 'base64')).digest('base64').replace(/=+$/, '');
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

function assertNoSecrets(text: string): void {
  expect(text).not.toContain(sandbox.principal.secretAccessKey);
  expect(text).not.toContain(sandbox.principal.accessKeyId);
  expect(text).not.toMatch(/PRIVATE KEY|b3BlbnNzaC1rZXktdjE|X-Amz-Signature|TokenValue/);
}

describe('--audit', () => {
  it.each([
    { route: 'direct', target: 'web-1', via: 'direct' },
    { route: 'eice', target: 'db-1', via: 'eice' },
    { route: 'ssm', target: 'db-1', via: 'ssm' },
  ])('appends one line for a $route connection, field by field', async ({ route, target, via }) => {
    const file = join(sandbox.home, 'audit', `${route}.jsonl`);
    const instance = sandbox.instance(target);
    const user = sandbox.userOf(target);
    const pushesBefore = sandbox.world.pushedKeys.length;
    const tunnelsBefore = sandbox.world.tunnels.length;
    const sessionsBefore = new Set(sandbox.world.ssmSessions.keys());
    const before = sandbox.world.clock.now();

    const result = await sandbox.run(['--via', via, '--audit', file, `${user}@${target}`, 'exit 7']);
    expect(result.code).toBe(7);
    const after = sandbox.world.clock.now();

    const written = lines(file);
    expect(written).toHaveLength(1);
    const record = JSON.parse(written[0]) as Record<string, unknown>;
    const pushes = sandbox.world.pushedKeys.slice(pushesBefore);
    expect(pushes).toHaveLength(1);
    expect(Object.keys(record)).toEqual([
      'time',
      'caller',
      'instance',
      'osUser',
      'route',
      'endpointId',
      'sessionId',
      'keyFingerprint',
      'pushRequestId',
      'exitStatus',
    ]);
    const time = Date.parse(record.time as string);
    expect(new Date(time).toISOString()).toBe(record.time);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
    expect(record.caller).toBe(sandbox.principal.arn);
    expect(record.instance).toBe(instance.instanceId);
    expect(record.osUser).toBe(user);
    expect(record.route).toBe(route);
    const newTunnels = sandbox.world.tunnels.slice(tunnelsBefore);
    expect(record.endpointId).toBe(route === 'eice' ? newTunnels[0].endpointId : null);
    const newSessions = [...sandbox.world.ssmSessions.keys()].filter((id) => !sessionsBefore.has(id));
    expect(record.sessionId).toBe(route === 'ssm' ? newSessions[0] : null);
    if (route === 'ssm') expect(newSessions).toHaveLength(1);
    if (route === 'eice') expect(newTunnels).toHaveLength(1);
    expect(record.keyFingerprint).toBe(fingerprint(pushes[0].publicKey));
    expect(record.pushRequestId).toBe(pushes[0].requestId);
    expect(record.exitStatus).toBe(7);
    expect(sandbox.world.calls.some((c) => c.service === 'sts' && c.operation === 'GetCallerIdentity' && c.status === 200)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    assertNoSecrets(readFileSync(file, 'utf8'));
  });

  it('appends (never truncates), and the Audit line of <state dir>/config is the default', async () => {
    const stateDir = join(sandbox.home, 'state-audit');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'config'), 'Audit ~/audit-default.jsonl\n');
    const file = join(sandbox.home, 'audit-default.jsonl');
    const env = { EIC_SSH_HOME: stateDir };
    const user = sandbox.userOf('web-2');
    expect((await sandbox.run([`${user}@web-2`, 'true'], { env })).code).toBe(0);
    expect((await sandbox.run([`${user}@web-2`, 'exit 3'], { env })).code).toBe(3);
    const written = lines(file).map((l) => JSON.parse(l) as { exitStatus: number; instance: string });
    expect(written.map((r) => r.exitStatus)).toEqual([0, 3]);
    expect(written.every((r) => r.instance === sandbox.instance('web-2').instanceId)).toBe(true);
  });

  it('writes a line with exit status 255 and the error code when the connection fails after the push', async () => {
    const web2 = sandbox.instance('web-2');
    const user = sandbox.userOf('web-2');
    const kh = join(sandbox.home, 'kh-audit-fail');
    expect((await sandbox.run([`${user}@web-2`, 'true'], { env: { EIC_SSH_KNOWN_HOSTS: kh } })).code).toBe(0);
    await sandbox.runtime(web2.instanceId).replaceHostKeys({ updateConsoleOutput: true });
    const file = join(sandbox.home, 'audit', 'refused.jsonl');
    const pushesBefore = sandbox.world.pushedKeys.length;
    const result = await sandbox.run(['--audit', file, `${user}@web-2`, 'true'], { env: { EIC_SSH_KNOWN_HOSTS: kh } });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    const written = lines(file);
    expect(written).toHaveLength(1);
    const pushed = sandbox.world.pushedKeys.slice(pushesBefore);
    expect(JSON.parse(written[0])).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      caller: sandbox.principal.arn,
      instance: web2.instanceId,
      osUser: user,
      route: null,
      endpointId: null,
      sessionId: null,
      keyFingerprint: fingerprint(pushed[0].publicKey),
      pushRequestId: pushed[0].requestId,
      exitStatus: 255,
      error: 'HOST_KEY_CHANGED',
    });
  });

  it('writes a null caller when STS refuses, and still connects', async () => {
    const file = join(sandbox.home, 'audit', 'no-sts.jsonl');
    const user = sandbox.userOf('web-1');
    // STS unreachable for this run only: its endpoint override points at a closed port.
    const result = await sandbox.run(['--audit', file, `${user}@web-1`, 'echo ok'], { env: { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' } });
    expect(result.code).toBe(0);
    expect(result.stdoutText).toBe('ok\n');
    const record = JSON.parse(lines(file)[0]) as { caller: unknown; exitStatus: number };
    expect(record.caller).toBeNull();
    expect(record.exitStatus).toBe(0);
  });

  it('without --audit (and no default) makes no STS call and writes nothing', async () => {
    const user = sandbox.userOf('web-1');
    const stsCalls = () => sandbox.world.calls.filter((c) => c.operation === 'GetCallerIdentity').length;
    const before = stsCalls();
    const result = await sandbox.run([`${user}@web-1`, 'true']);
    expect(result.code).toBe(0);
    expect(stsCalls()).toBe(before);
  });

  it('eic-scp appends one line per connection with the copy\'s exit status', async () => {
    const file = join(sandbox.home, 'audit', 'cp.jsonl');
    const web1 = sandbox.instance('web-1');
    const web2 = sandbox.instance('web-2');
    const local = join(sandbox.home, 'audit-cp-source.txt');
    writeFileSync(local, 'audited copy\n');
    const pushesBefore = sandbox.world.pushedKeys.length;
    // Unique names: the sandbox's instances share this machine's /tmp.
    const tag = createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 8);
    const onWeb1 = `/tmp/audit-cp-${tag}-1.txt`;
    const onWeb2 = `/tmp/audit-cp-${tag}-2.txt`;
    // Its own known hosts: an earlier test here re-keys an instance.
    const env = { EIC_SSH_KNOWN_HOSTS: join(sandbox.home, `known_hosts-${tag}`) };

    const up = await sandbox.run(['cp', '--audit', file, local, `${sandbox.userOf('web-1')}@web-1:${onWeb1}`], { env });
    expect(up.code, up.stderr).toBe(0);
    // Remote to remote: two connections, two lines.
    const relay = await sandbox.run([
      'cp', '--audit', file, `${sandbox.userOf('web-1')}@web-1:${onWeb1}`, `${sandbox.userOf('web-2')}@web-2:${onWeb2}`,
    ], { env });
    expect(relay.code, relay.stderr).toBe(0);
    // A copy with a missing source still connects, and fails with 1.
    const missing = await sandbox.run(['cp', '--audit', file, `${sandbox.userOf('web-1')}@web-1:/tmp/no-such-file-eic`, local], { env });
    expect(missing.code).toBe(1);

    const records = lines(file).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => [r.instance, r.route, r.exitStatus])).toEqual([
      [web1.instanceId, 'direct', 0],
      [web1.instanceId, 'direct', 0],
      [web2.instanceId, 'direct', 0],
      [web1.instanceId, 'direct', 1],
    ]);
    const pushes = sandbox.world.pushedKeys.slice(pushesBefore);
    expect(records.map((r) => r.pushRequestId)).toEqual(pushes.map((p) => p.requestId));
    expect(records.map((r) => r.keyFingerprint)).toEqual(pushes.map((p) => fingerprint(p.publicKey)));
    assertNoSecrets(readFileSync(file, 'utf8'));
  });
});
