// `eic-ssh run` through live connection-reuse masters, with the BUILT CLI as real
// processes: a master started by `eic-ssh --reuse user@web-1` also answers under its
// instance id's key (src/mux/alias.ts), so `run 'web-*'` runs on web-1 through it (no
// SendSSHPublicKey, no SSH login) while web-2, which has no master, gets its own push.
// Each host proves where its command ran by its login name and the server address of
// its SSH connection ($SSH_CONNECTION field 3: that instance's own sshd). Every master
// a test starts is stopped (`reuse --stop`) or, if a test failed first, killed by pid.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, gone, ReuseMasters } from '../support/reuse-masters.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
const host = (name: string) => {
  const instance = sandbox.instance(name);
  return { id: instance.instanceId, address: instance.hostAddress, user: sandbox.userOf(name) };
};

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const masters = new ReuseMasters(() => sandbox, 'eic-run-reuse-');
const freshState = () => masters.fresh();
afterEach(() => masters.cleanUp());
const cli = (args: string[], env?: Record<string, string>) => masters.cli(args, { env });
const list = () => masters.list();

// Starts the master for user@web-1; returns it as `reuse --list` shows it.
async function startWebMaster(): Promise<{ socket: string; target: string; pid: number }> {
  const web1 = host('web-1');
  const first = await cli(['--reuse', '--persist', '60s', `${web1.user}@web-1`, 'true']);
  // The sandbox's known_hosts file is shared: the host key is new only the first time.
  expect(['', `Warning: Permanently added '${web1.id}' (ED25519) to the list of known hosts.\n`]).toContain(first.stderr);
  expect(first.code).toBe(0);
  const listed = await list();
  expect(listed).toHaveLength(1);
  return listed[0];
}

// The SendSSHPublicKey calls made since `since` (an index into the call log), by instance id.
const pushedSince = (since: number) =>
  sandbox.world.calls
    .slice(since)
    .filter((c) => c.operation === 'SendSSHPublicKey' && c.status === 200)
    .map((c) => c.params.InstanceId as string)
    .sort();
const logins = (name: string) => (sandbox.runtime(host(name).id).sshdLog().match(/Accepted publickey/g) ?? []).length;
const muxEntries = () => readdirSync(join(masters.state, 'mux')).filter((n) => n.endsWith('.sock'));

interface Report {
  host: string;
  instanceId: string;
  route: string | null;
  reused: boolean;
  status: string;
  exitStatus: number | null;
  stdout: string;
  stderr: string;
}
const reports = (stdout: string) => new Map((stdout.trim().split('\n').map((l) => JSON.parse(l) as Report)).map((r) => [r.host, r]));

const COMMAND = 'set -- $SSH_CONNECTION; echo "$(id -un) $3"; echo to-stderr >&2; exit 7';

