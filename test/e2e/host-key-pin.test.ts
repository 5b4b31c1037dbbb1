// --host-key-source console: the instance's host keys are pinned from GetConsoleOutput
// (instance-side.md §7.2, §7.4). An sshd presenting other keys than the console shows
// is refused like a changed key and nothing runs; after a re-key that the console
// reflects, the new keys are pinned. No keys block: trust on first use, with a notice.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => sandbox?.close());

const acceptedLogins = (id: string) => (sandbox.runtime(id).sshdLog().match(/Accepted publickey/g) ?? []).length;
const keysOf = (name: string) => sandbox.instance(name).hostKeys.map((k) => k.publicLine.split(' ').slice(0, 2).join(' ')).sort();
const recorded = (file: string, id: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((line) => line.startsWith(`${id} `))
    .map((line) => line.split(' ').slice(1).join(' '))
    .sort();
const freshKnownHosts = () => join(sandbox.home, `kh-${randomBytes(4).toString('hex')}`);

describe('--host-key-source console', () => {
  it('pins every console key, refuses a swapped sshd, and follows a re-key the console shows', async () => {
    const web1 = sandbox.instance('web-1');
    const user = sandbox.userOf('web-1');
    const kh = freshKnownHosts();
    const env = { EIC_SSH_KNOWN_HOSTS: kh };

    const first = await sandbox.run(['--host-key-source', 'console', `${user}@web-1`, 'echo pinned-ok'], { env });
    expect(first.code).toBe(0);
    expect(first.stdoutText).toBe('pinned-ok\n');
    expect(first.stderr).toBe(`eic-ssh: pinned 3 host keys of ${web1.instanceId} from its console output\n`);
    expect(recorded(kh, web1.instanceId)).toEqual(keysOf('web-1'));
    expect(sandbox.world.operations()).toContain('GetConsoleOutput');

    // Same keys again: silent.
    const again = await sandbox.run(['--host-key-source=console', `${user}@web-1`, 'true'], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');

    // An impostor on the port: new keys, console unchanged.
    await sandbox.runtime(web1.instanceId).replaceHostKeys();
    const before = acceptedLogins(web1.instanceId);
    const marker = join('/tmp', `eic-ssh-marker-${randomBytes(6).toString('hex')}`);
    const refused = await sandbox.run(['--host-key-source', 'console', `${user}@web-1`, `touch ${marker}`], { env });
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(refused.stderr).toMatch(/eic-ssh: Host key verification failed/);
    expect(existsSync(marker)).toBe(false);
    expect(acceptedLogins(web1.instanceId)).toBe(before);

    // The instance was re-keyed and its console shows the new keys: re-pinned, accepted.
    await sandbox.runtime(web1.instanceId).replaceHostKeys({ updateConsoleOutput: true });
    const rekeyed = await sandbox.run(['--host-key-source', 'console', `${user}@web-1`, 'echo rekeyed'], { env });
    expect(rekeyed.code).toBe(0);
    expect(rekeyed.stdoutText).toBe('rekeyed\n');
    expect(rekeyed.stderr).toContain(`pinned 3 host keys of ${web1.instanceId}`);
    expect(recorded(kh, web1.instanceId)).toEqual(keysOf('web-1'));
  });

  it('without a keys block in the console, trusts on first use by instance id with one notice', async () => {
    const web2 = sandbox.instance('web-2');
    const kh = freshKnownHosts();
    const saved = sandbox.world.instances.get(web2.instanceId)!.consoleOutput;
    sandbox.world.instances.get(web2.instanceId)!.consoleOutput = '[    0.000000] Linux version 6.1.0\nlogin: \n';
    try {
      const result = await sandbox.run(['--host-key-source', 'console', `${sandbox.userOf('web-2')}@web-2`, 'echo tofu'], { env: { EIC_SSH_KNOWN_HOSTS: kh } });
      expect(result.code).toBe(0);
      expect(result.stdoutText).toBe('tofu\n');
      const lines = result.stderr.trim().split('\n');
      expect(lines[0]).toBe(`eic-ssh: the console output of ${web2.instanceId} shows no host keys; trusting the first key it presents (by instance id)`);
      expect(lines[1]).toContain(`Permanently added '${web2.instanceId}'`);
      expect(recorded(kh, web2.instanceId)).toHaveLength(1);
    } finally {
      sandbox.world.instances.get(web2.instanceId)!.consoleOutput = saved;
    }
  });

  it('takes the default from EIC_SSH_HOST_KEY_SOURCE and from <state dir>/config; --host-key-source tofu overrides', async () => {
    const web2 = sandbox.instance('web-2');
    const user = sandbox.userOf('web-2');
    const kh = freshKnownHosts();
    const viaEnv = await sandbox.run([`${user}@web-2`, 'true'], { env: { EIC_SSH_KNOWN_HOSTS: kh, EIC_SSH_HOST_KEY_SOURCE: 'console' } });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stderr).toContain(`pinned 3 host keys of ${web2.instanceId}`);

    const stateDir = join(sandbox.home, `state-${randomBytes(4).toString('hex')}`);
    mkdirSync(stateDir);
    writeFileSync(join(stateDir, 'config'), '# eic-ssh defaults\nHostKeySource console\n');
    const kh2 = freshKnownHosts();
    const viaFile = await sandbox.run([`${user}@web-2`, 'true'], { env: { EIC_SSH_KNOWN_HOSTS: kh2, EIC_SSH_HOME: stateDir } });
    expect(viaFile.code).toBe(0);
    expect(viaFile.stderr).toContain(`pinned 3 host keys of ${web2.instanceId}`);

    const kh3 = freshKnownHosts();
    const tofu = await sandbox.run(['--host-key-source', 'tofu', `${user}@web-2`, 'true'], { env: { EIC_SSH_KNOWN_HOSTS: kh3, EIC_SSH_HOME: stateDir } });
    expect(tofu.code).toBe(0);
    expect(tofu.stderr).toContain(`Permanently added '${web2.instanceId}'`);
    expect(recorded(kh3, web2.instanceId)).toHaveLength(1);
  });

  it('cp takes the default too: pins, then refuses a swapped sshd before writing anything', async () => {
    const web1 = sandbox.instance('web-1');
    const user = sandbox.userOf('web-1');
    const env = { EIC_SSH_KNOWN_HOSTS: freshKnownHosts(), EIC_SSH_HOST_KEY_SOURCE: 'console' };
    const local = join(sandbox.home, `cp-${randomBytes(4).toString('hex')}.txt`);
    writeFileSync(local, 'data\n');
    const remote = `/tmp/eic-pin-cp-${randomBytes(4).toString('hex')}`;
    const ok = await sandbox.run(['cp', local, `${user}@web-1:${remote}-1`], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(`pinned 3 host keys of ${web1.instanceId}`);
    await sandbox.runtime(web1.instanceId).replaceHostKeys();
    try {
      const refused = await sandbox.run(['cp', local, `${user}@web-1:${remote}-2`], { env });
      expect(refused.code).toBe(255);
      expect(refused.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
      expect(existsSync(`${remote}-2`)).toBe(false);
    } finally {
      await sandbox.runtime(web1.instanceId).replaceHostKeys({ updateConsoleOutput: true });
    }
  });

  it('refuses a bad --host-key-source or config value with a one-line error', async () => {
    const bad = await sandbox.run(['--host-key-source', 'dns', 'web-1', 'true']);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toMatch(/--host-key-source must be console or tofu, not 'dns'/);
    const stateDir = join(sandbox.home, 'bad-state');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'config'), 'HostKeySource sometimes\n');
    const badFile = await sandbox.run(['web-1', 'true'], { env: { EIC_SSH_HOME: stateDir } });
    expect(badFile.code).toBe(255);
    expect(badFile.stderr).toContain(`${join(stateDir, 'config')}:1: HostKeySource must be console or tofu`);
  });
});

describe('eic-ssh known-hosts --pin', () => {
  it('re-pins a re-keyed instance from its console so trust-on-first-use connections work again', async () => {
    const web2 = sandbox.instance('web-2');
    const user = sandbox.userOf('web-2');
    const kh = freshKnownHosts();
    const env = { EIC_SSH_KNOWN_HOSTS: kh };
    expect((await sandbox.run([`${user}@web-2`, 'true'], { env })).code).toBe(0);
    await sandbox.runtime(web2.instanceId).replaceHostKeys({ updateConsoleOutput: true });
    expect((await sandbox.run([`${user}@web-2`, 'true'], { env })).code).toBe(255);

    const pinned = await sandbox.run(['known-hosts', '--pin', 'web-2'], { env });
    expect(pinned.code).toBe(0);
    expect(pinned.stderr).toBe(`Pinned 3 host keys of ${web2.instanceId} in ${kh}\n`);
    expect(recorded(kh, web2.instanceId)).toEqual(keysOf('web-2'));
    const ok = await sandbox.run([`${user}@web-2`, 'echo back'], { env });
    expect(ok.code).toBe(0);
    expect(ok.stdoutText).toBe('back\n');

    const same = await sandbox.run(['known-hosts', '--pin', web2.instanceId], { env });
    expect(same.stderr).toBe(`Already pinned: 3 host keys of ${web2.instanceId} in ${kh}\n`);
  });

  it('fails clearly when the console shows no keys', async () => {
    const web1 = sandbox.instance('web-1');
    const saved = sandbox.world.instances.get(web1.instanceId)!.consoleOutput;
    sandbox.world.instances.get(web1.instanceId)!.consoleOutput = undefined;
    try {
      const result = await sandbox.run(['known-hosts', '--pin', 'web-1'], { env: { EIC_SSH_KNOWN_HOSTS: freshKnownHosts() } });
      expect(result.code).toBe(255);
      expect(result.stderr).toMatch(new RegExp(`eic-ssh: the console output of ${web1.instanceId} shows no SSH host keys`));
    } finally {
      sandbox.world.instances.get(web1.instanceId)!.consoleOutput = saved;
    }
  });
});
