// Connection reuse (ControlMaster/ControlPersist-like) with the BUILT CLI as real
// processes: the first `--reuse` invocation starts a detached master; later ones go
// through its private Unix socket with no second SendSSHPublicKey and no second SSH
// login. Every master a test starts is stopped or killed by pid (afterEach).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, gone, ReuseMasters } from '../support/reuse-masters.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let webId: string;
let user: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  webId = sandbox.instance('web-1').instanceId;
  user = sandbox.userOf('web-1');
});
afterAll(async () => {
  await sandbox?.close();
});

// A fresh state directory per test: its own mux directory and masters.
const masters = new ReuseMasters(() => sandbox, 'eic-reuse-');
const freshState = () => masters.fresh();
afterEach(() => masters.cleanUp());
const cli = (args: string[], options?: { stdin?: Buffer; env?: Record<string, string> }) => masters.cli(args, options);
const list = () => masters.list();

const pushes = () => sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey').length;
const logins = () => (sandbox.runtime(webId).sshdLog().match(/Accepted publickey/g) ?? []).length;

describe('eic-ssh --reuse', () => {
  it('a second invocation reuses the master: no push, no SSH login, byte-exact stdin, exit status', async () => {
    freshState();
    const pushesBefore = pushes();
    const loginsBefore = logins();
    const first = await cli(['--reuse', '--persist', '60s', `${user}@web-1`, 'echo first']);
    // What the master said while connecting is shown by the invocation that started it.
    expect(first.stderr).toBe(`Warning: Permanently added '${webId}' (ED25519) to the list of known hosts.\n`);
    expect(first.stdout.toString()).toBe('first\n');
    expect(first.code).toBe(0);
    const [master] = await list();
    expect(master.target).toBe(`${user}@${webId} (direct)`);
    expect(alive(master.pid)).toBe(true);
    expect(pushes() - pushesBefore).toBe(1);
    expect(logins() - loginsBefore).toBe(1);

    // Binary stdin, every byte value, round-trips through the mux and the remote cat.
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
    const echoed = await cli(['--reuse', `${user}@web-1`, 'cat'], { stdin: bytes });
    expect(echoed.code).toBe(0);
    expect(echoed.stdout.equals(bytes)).toBe(true);

    const failing = await cli(['--reuse', `${user}@web-1`, 'echo out; echo err >&2; exit 42']);
    expect(failing.code).toBe(42);
    expect(failing.stdout.toString()).toBe('out\n');
    expect(failing.stderr).toBe('err\n');

    // Killed by a signal: 255, as ssh does (session.ts).
    const signalled = await cli(['--reuse', `${user}@web-1`, 'kill -KILL $$']);
    expect(signalled.code).toBe(255);

    expect(pushes() - pushesBefore).toBe(1);
    expect(logins() - loginsBefore).toBe(1);
    expect(await list()).toHaveLength(1);
  });

  it('two invocations starting at once both succeed and leave one master', async () => {
    freshState();
    const [a, b] = await Promise.all([
      cli(['--reuse', `${user}@web-1`, 'echo a']),
      cli(['--reuse', `${user}@web-1`, 'echo b']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([a.stdout.toString(), b.stdout.toString()]).toEqual(['a\n', 'b\n']);
    expect(await list()).toHaveLength(1);
  });

  it('keeps the socket 0600 in a 0700 directory', async () => {
    freshState();
    expect((await cli(['--reuse', `${user}@web-1`, 'true'])).code).toBe(0);
    const [master] = await list();
    const dir = join(masters.state, 'mux');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(master.socket).isSocket()).toBe(true);
    expect(statSync(master.socket).mode & 0o777).toBe(0o600);
    expect(master.socket.startsWith(dir + '/')).toBe(true);
  });

  it('is on by default; --no-reuse, EIC_SSH_REUSE=0 and `Reuse no` in the config turn it off', async () => {
    freshState();
    const before = pushes();
    // No flag at all: the first invocation starts a master, the second rides it.
    expect((await cli([`${user}@web-1`, 'true'])).code).toBe(0);
    expect((await cli([`${user}@web-1`, 'echo again'])).stdout.toString()).toBe('again\n');
    expect(pushes() - before).toBe(1);
    const [master] = await list();
    expect(master.target).toBe(`${user}@${webId} (direct)`);
    // Each way of turning it off connects by itself, past the live master.
    const direct = await cli(['--no-reuse', `${user}@web-1`, 'echo direct']);
    expect(direct.stdout.toString()).toBe('direct\n');
    expect(pushes() - before).toBe(2);
    expect((await cli([`${user}@web-1`, 'true'], { env: { EIC_SSH_REUSE: '0' } })).code).toBe(0);
    expect(pushes() - before).toBe(3);
    writeFileSync(join(masters.state, 'config'), 'Reuse no\n');
    expect((await cli([`${user}@web-1`, 'true'])).code).toBe(0);
    expect(pushes() - before).toBe(4);
    // --reuse on the command line beats the config file.
    expect((await cli(['--reuse', `${user}@web-1`, 'true'])).code).toBe(0);
    expect(pushes() - before).toBe(4);
    expect(await list()).toHaveLength(1);
    const typo = await cli([`${user}@web-1`, 'true'], { env: { EIC_SSH_REUSE: 'sometimes' } });
    expect(typo.code).toBe(255);
    expect(typo.stderr).toMatch(/^eic-ssh: EIC_SSH_REUSE='sometimes' is not yes or no\n {2}hint: /);
  });

  it('speaks ssh\'s reuse options: -O check, -O exit, -o ControlMaster=no, -S none', async () => {
    freshState();
    const before = pushes();
    expect((await cli([`${user}@web-1`, 'true'])).code).toBe(0);
    const [master] = await list();
    const check = await cli(['-O', 'check', `${user}@web-1`]);
    expect(check.stderr).toBe(`Master running (pid=${master.pid})\n`);
    expect(check.code).toBe(0);
    for (const off of [['-o', 'ControlMaster=no'], ['-S', 'none'], ['-o', 'ControlPath=none']]) {
      expect((await cli([...off, `${user}@web-1`, 'true'])).code).toBe(0);
    }
    expect(pushes() - before).toBe(4); // the master's, then one for each run that opted out
    const exit = await cli(['-O', 'exit', `${user}@web-1`]);
    expect(exit.stderr).toBe('Exit request sent.\n');
    expect(exit.code).toBe(0);
    expect(await gone(master.pid)).toBe(true);
    const none = await cli(['-O', 'check', `${user}@web-1`]);
    expect(none.stderr).toMatch(/^Control socket connect\(.*\/mux\/[0-9a-f]{20}\.sock\): No such file or directory\n$/);
    expect(none.code).toBe(255);
    const noTarget = await cli(['-O', 'check']);
    expect(noTarget.stderr).toBe('eic-ssh: -O check needs a target\n  hint: for example: eic-ssh -O check ec2-user@web-1\n');
    expect(noTarget.code).toBe(255);
    const unsupported = await cli(['-O', 'forward', `${user}@web-1`]);
    expect(unsupported.stderr).toMatch(/^eic-ssh: -O forward is not supported by eic-ssh\n {2}hint: /);
    expect(unsupported.code).toBe(255);
  });

  it('--audit writes one line per session through a master, with the master\'s push and key', async () => {
    freshState();
    const audit = join(masters.state, 'audit.jsonl');
    const pushCallsBefore = sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey').length;
    const first = await cli(['--audit', audit, `${user}@web-1`, 'exit 3']);
    expect(first.code).toBe(3);
    const second = await cli(['--audit', audit, `${user}@web-1`, 'true']);
    expect(second.code).toBe(0);
    const pushCalls = sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey').slice(pushCallsBefore);
    expect(pushCalls).toHaveLength(1);
    const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    const [started, reused] = lines;
    for (const [line, exitStatus, wasRunning] of [[started, 3, false], [reused, 0, true]] as const) {
      expect(Object.keys(line).sort()).toEqual(
        ['caller', 'connectedAt', 'endpointId', 'exitStatus', 'instance', 'keyFingerprint', 'osUser', 'pushRequestId', 'reused', 'route', 'sessionId', 'time'].sort(),
      );
      expect(line.caller).toBe(sandbox.principal.arn);
      expect(line.instance).toBe(webId);
      expect(line.osUser).toBe(user);
      expect(line.route).toBe('direct');
      expect(line.endpointId).toBeNull();
      expect(line.sessionId).toBeNull();
      expect(line.keyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(line.pushRequestId).toBe(pushCalls[0].requestId);
      expect(line.exitStatus).toBe(exitStatus);
      expect(line.reused).toBe(wasRunning);
      expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
    }
    // One connection, one key: both lines name the master's.
    expect(reused.keyFingerprint).toBe(started.keyFingerprint);
    expect(reused.connectedAt).toBe(started.connectedAt);
    expect(await list()).toHaveLength(1);
  });

  it('reuse --stop TARGET stops the master and removes its socket', async () => {
    freshState();
    expect((await cli(['--reuse', `${user}@web-1`, 'true'])).code).toBe(0);
    const [master] = await list();
    const unknown = await cli(['reuse', '--stop', 'web-2']);
    expect(unknown.code).toBe(255);
    expect(unknown.stderr).toMatch(/^eic-ssh: reuse: no master for 'web-2'\n {2}hint: /);
    const stopped = await cli(['reuse', '--stop', 'web-1']);
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain(`Stopped the master for ${user}@${webId}`);
    expect(await gone(master.pid)).toBe(true);
    expect(existsSync(master.socket)).toBe(false);
    expect(await list()).toEqual([]);
  });

  it('recovers from a stale socket whose master was killed', async () => {
    freshState();
    expect((await cli(['--reuse', `${user}@web-1`, 'true'])).code).toBe(0);
    const [master] = await list();
    process.kill(master.pid, 'SIGKILL');
    expect(await gone(master.pid)).toBe(true);
    expect(existsSync(master.socket)).toBe(true); // SIGKILL leaves the socket file behind
    const before = pushes();
    const again = await cli(['--reuse', `${user}@web-1`, 'echo again']);
    expect(again.stderr).toBe('');
    expect(again.stdout.toString()).toBe('again\n');
    expect(again.code).toBe(0);
    expect(pushes() - before).toBe(1); // a new master, connected once
    const [fresh] = await list();
    expect(fresh.pid).not.toBe(master.pid);
    expect(fresh.socket).toBe(master.socket);
  });

  it('lists nothing and removes a stale socket', async () => {
    freshState();
    expect((await cli(['--reuse', `${user}@web-1`, 'true'])).code).toBe(0);
    const [master] = await list();
    process.kill(master.pid, 'SIGKILL');
    expect(await gone(master.pid)).toBe(true);
    expect(await list()).toEqual([]);
    expect(readdirSync(join(masters.state, 'mux')).filter((n) => n.endsWith('.sock'))).toEqual([]);
  });

  it('the master exits by itself after the idle time', async () => {
    freshState();
    expect((await cli(['--persist', '1s', `${user}@web-1`, 'true'])).code).toBe(0);
    const [master] = await list();
    expect(await gone(master.pid)).toBe(true);
    expect(existsSync(master.socket)).toBe(false);
  });

  it('a master that cannot connect reports the error and leaves nothing behind', async () => {
    freshState();
    const result = await cli(['--reuse', `${user}@no-such-instance`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/^eic-ssh: .*no-such-instance/m);
    expect(await list()).toEqual([]);
  });

  it('eic-ssh cp goes through a live master: no push, bytes exact, scp errors; --no-reuse connects by itself', async () => {
    freshState();
    expect((await cli(['--reuse', `${user}@web-1`, 'true'])).code).toBe(0);
    const before = pushes();
    const loginsBefore = logins();
    const local = join(masters.state, 'payload.bin');
    const back = join(masters.state, 'back.bin');
    const bytes = Buffer.alloc(1_500_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 10)) & 0xff;
    writeFileSync(local, bytes);
    const remote = `/tmp/eic-reuse-${process.pid}-${Date.now()}.bin`;
    const reuseEnv = {};
    const up = await cli(['cp', local, `${user}@web-1:${remote}`], { env: reuseEnv });
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const down = await cli(['cp', `${user}@web-1:${remote}`, back], { env: reuseEnv });
    expect(down.code).toBe(0);
    expect(readFileSync(back).equals(bytes)).toBe(true);
    const missing = await cli(['cp', `${user}@web-1:/tmp/no-such-file-${process.pid}`, back], { env: reuseEnv });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such-file-\d+: No such file or directory/);
    expect(pushes()).toBe(before);
    expect(logins()).toBe(loginsBefore);
    const own = await cli(['cp', '--no-reuse', `${user}@web-1:${remote}`, back]);
    expect(own.code).toBe(0);
    expect(pushes()).toBe(before + 1);
    expect((await cli([`${user}@web-1`, `rm -f ${remote}`], { env: reuseEnv })).code).toBe(0);
  });

  it('a state directory that cannot hold masters: on by default it connects by itself, --reuse says why', async () => {
    freshState();
    const blocked = join(masters.state, 'not-a-directory');
    writeFileSync(blocked, '');
    const home = join(blocked, 'eic');
    const plain = await cli(['-v', `${user}@web-1`, 'echo ok'], { env: { EIC_SSH_HOME: home } });
    expect(plain.stdoutText).toBe('ok\n');
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain(`reuse      off: connection reuse: cannot create ${join(home, 'mux')} (ENOTDIR)`);
    const asked = await cli(['--reuse', `${user}@web-1`, 'echo ok'], { env: { EIC_SSH_HOME: home } });
    expect(asked.code).toBe(255);
    expect(asked.stderr).toBe(`eic-ssh: connection reuse: cannot create ${join(home, 'mux')} (ENOTDIR)\n  hint: set EIC_SSH_HOME to a writable directory of your own, or use --no-reuse\n`);
    const copied = await cli(['cp', `${user}@web-1:/etc/hostname`, join(masters.state, 'hostname')], { env: { EIC_SSH_HOME: home } });
    expect(copied.code).toBe(0);
    expect(await list()).toEqual([]);
  });

  it('in-process invocations use a live master too (and do not start one)', async () => {
    freshState();
    const inProcess = await sandbox.run(['--reuse', `${user}@web-1`, 'true'], { env: { EIC_SSH_HOME: masters.state } });
    expect(inProcess.code).toBe(0);
    expect(await list()).toEqual([]); // no selfCommand in-process: connected by itself
    expect((await cli(['--reuse', `${user}@web-1`, 'true'])).code).toBe(0);
    const before = pushes();
    const reused = await sandbox.run(['--reuse', `${user}@web-1`, 'echo in-process'], { env: { EIC_SSH_HOME: masters.state } });
    expect(reused.stdoutText).toBe('in-process\n');
    expect(reused.code).toBe(0);
    expect(pushes()).toBe(before);
  });
});