describe('eic-ssh run through a live reuse master', () => {
  it('reuses web-1\'s master (no push, no login) and pushes for web-2; status, output and route pass through', async () => {
    freshState();
    const master = await startWebMaster();
    const [web1, web2] = [host('web-1'), host('web-2')];
    expect(master.target).toBe(`${web1.user}@${web1.id} (direct)`);
    // The master also answers under user@instance-id's keys (auto, and the route it got):
    // links to its own socket, which `reuse --list` did not list again.
    const links = muxEntries().filter((n) => lstatSync(join(masters.state, 'mux', n)).isSymbolicLink());
    expect(links).toHaveLength(2);
    for (const link of links) expect(readlinkSync(join(masters.state, 'mux', link))).toBe(basename(master.socket));

    const since = sandbox.world.calls.length;
    const [logins1, logins2] = [logins('web-1'), logins('web-2')];
    const audit = join(masters.state, 'audit.jsonl');
    const result = await cli(['run', 'web-*', '--json', '--audit', audit, '--', COMMAND]);
    const byHost = reports(result.stdoutText);
    // --audit: web-1's line names the master's push and key (reused), web-2's its own push.
    const masterPush = sandbox.world.calls.slice(0, since).filter((c) => c.operation === 'SendSSHPublicKey' && c.params.InstanceId === web1.id).at(-1)!;
    const ownPush = sandbox.world.calls.slice(since).find((c) => c.operation === 'SendSSHPublicKey' && c.params.InstanceId === web2.id)!;
    const lines = new Map(readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).map((l) => [l.instance, l]));
    expect(lines.size).toBe(2);
    expect(lines.get(web1.id)).toMatchObject({ osUser: web1.user, route: 'direct', pushRequestId: masterPush.requestId, exitStatus: 7, reused: true, caller: sandbox.principal.arn });
    expect(lines.get(web2.id)).toMatchObject({ osUser: web2.user, route: 'direct', pushRequestId: ownPush.requestId, exitStatus: 7, caller: sandbox.principal.arn });
    expect(lines.get(web2.id)!.reused).toBeUndefined();
    expect(byHost.get('web-1')).toMatchObject({
      instanceId: web1.id,
      route: 'direct',
      reused: true,
      status: 'failed',
      exitStatus: 7,
      stdout: `${web1.user} ${web1.address}\n`,
      stderr: 'to-stderr\n',
    });
    expect(byHost.get('web-2')).toMatchObject({
      instanceId: web2.id,
      route: 'direct',
      reused: false,
      exitStatus: 7,
      stdout: `${web2.user} ${web2.address}\n`,
    });
    expect(result.stderr).toContain('eic-ssh run: 0 succeeded, 2 failed, 0 unreachable (of 2)\n');
    expect(result.stderr).toContain('  failed       web-1: exit 7 via direct (reused)\n');
    expect(result.code).toBe(1);
    // The evidence: one push, for web-2 only; web-1's sshd saw no new login.
    expect(pushedSince(since)).toEqual([web2.id]);
    expect(logins('web-1')).toBe(logins1);
    expect(logins('web-2')).toBe(logins2 + 1);

    // Prefix and group output through the master; run --via direct finds it too.
    const since2 = sandbox.world.calls.length;
    const prefixed = await cli(['run', 'web-1', '--', 'echo hi']);
    expect(prefixed.stdoutText).toBe('web-1 | hi\n');
    expect(prefixed.code).toBe(0);
    const grouped = await cli(['run', web1.id, '--group', '--via', 'direct', '--', 'echo grouped']);
    expect(grouped.stdoutText).toBe(`=== web-1 (${web1.id}) exit 0 via direct (reused)\ngrouped\n`);
    expect(grouped.code).toBe(0);
    expect(pushedSince(since2)).toEqual([]);

    // In-process (main() with the same state directory) uses the live master as well.
    const since3 = sandbox.world.calls.length;
    const inProcess = await sandbox.run(['run', 'web-1', '--json', '--', 'echo in-process'], { env: { EIC_SSH_HOME: masters.state } });
    expect(reports(inProcess.stdoutText).get('web-1')).toMatchObject({ reused: true, status: 'succeeded', stdout: 'in-process\n' });
    expect(pushedSince(since3)).toEqual([]);

    // eic-ssh user@instance-id rides the same master through the alias (no second master).
    const since4 = sandbox.world.calls.length;
    const byId = await cli(['--reuse', `${web1.user}@${web1.id}`, 'echo by-id']);
    expect(byId.stdoutText).toBe('by-id\n');
    expect(byId.code).toBe(0);
    expect(pushedSince(since4)).toEqual([]);
    expect(await list()).toHaveLength(1);

    // Stop it: the master is gone and so are its links.
    const stopped = await cli(['reuse', '--stop']);
    expect(stopped.code).toBe(0);
    expect(await gone(master.pid)).toBe(true);
    expect(muxEntries()).toEqual([]);
  });

  it('--no-reuse and EIC_SSH_REUSE=0 push for every host; another route does not match the master', async () => {
    freshState();
    const master = await startWebMaster();
    const [web1, web2] = [host('web-1'), host('web-2')];
    for (const [args, extraEnv] of [
      [['--no-reuse'], {}],
      [[], { EIC_SSH_REUSE: '0' }],
    ] as Array<[string[], Record<string, string>]>) {
      const since = sandbox.world.calls.length;
      const logins1 = logins('web-1');
      const result = await cli(['run', 'web-*', '--json', ...args, '--', 'echo ok'], extraEnv);
      expect(result.code).toBe(0);
      const byHost = reports(result.stdoutText);
      expect(byHost.get('web-1')).toMatchObject({ reused: false, status: 'succeeded', stdout: 'ok\n' });
      expect(byHost.get('web-2')).toMatchObject({ reused: false, status: 'succeeded', stdout: 'ok\n' });
      expect(pushedSince(since)).toEqual([web1.id, web2.id].sort());
      expect(logins('web-1')).toBe(logins1 + 1);
    }
    // The master connected directly; a run over SSM is keyed apart and connects by itself.
    const since = sandbox.world.calls.length;
    const overSsm = await cli(['run', 'web-1', '--json', '--via', 'ssm', '--', 'echo ssm']);
    expect(reports(overSsm.stdoutText).get('web-1')).toMatchObject({ route: 'ssm', reused: false, stdout: 'ssm\n' });
    expect(pushedSince(since)).toEqual([web1.id]);
    expect(alive(master.pid)).toBe(true);
    expect((await cli(['reuse', '--stop', 'web-1'])).code).toBe(0);
    expect(await gone(master.pid)).toBe(true);
    expect(muxEntries()).toEqual([]);
  });

  it('a killed master is passed over: run connects by itself, and the listing clears its links', async () => {
    freshState();
    const master = await startWebMaster();
    process.kill(master.pid, 'SIGKILL');
    expect(await gone(master.pid)).toBe(true);
    const since = sandbox.world.calls.length;
    const result = await cli(['run', 'web-1', '--json', '--', 'echo fresh']);
    expect(reports(result.stdoutText).get('web-1')).toMatchObject({ reused: false, status: 'succeeded', stdout: 'fresh\n' });
    expect(result.code).toBe(0);
    expect(pushedSince(since)).toEqual([host('web-1').id]);
    expect(await list()).toEqual([]);
    expect(muxEntries()).toEqual([]);
  });
});
