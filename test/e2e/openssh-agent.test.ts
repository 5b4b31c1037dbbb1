// `eic-ssh openssh`: the system OpenSSH client authenticates with the ephemeral key
// served by a private in-memory agent; nothing of the key is on disk, the agent
// directory is gone afterwards, and ssh checks the host key by instance id in
// eic-ssh's known-hosts file (a swapped sshd is refused).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanForKeyMaterial } from '../support/key-scan.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let privateTmp: string;
let savedTmpdir: string | undefined;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  privateTmp = mkdtempSync(join(tmpdir(), 'eic-openssh-'));
  savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = privateTmp; // where the agent directory is made
});
afterAll(async () => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  rmSync(privateTmp, { recursive: true, force: true });
  await sandbox?.close();
});

const accepted = (id: string) => sandbox.runtime(id).sshdLog().match(/Accepted publickey for \S+ from \S+ port \d+ ssh2: \S+ (SHA256:\S+)/g) ?? [];

describe('eic-ssh openssh', () => {
  it.each([
    ['direct', 'web-1'],
    ['eice', 'db-1'],
    ['ssm', 'db-1'],
  ])('runs a command with the pushed key through the agent (%s) and passes the exit status', async (via, target) => {
    const id = sandbox.instance(target).instanceId;
    const kh = join(sandbox.home, 'kh-openssh');
    const pushes = sandbox.world.pushedKeys.length;
    const before = accepted(id).length;
    const audit = join(sandbox.home, `audit-${via}.jsonl`);
    const result = await sandbox.run(['openssh', '-vvv', '--audit', audit, '--via', via, `${sandbox.userOf(target)}@${target}`, 'echo via-openssh; exit 3'], {
      env: { EIC_SSH_KNOWN_HOSTS: kh },
    });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdoutText).toBe('via-openssh\n');
    // -vvv shows ssh's and eic-ssh's debug output, never key material.
    expect(result.stderr).not.toMatch(/PRIVATE KEY|b3BlbnNzaC1rZXktdjE/);
    const pushed = sandbox.world.pushedKeys.slice(pushes);
    expect(pushed).toHaveLength(1);
    // sshd accepted exactly the pushed key.
    const fp = 'SHA256:' + (await import('node:crypto')).createHash('sha256').update(Buffer.from(pushed[0].publicKey.split(' ')[1], 'base64')).digest('base64').replace(/=+$/, '');
    const newAccepts = accepted(id).slice(before);
    expect(newAccepts).toHaveLength(1);
    expect(newAccepts[0]).toContain(fp);
    // One audit line, with the pushed key's fingerprint, the push request id and the status.
    const line = JSON.parse(readFileSync(audit, 'utf8').trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ instance: id, route: via, keyFingerprint: fp, pushRequestId: pushed[0].requestId, exitStatus: 3, caller: sandbox.principal.arn });
    // OpenSSH recorded the host key under the instance id in eic-ssh's file.
    expect(readFileSync(kh, 'utf8')).toMatch(new RegExp(`^${id} `, 'm'));
    // The agent's directory is gone, and no key material is left in TMPDIR or home.
    expect(readdirSync(privateTmp).filter((n) => n.startsWith('eic-ssh-agent-'))).toEqual([]);
    expect(scanForKeyMaterial(privateTmp, { since: 0, exclude: [] })).toEqual([]);
    expect(scanForKeyMaterial(sandbox.home, { since: 0, exclude: [] })).toEqual([]);
  });

  it('refuses a swapped sshd (host key pinned from the console), runs nothing, exits 255', async () => {
    const web2 = sandbox.instance('web-2');
    const user = sandbox.userOf('web-2');
    const env = { EIC_SSH_KNOWN_HOSTS: join(sandbox.home, 'kh-openssh-pin') };
    const ok = await sandbox.run(['openssh', '--host-key-source', 'console', `${user}@web-2`, 'true'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(`pinned 3 host keys of ${web2.instanceId}`);
    await sandbox.runtime(web2.instanceId).replaceHostKeys();
    const marker = join('/tmp', `eic-ssh-marker-${randomBytes(6).toString('hex')}`);
    const refused = await sandbox.run(['openssh', '--host-key-source', 'console', `${user}@web-2`, `touch ${marker}`], { env });
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(privateTmp).filter((n) => n.startsWith('eic-ssh-agent-'))).toEqual([]);
  });

  it('refuses flags it cannot carry over to OpenSSH', async () => {
    const result = await sandbox.run(['openssh', '-L', '8080:localhost:80', 'web-1', 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/^eic-ssh: openssh: -L\/-R\/-D not supported here/);
  });
});
