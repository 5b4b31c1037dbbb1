// Host checks before any instance starts, and the state directory rules that sshd
// (StrictModes) and the AuthorizedKeysCommandUser impose (instance-side.md §6, §8.3).
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createStateDir, preflight, startInstanceRuntime } from '../../src/sandbox/instance/instance.js';
import { checkStrictModes, checkTraversable } from '../../src/sandbox/instance/preflight.js';
import { renderSshdConfig } from '../../src/sandbox/instance/sshd.js';
import { clientKey, createFixture, push, ssh2Run, type Fixture } from './instance-fixture.js';

let fx: Fixture;
const scratch: string[] = [];

beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx?.close();
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('preflight', () => {
  test('as root the command runs as ec2-instance-connect, as on EC2', async () => {
    const identity = await preflight();
    expect(identity).toMatchObject({ privileged: true, akcUser: 'ec2-instance-connect', notes: [] });
    expect(identity.akcUid).toBeGreaterThan(0);
  });

  test('a missing OS user fails with the command that fixes it', async () => {
    await expect(preflight({ osUsers: ['ec2-user', 'no-such-user-eic'] })).rejects.toThrow(
      "sandbox instances need OpenSSH sshd: OS user no-such-user-eic does not exist (create it: useradd --create-home no-such-user-eic; usermod -p '*' no-such-user-eic). Fix: run: sudo bash .ci/setup.sh",
    );
  });
});

describe('state directory', () => {
  test('createStateDir makes a directory both sshd StrictModes and the command user accept', async () => {
    const dir = await createStateDir('eic-preflight-test-');
    scratch.push(dir);
    expect(dir.startsWith('/run/')).toBe(true);
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
    await checkStrictModes(dir, 0);
    await checkTraversable(dir, await preflight());
  });

  test('a state directory the command user cannot reach is refused with the reason', async () => {
    const closed = await mkdtemp(join(tmpdir(), 'eic-closed-'));
    scratch.push(closed);
    const instance = fx.addInstance();
    await expect(startInstanceRuntime(fx.world, instance, { stateDir: join(closed, 'i'), ca: fx.ca })).rejects.toThrow(
      `the AuthorizedKeysCommandUser ec2-instance-connect cannot reach ${closed} (mode 700)`,
    );
  });

  test('image keys under a world-writable directory are refused, as StrictModes would ignore them', async () => {
    const open = await mkdtemp(join(tmpdir(), 'eic-open-'));
    scratch.push(open);
    await chmod(open, 0o755);
    const key = await clientKey(fx);
    const instance = fx.addInstance({ authorizedKeys: { 'ec2-user': [key.publicKey] } });
    await expect(startInstanceRuntime(fx.world, instance, { stateDir: join(open, 'i'), ca: fx.ca })).rejects.toThrow(
      /sshd StrictModes would ignore the image's authorized_keys: \/tmp is not owned by root/,
    );
  });

  test('paths with spaces are quoted in sshd_config and still work end to end', async () => {
    const spaced = join(fx.stateRoot, 'with space');
    await mkdir(spaced, { mode: 0o755 });
    const instance = fx.addInstance();
    const runtime = await startInstanceRuntime(fx.world, instance, { stateDir: join(spaced, instance.instanceId), ca: fx.ca });
    try {
      const key = await clientKey(fx);
      push(fx, instance, 'ec2-user', key);
      expect((await ssh2Run(instance, 'ec2-user', key, 'echo ok')).stdout).toBe('ok\n');
    } finally {
      await runtime.close();
    }
  });

  test('sshd_config doubles percent signs in paths, since sshd expands %-tokens', () => {
    const config = renderSshdConfig({
      instanceId: 'i-0123456789abcdef0',
      hostKeyPaths: ['/s/ssh_host_ed25519_key'],
      authorizedKeysDir: '/s/100%/authorized_keys',
      nodePath: '/usr/bin/node',
      akcPath: '/s/100%/akc.mjs',
      imdsUrl: 'http://127.0.0.1:1',
      caPath: '/s/ca.pem',
      akcLogPath: '/s/akc.log',
      akcUser: 'ec2-instance-connect',
    });
    expect(config).toContain('AuthorizedKeysFile /s/100%%/authorized_keys/%u\n');
    expect(config).toContain(
      'AuthorizedKeysCommand /usr/bin/env /usr/bin/node /s/100%%/akc.mjs --imds http://127.0.0.1:1 --ca /s/ca.pem --log /s/akc.log %u %f\n',
    );
  });
});
