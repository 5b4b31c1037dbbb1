// An emulated instance end to end: a real OpenSSH sshd (inetd mode, one process per
// connection) that accepts exactly the keys pushed for it within their window, checked
// with the ssh2 client and the real OpenSSH client (instance-side.md §5, §6, §8).
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { InstanceRuntime } from '../../src/sandbox/instance/instance.js';
import type { SandboxInstance } from '../../src/sandbox/world.js';
import {
  ancestry,
  clientKey,
  createFixture,
  exec,
  isAlive,
  openSsh,
  push,
  ssh2Connect,
  ssh2Run,
  type Fixture,
} from './instance-fixture.js';

let fx: Fixture;
let instance: SandboxInstance;
let runtime: InstanceRuntime;

beforeAll(async () => {
  fx = await createFixture();
  // A private instance: sshd listens on an unreported loopback address, not privateIp.
  instance = fx.addInstance({ osUsers: ['ec2-user', 'ubuntu'] });
  runtime = await fx.start(instance);
});
afterAll(async () => {
  await fx?.close();
});
afterEach(() => {
  fx.world.knobs.imdsServerError = false;
  fx.world.knobs.imdsBundleFault = undefined;
  instance.metadataHttpEndpoint = 'enabled';
  instance.clockSkewSeconds = 0;
});

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

describe('a pushed key', () => {
  test('the runtime listens on the host address and writes back the port it got', () => {
    expect(instance.sshPort).toBeGreaterThan(0);
    expect(instance.hostAddress).not.toBe(instance.privateIp);
  });

  test('is accepted by sshd for ssh2: exec output and exit status come back', async () => {
    const key = await clientKey(fx);
    push(fx, instance, 'ec2-user', key);
    const result = await ssh2Run(instance, 'ec2-user', key, 'id -un; echo "$SSH_CONNECTION" | cut -d" " -f3; exit 3');
    expect(result.ok).toBe(true);
    expect(result.stdout).toBe(`ec2-user\n${instance.hostAddress}\n`);
    expect(result.exitCode).toBe(3);
    expect(runtime.sshdLog()).toMatch(
      new RegExp(`Accepted publickey for ec2-user from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519 ${escaped(key.fingerprint)}`),
    );
  });

  test('is accepted for the real OpenSSH client, which gets the remote exit status', async () => {
    const key = await clientKey(fx, 'rsa');
    push(fx, instance, 'ec2-user', key);
    expect(await openSsh(instance, 'ec2-user', key, ['true'])).toMatchObject({ code: 0 });
    expect(await openSsh(instance, 'ec2-user', key, ['echo', 'from-openssh;', 'exit', '7'])).toEqual({ code: 7, stdout: 'from-openssh\n', stderr: '' });
    expect(runtime.sshdLog()).toMatch(new RegExp(`Accepted publickey for ec2-user from .* ssh2: RSA ${escaped(key.fingerprint)}`));
  });

  test('works several times within its window: it is not single-use', async () => {
    const key = await clientKey(fx);
    push(fx, instance, 'ec2-user', key);
    for (let i = 0; i < 3; i++) expect((await ssh2Run(instance, 'ec2-user', key, 'true')).exitCode).toBe(0);
    expect((await openSsh(instance, 'ec2-user', key, ['true'])).code).toBe(0);
  });

  test('two live keys for one user both work', async () => {
    const first = await clientKey(fx);
    const second = await clientKey(fx);
    push(fx, instance, 'ubuntu', first);
    push(fx, instance, 'ubuntu', second);
    expect((await ssh2Run(instance, 'ubuntu', first, 'id -un')).stdout).toBe('ubuntu\n');
    expect((await ssh2Run(instance, 'ubuntu', second, 'id -un')).stdout).toBe('ubuntu\n');
  });

  test('the command is asked for the offered key only (%f) and logs it', async () => {
    const key = await clientKey(fx);
    push(fx, instance, 'ec2-user', key);
    await ssh2Run(instance, 'ec2-user', key, 'true');
    const log = runtime.akcLog();
    expect(log).toContain(`Querying EC2 Instance Connect keys for matching fingerprint: ${key.fingerprint}`);
    expect(log).toContain(`Providing ssh key from EC2 Instance Connect with fingerprint: ${key.fingerprint}, request-id: `);
  });

  test('serves a pty, the sftp subsystem, and concurrent connections', async () => {
    const key = await clientKey(fx);
    push(fx, instance, 'ec2-user', key);
    const client = await ssh2Connect(instance, 'ec2-user', key);
    try {
      expect((await exec(client, 'tty', true)).stdout).toMatch(/^\/dev\/pts\/\d+\r\n$/);
      const home = await new Promise<string>((resolve, reject) =>
        client.sftp((err, sftp) => {
          if (err) return reject(err);
          const path = `eic-sftp-${process.pid}`;
          sftp.writeFile(path, 'over sftp\n', (writeErr) => {
            if (writeErr) return reject(writeErr);
            sftp.readFile(path, (readErr, data) => {
              if (readErr) return reject(readErr);
              sftp.unlink(path, () => sftp.realpath('.', (e, cwd) => (e ? reject(e) : resolve(`${cwd}:${data.toString()}`))));
            });
          });
        }),
      );
      expect(home).toBe('/home/ec2-user:over sftp\n');
    } finally {
      client.end();
    }
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => ssh2Run(instance, 'ec2-user', key, `echo ${i}`)));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
  });
});

