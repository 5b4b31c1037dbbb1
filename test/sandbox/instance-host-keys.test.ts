// Host keys of an emulated instance: the files sshd uses, the cloud-init console text
// that publishes them (instance-side.md §7.2), and what sshd actually presents.
import { execFile } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ssh2, { type ServerHostKeyAlgorithm } from 'ssh2';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sshFingerprint } from '../../src/sandbox/instance/host-keys.js';
import type { InstanceRuntime } from '../../src/sandbox/instance/instance.js';
import type { SandboxInstance } from '../../src/sandbox/world.js';
import { clientKey, createFixture, openSsh, push, ssh2Run, type ClientKey, type Fixture } from './instance-fixture.js';

const run = promisify(execFile);

let fx: Fixture;
let instance: SandboxInstance;
let runtime: InstanceRuntime;
let key: ClientKey;

beforeAll(async () => {
  fx = await createFixture();
  instance = fx.addInstance({ instanceType: 'm6i.large' });
  runtime = await fx.start(instance);
  key = await clientKey(fx);
});
afterAll(async () => {
  await fx?.close();
});

// The parsing rules of §7.2: the text between the last BEGIN/END pair, keeping only
// lines that look like public keys.
function consoleKeys(output: string): string[] {
  const begin = output.lastIndexOf('-----BEGIN SSH HOST KEY KEYS-----');
  const end = output.lastIndexOf('-----END SSH HOST KEY KEYS-----');
  return output
    .slice(begin, end)
    .split('\n')
    .filter((line) => /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+=* ?.*$/.test(line));
}

// What sshd presents when the client asks for one host key algorithm.
async function presented(algorithm: ServerHostKeyAlgorithm): Promise<string> {
  push(fx, instance, 'ec2-user', key);
  const result = await new Promise<Buffer | undefined>((resolve, reject) => {
    const client = new ssh2.Client();
    let blob: Buffer | undefined;
    client.once('error', reject);
    client.once('ready', () => {
      client.end();
      resolve(blob);
    });
    client.connect({
      host: instance.hostAddress,
      port: instance.sshPort,
      username: 'ec2-user',
      privateKey: key.privateKey,
      algorithms: { serverHostKey: [algorithm] },
      hostVerifier: (hostKey: Buffer) => {
        blob = hostKey;
        return true;
      },
    });
  });
  return result!.toString('base64');
}

async function keyscan(): Promise<string[]> {
  const { stdout } = await run('ssh-keyscan', ['-p', String(instance.sshPort), '-t', 'ecdsa,ed25519,rsa', instance.hostAddress]);
  return stdout.trim().split('\n').map((line) => line.split(' ').slice(1).join(' ')).sort();
}

function withoutComment(line: string): string {
  return line.split(' ').slice(0, 2).join(' ');
}

describe('host keys', () => {
  test('ecdsa, ed25519 and rsa keys are written mode 0600 into the state dir', async () => {
    expect(instance.hostKeys.map((k) => k.type)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519', 'ssh-rsa']);
    for (const hostKey of instance.hostKeys) {
      expect(hostKey.privatePath.startsWith(runtime.stateDir)).toBe(true);
      expect((await stat(hostKey.privatePath)).mode & 0o777).toBe(0o600);
      expect(hostKey.publicLine).toMatch(new RegExp(`^${hostKey.type} [A-Za-z0-9+/]+=* root@ip-10-`));
    }
  });

  test('the console shows fingerprints through syslog framed by # lines, then the keys unprefixed', () => {
    const output = instance.consoleOutput!;
    const lines = output.split('\n');
    const start = lines.indexOf('ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----');
    expect(lines[start - 1]).toBe(`ec2: ${'#'.repeat(61)}`);
    const fingerprints = lines.slice(start + 1, start + 4);
    expect(fingerprints).toEqual(
      instance.hostKeys.map((k, i) => `ec2: ${[256, 256, 2048][i]} ${sshFingerprint(k.publicLine)} ${k.publicLine.split(' ')[2]} (${['ECDSA', 'ED25519', 'RSA'][i]})`),
    );
    expect(lines[start + 4]).toBe('ec2: -----END SSH HOST KEY FINGERPRINTS-----');
    expect(lines[start + 5]).toBe(`ec2: ${'#'.repeat(61)}`);
    expect(lines[start + 6]).toBe('-----BEGIN SSH HOST KEY KEYS-----');
    expect(output).toContain('-----END SSH HOST KEY KEYS-----');
    expect(output).toMatch(/^\[ {4}0\.000000\] Linux version/);
    expect(output).toContain('DMI: Amazon EC2 m6i.large/');
    expect(consoleKeys(output)).toEqual(instance.hostKeys.map((k) => k.publicLine));
  });

  test('the keys in the console are the keys sshd presents, for every key type', async () => {
    const fromConsole = consoleKeys(instance.consoleOutput!).map(withoutComment);
    const algorithms: [ServerHostKeyAlgorithm, string][] = [['ssh-ed25519', 'ssh-ed25519'], ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256'], ['rsa-sha2-256', 'ssh-rsa']];
    for (const [algorithm, type] of algorithms) {
      expect(fromConsole).toContain(`${type} ${await presented(algorithm)}`);
    }
    expect(await keyscan()).toEqual([...fromConsole].sort());
  });

  test('OpenSSH pinned from the console logs in, and refuses once the host keys are replaced', async () => {
    const knownHosts = join(fx.keyDir, 'known_hosts');
    const pins = consoleKeys(instance.consoleOutput!).map((line) => `[${instance.hostAddress}]:${instance.sshPort} ${withoutComment(line)}`);
    await writeFile(knownHosts, pins.join('\n') + '\n');
    push(fx, instance, 'ec2-user', key);
    expect((await openSsh(instance, 'ec2-user', key, ['true'], knownHosts)).code).toBe(0);

    const before = instance.consoleOutput;
    const oldKeys = instance.hostKeys.map((k) => k.publicLine);
    const newKeys = await runtime.replaceHostKeys();
    expect(newKeys.map((k) => k.publicLine)).not.toEqual(oldKeys);
    expect(instance.hostKeys).toBe(newKeys);
    expect(instance.consoleOutput).toBe(before);

    const refused = await openSsh(instance, 'ec2-user', key, ['true'], knownHosts);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(await keyscan()).toEqual(newKeys.map((k) => withoutComment(k.publicLine)).sort());
  });

  test('replacing the keys with updateConsoleOutput publishes the new keys in the console', async () => {
    const newKeys = await runtime.replaceHostKeys({ updateConsoleOutput: true });
    expect(consoleKeys(instance.consoleOutput!)).toEqual(newKeys.map((k) => k.publicLine));
    expect(await presented('ssh-ed25519')).toBe(newKeys.find((k) => k.type === 'ssh-ed25519')!.publicLine.split(' ')[1]);
  });

  test('an instance started again keeps its host keys, like a stopped and started EC2 instance', async () => {
    const keysBefore = instance.hostKeys.map((k) => k.publicLine);
    const consoleBefore = instance.consoleOutput;
    await runtime.close();
    runtime = await fx.start(instance);
    expect(instance.hostKeys.map((k) => k.publicLine)).toEqual(keysBefore);
    expect(instance.consoleOutput).toBe(consoleBefore);
    push(fx, instance, 'ec2-user', key);
    const result = await ssh2Run(instance, 'ec2-user', key, 'true');
    expect(result.ok).toBe(true);
    expect(keysBefore.map(withoutComment)).toContain(`ssh-ed25519 ${result.hostKey!.toString('base64')}`);
  });
});
