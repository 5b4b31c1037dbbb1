// eic-ssh TARGET COMMAND against real sshd instances: output, exit status, binary
// stdin, and what -v shows (phases, never secrets).
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('web-1');
});
afterAll(async () => sandbox?.close());

describe('eic-ssh runs a remote command', () => {
  it('prints its output and exits 0', async () => {
    const result = await sandbox.run([`${user}@web-1`, 'echo', 'hello', 'world']);
    expect(result.stdoutText).toBe('hello world\n');
    expect(result.code).toBe(0);
  });

  it.each([1, 42])('passes exit status %i through', async (status) => {
    const result = await sandbox.run([`${user}@web-1`, `exit ${status}`]);
    expect(result.code).toBe(status);
  });

  it('keeps stderr apart from stdout', async () => {
    const result = await sandbox.run([`${user}@web-1`, 'echo out; echo err >&2']);
    expect(result.stdoutText).toBe('out\n');
    expect(result.stderr).toContain('err\n');
  });

  it('runs as the OS user it was asked for, on the instance it was asked for', async () => {
    const result = await sandbox.run([`${user}@web-1`, 'id -un']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdoutText.trim()).toBe(user);
    const id = sandbox.instance('web-1').instanceId;
    expect(sandbox.runtime(id).sshdLog()).toMatch(new RegExp(`Accepted publickey for ${user} from 127\\.`));
  });

  it('carries 10 MiB of random bytes through stdin and back byte-exact', async () => {
    const payload = randomBytes(10 * 1024 * 1024);
    const result = await sandbox.run([`${user}@web-1`, 'cat'], { stdin: payload });
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(payload.length);
    expect(createHash('sha256').update(result.stdout).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('pushes one key, without AvailabilityZone, for the OS user asked for', async () => {
    sandbox.world.calls.length = 0;
    await sandbox.run([`${user}@web-1`, 'true']);
    const pushes = sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey');
    expect(pushes).toHaveLength(1);
    expect(pushes[0].params).toMatchObject({ InstanceId: sandbox.instance('web-1').instanceId, InstanceOSUser: user });
    expect(pushes[0].params).not.toHaveProperty('AvailabilityZone');
    expect(String(pushes[0].params.SSHPublicKey)).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]{68}$/);
  });

  it('pushes an RSA key on request', async () => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['--key-type', 'rsa', `${user}@web-1`, 'true']);
    expect(result.code).toBe(0);
    const push = sandbox.world.calls.find((c) => c.operation === 'SendSSHPublicKey');
    expect(String(push?.params.SSHPublicKey)).toMatch(/^ssh-rsa /);
  });

  it('-v shows every phase with its duration', async () => {
    const result = await sandbox.run(['-v', `${user}@web-1`, 'echo hi']);
    for (const phase of ['resolve', 'key', 'push', 'connect', 'auth', 'first byte']) {
      expect(result.stderr).toMatch(new RegExp(`eic-ssh: ${phase} +\\d+ ms`));
    }
  });

  it('-vvv never prints a secret', async () => {
    const pushed: string[] = [];
    sandbox.world.events.on('push', (k) => pushed.push(k.publicKey));
    const result = await sandbox.run(['-vvv', `${user}@web-1`, 'true']);
    expect(result.code).toBe(0);
    const text = result.stderr + result.stdoutText;
    expect(text).not.toContain(sandbox.principal.secretAccessKey);
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(text).not.toMatch(/X-Amz-Signature|Signature=|Authorization/i);
    // The private half of an Ed25519 OpenSSH key begins with this base64 magic.
    expect(text).not.toContain('b3BlbnNzaC1rZXktdjE');
    expect(pushed.length).toBeGreaterThan(0);
  });
});