describe('refused keys', () => {
  test('a key never pushed is refused, for ssh2 and for OpenSSH', async () => {
    const key = await clientKey(fx);
    const result = await ssh2Run(instance, 'ec2-user', key, 'true');
    expect(result.ok).toBe(false);
    expect(result.error?.level).toBe('client-authentication');
    const openssh = await openSsh(instance, 'ec2-user', key, ['true']);
    expect(openssh.code).toBe(255);
    expect(openssh.stderr).toContain('Permission denied (publickey)');
  });

  test('a key is refused once its 60 s have passed on the sandbox clock', async () => {
    const key = await clientKey(fx);
    push(fx, instance, 'ec2-user', key);
    expect((await ssh2Run(instance, 'ec2-user', key)).ok).toBe(true);
    fx.world.clock.advance(61_000);
    expect((await ssh2Run(instance, 'ec2-user', key)).error?.level).toBe('client-authentication');
    expect((await openSsh(instance, 'ec2-user', key, ['true'])).code).toBe(255);
  });

  test('an instance clock far ahead refuses a fresh key', async () => {
    const key = await clientKey(fx);
    push(fx, instance, 'ec2-user', key);
    instance.clockSkewSeconds = 90;
    expect((await ssh2Run(instance, 'ec2-user', key)).error?.level).toBe('client-authentication');
  });

  test('a key pushed for another OS user is refused, as is an OS user the image lacks', async () => {
    const key = await clientKey(fx);
    push(fx, instance, 'ec2-user', key);
    expect((await ssh2Run(instance, 'ubuntu', key)).error?.level).toBe('client-authentication');
    push(fx, instance, 'centos', key);
    expect((await ssh2Run(instance, 'centos', key)).error?.level).toBe('client-authentication');
    expect(runtime.sshdLog()).toContain('Invalid user centos from 127.0.0.1');
  });

  test.each(['bad-signature', 'wrong-signer-cn', 'untrusted-signer', 'wrong-instance'] as const)(
    'a bundle with the %s fault is refused',
    async (fault) => {
      const key = await clientKey(fx);
      push(fx, instance, 'ec2-user', key);
      fx.world.knobs.imdsBundleFault = fault;
      expect((await ssh2Run(instance, 'ec2-user', key)).error?.level).toBe('client-authentication');
      fx.world.knobs.imdsBundleFault = undefined;
      expect((await ssh2Run(instance, 'ec2-user', key)).ok).toBe(true);
    },
  );

  test('IMDS answering 500 makes the command fail and sshd refuse the key', async () => {
    const key = await clientKey(fx);
    push(fx, instance, 'ec2-user', key);
    fx.world.knobs.imdsServerError = true;
    expect((await ssh2Run(instance, 'ec2-user', key)).error?.level).toBe('client-authentication');
    expect(runtime.sshdLog()).toMatch(/AuthorizedKeysCommand \/usr\/bin\/env .* failed, status 255/);
  });

  test('a disabled metadata endpoint refuses the key, and enabling it again restores access', async () => {
    const key = await clientKey(fx);
    push(fx, instance, 'ec2-user', key);
    instance.metadataHttpEndpoint = 'disabled';
    expect((await ssh2Run(instance, 'ec2-user', key)).error?.level).toBe('client-authentication');
    instance.metadataHttpEndpoint = 'enabled';
    expect((await ssh2Run(instance, 'ec2-user', key)).ok).toBe(true);
  });
});

describe('instance lifecycle', () => {
  test('keys baked into the image log in without a push, through AuthorizedKeysFile', async () => {
    const baked = await clientKey(fx);
    const other = fx.addInstance({ authorizedKeys: { 'ec2-user': [baked.publicKey] } });
    const otherRuntime = await fx.start(other);
    expect((await openSsh(other, 'ec2-user', baked, ['id', '-un'])).stdout).toBe('ec2-user\n');
    expect(otherRuntime.sshdLog()).toContain(`Accepted publickey for ec2-user from 127.0.0.1`);
    expect(otherRuntime.akcLog()).toBe('');
  });

  test('close() kills every sshd and session of the instance, even a running command', async () => {
    const other = fx.addInstance();
    const otherRuntime = await fx.start(other);
    const key = await clientKey(fx);
    push(fx, other, 'ec2-user', key);
    const client = await ssh2Connect(other, 'ec2-user', key);
    client.on('error', () => {});
    // The command prints the pid of its background sleep, then waits for it.
    const sleeper = await new Promise<number>((resolve, reject) =>
      client.exec('sleep 987.654 & echo $!; wait', (err, channel) => {
        if (err) return reject(err);
        channel.on('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      }),
    );
    // sleep ← shell ← sshd session ← sshd monitor (-i), which the runtime spawned.
    const tree = ancestry(sleeper);
    expect(tree.length).toBeGreaterThanOrEqual(4);
    expect(tree.every(isAlive)).toBe(true);
    await otherRuntime.close();
    expect(tree.filter(isAlive)).toEqual([]);
    client.end();
  });
});
