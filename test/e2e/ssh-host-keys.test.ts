// Host keys are kept by instance id: the first key is recorded, a changed key is
// refused before anything is sent, and -o StrictHostKeyChecking behaves as in ssh.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('web-2');
});
afterAll(async () => sandbox?.close());

const acceptedLogins = (id: string) => (sandbox.runtime(id).sshdLog().match(/Accepted publickey/g) ?? []).length;

describe('host keys', () => {
  it('records the first host key under the instance id, then matches it', async () => {
    const web2 = sandbox.instance('web-2');
    const first = await sandbox.run([`${user}@web-2`, 'true']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`Warning: Permanently added '${web2.instanceId}'`);
    const known = readFileSync(sandbox.env.EIC_SSH_KNOWN_HOSTS, 'utf8');
    const [id, type, blob] = known.trim().split(/\s+/);
    expect(id).toBe(web2.instanceId);
    expect(web2.hostKeys.map((k) => k.publicLine.split(' ').slice(0, 2).join(' '))).toContain(`${type} ${blob}`);

    const second = await sandbox.run([`${user}@web-2`, 'true']);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('');
  });

  it('refuses a changed host key with a warning, exits 255 and runs nothing', async () => {
    const web2 = sandbox.instance('web-2');
    await sandbox.run([`${user}@web-2`, 'true']);
    await sandbox.runtime(web2.instanceId).replaceHostKeys();
    const before = acceptedLogins(web2.instanceId);
    const marker = join('/tmp', `eic-ssh-marker-${randomBytes(6).toString('hex')}`);

    const result = await sandbox.run([`${user}@web-2`, `touch ${marker}`]);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(result.stderr).toContain(`eic-ssh known-hosts --remove ${web2.instanceId}`);
    expect(result.stderr).toMatch(/eic-ssh: Host key verification failed/);
    expect(existsSync(marker)).toBe(false);
    expect(acceptedLogins(web2.instanceId)).toBe(before);
  });

  it('with StrictHostKeyChecking=no warns about a changed key but connects, and keeps the old record', async () => {
    const web2 = sandbox.instance('web-2');
    const knownBefore = readFileSync(sandbox.env.EIC_SSH_KNOWN_HOSTS, 'utf8');
    const result = await sandbox.run(['-o', 'StrictHostKeyChecking=no', `${user}@web-2`, 'echo in']);
    expect(result.code).toBe(0);
    expect(result.stdoutText).toBe('in\n');
    expect(result.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(readFileSync(sandbox.env.EIC_SSH_KNOWN_HOSTS, 'utf8')).toBe(knownBefore);
  });

  it('with StrictHostKeyChecking=yes refuses an instance it has never seen', async () => {
    const knownHosts = join(sandbox.home, 'empty_known_hosts');
    const result = await sandbox.run(['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, `${sandbox.userOf('web-1')}@web-1`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/eic-ssh: .*host key .*(unknown|not known|no .*known)/i);
    expect(existsSync(knownHosts)).toBe(false);
  });

  it('eic-ssh known-hosts lists entries, and --remove lets a re-keyed instance be recorded again', async () => {
    const web2 = sandbox.instance('web-2');
    const listed = await sandbox.run(['known-hosts']);
    expect(listed.code).toBe(0);
    expect(listed.stdoutText).toMatch(new RegExp(`^${web2.instanceId}\tssh-ed25519\tSHA256:[A-Za-z0-9+/]{43}$`, 'm'));

    const removed = await sandbox.run(['known-hosts', '--remove', web2.instanceId]);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toMatch(new RegExp(`Removed 1 host key of ${web2.instanceId}`));
    const again = await sandbox.run([`${user}@web-2`, 'echo trusted-again']);
    expect(again.stdoutText).toBe('trusted-again\n');
    expect(again.stderr).toContain(`Permanently added '${web2.instanceId}'`);

    const none = await sandbox.run(['known-hosts', '--remove', 'i-0123456789abcdef0']);
    expect(none.code).toBe(255);
    expect(none.stderr).toMatch(/no host key is recorded for i-0123456789abcdef0/);
  });
});
