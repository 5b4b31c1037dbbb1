// The AuthorizedKeysCommand program (akc.mjs), run the way sshd runs it, against the
// sandbox IMDS and against hand-made bundles (instance-side.md §3.2, §4, §5).
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { utils } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { INSTANCE_CLOCK_PATH, startImds, type Imds } from '../../src/sandbox/instance/imds.js';
import { signBundleData } from '../../src/sandbox/instance/signer.js';
import type { SandboxInstance } from '../../src/sandbox/world.js';
import { clientKey, createFixture, push, type ClientKey, type Fixture } from './instance-fixture.js';

const AKC = fileURLToPath(new URL('../../src/sandbox/instance/akc.mjs', import.meta.url));

let fx: Fixture;
let instance: SandboxInstance;
let imds: Imds;
let caPath: string;
let logCount = 0;

beforeAll(async () => {
  fx = await createFixture();
  instance = fx.addInstance({ osUsers: ['ec2-user', 'ubuntu', 'admin'] });
  imds = await startImds(fx.world, instance, fx.ca);
  caPath = join(fx.keyDir, 'ca.pem');
  await writeFile(caPath, fx.ca.caCertPem);
});
afterAll(async () => {
  await imds?.close();
  await fx?.close();
});
afterEach(() => {
  fx.world.knobs.imdsServerError = false;
  fx.world.knobs.imdsBundleFault = undefined;
  fx.world.knobs.imdsResponseDelayMs = undefined;
  instance.metadataHttpEndpoint = 'enabled';
  instance.clockSkewSeconds = 0;
});

interface AkcResult {
  code: number;
  stdout: string;
  log: string;
}

// argv as sshd passes it (%u %f), with a stripped environment as sshd gives it.
async function akc(positionals: string[], imdsUrl = imds.url, extra: string[] = []): Promise<AkcResult> {
  const log = join(fx.keyDir, `akc-${++logCount}.log`);
  const args = [AKC, '--imds', imdsUrl, '--ca', caPath, '--log', log, ...extra, ...positionals];
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', USER: 'root', LOGNAME: 'root', HOME: '/root' };
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(process.execPath, args, { env }, (err, stdout) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout });
    });
  });
  return { code, stdout, log: await readFile(log, 'utf8').catch(() => '') };
}

async function pushedFor(user: string): Promise<ClientKey> {
  const key = await clientKey(fx);
  push(fx, instance, user, key);
  return key;
}

describe('against the sandbox IMDS', () => {
  test('prints the pushed key line, exits 0 and logs both lines of §5.4', async () => {
    const key = await pushedFor('ec2-user');
    const result = await akc(['ec2-user', key.fingerprint]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${key.publicKey}\n`);
    const lines = result.log.trim().split('\n').map((line) => line.replace(/^\S+ ec2-instance-connect\[\d+\]: /, ''));
    expect(lines[0]).toBe(`Querying EC2 Instance Connect keys for matching fingerprint: ${key.fingerprint}`);
    expect(lines[1]).toMatch(
      new RegExp(`^Providing ssh key from EC2 Instance Connect with fingerprint: ${key.fingerprint.replace(/[+/]/g, '\\$&')}, request-id: [0-9a-f-]{36}, for IAM principal: arn:aws:iam::111122223333:user/alice$`),
    );
  });

  test('without %f every live key of the user is printed', async () => {
    const first = await pushedFor('admin');
    const second = await pushedFor('admin');
    const result = await akc(['admin']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${first.publicKey}\n${second.publicKey}\n`);
    expect(result.log).not.toContain('Querying');
  });

  test('the %f filter prints only the offered key, and nothing (255) for a key never pushed', async () => {
    await pushedFor('ubuntu');
    const wanted = await pushedFor('ubuntu');
    expect(await akc(['ubuntu', wanted.fingerprint])).toMatchObject({ code: 0, stdout: `${wanted.publicKey}\n` });
    const stranger = await clientKey(fx);
    const refused = await akc(['ubuntu', stranger.fingerprint]);
    expect(refused).toMatchObject({ code: 255, stdout: '' });
    expect(refused.log).toContain(`Querying EC2 Instance Connect keys for matching fingerprint: ${stranger.fingerprint}`);
    expect(refused.log).not.toContain('Providing');
  });

  test('a user without blocks gets exit 0 and no output', async () => {
    const other = fx.addInstance();
    const quiet = await startImds(fx.world, other, fx.ca);
    try {
      expect(await akc(['ec2-user'], quiet.url)).toEqual({ code: 0, stdout: '', log: '' });
    } finally {
      await quiet.close();
    }
  });

  test('an OS user that does not exist gets exit 0 and no output; a missing user is exit 1', async () => {
    expect(await akc(['no-such-user-eic'])).toMatchObject({ code: 0, stdout: '' });
    const missing = await akc([]);
    expect(missing.code).toBe(1);
    expect(missing.log).toContain('EC2 Instance Connect was invoked without a user to authorize and will do nothing.');
  });

  test('#Timestamp is the expiry: accepted 58 s after the push, refused 61 s after', async () => {
    const key = await pushedFor('ec2-user');
    fx.world.clock.advance(58_000);
    expect((await akc(['ec2-user', key.fingerprint])).code).toBe(0);
    fx.world.clock.advance(3_000);
    expect(await akc(['ec2-user', key.fingerprint])).toMatchObject({ code: 255, stdout: '' });
  });

  test('the instance clock decides expiry: two minutes ahead refuses a fresh key', async () => {
    const key = await pushedFor('ec2-user');
    instance.clockSkewSeconds = 120;
    expect((await akc(['ec2-user', key.fingerprint])).code).toBe(255);
  });

  test('blocks naming another instance, or with a bad signature, are refused (255)', async () => {
    const key = await pushedFor('ec2-user');
    fx.world.knobs.imdsBundleFault = 'wrong-instance';
    expect(await akc(['ec2-user', key.fingerprint])).toMatchObject({ code: 255, stdout: '' });
    fx.world.knobs.imdsBundleFault = 'bad-signature';
    expect(await akc(['ec2-user', key.fingerprint])).toMatchObject({ code: 255, stdout: '' });
  });

  test('a signer with the wrong CN is refused before any key (exit 1)', async () => {
    const key = await pushedFor('ec2-user');
    fx.world.knobs.imdsBundleFault = 'wrong-signer-cn';
    const result = await akc(['ec2-user', key.fingerprint]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.log).toContain('EC2 Instance Connect encountered an unrecognized signer certificate. No keys have been trusted.');
  });

  test('a signer that does not chain to the trusted CA is refused (exit 1)', async () => {
    const key = await pushedFor('ec2-user');
    fx.world.knobs.imdsBundleFault = 'untrusted-signer';
    const result = await akc(['ec2-user', key.fingerprint]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.log).toContain('EC2 Instance Connect could not verify the signer trust chain. No keys have been trusted.');
  });

  test('IMDS errors, refusals and slowness end the command without keys (255)', async () => {
    const key = await pushedFor('ec2-user');
    fx.world.knobs.imdsServerError = true;
    const failed = await akc(['ec2-user', key.fingerprint]);
    expect(failed).toMatchObject({ code: 255, stdout: '' });
    expect(failed.log).toContain('EC2 Instance Connect failed to establish trust with Instance Metadata Service');
    fx.world.knobs.imdsServerError = false;

    instance.metadataHttpEndpoint = 'disabled';
    await imds.sync();
    expect(await akc(['ec2-user', key.fingerprint])).toMatchObject({ code: 255, stdout: '' });
    instance.metadataHttpEndpoint = 'enabled';
    await imds.sync();

    // Each request has 1 s, like curl -m 1.
    fx.world.knobs.imdsResponseDelayMs = 1_500;
    expect(await akc(['ec2-user', key.fingerprint])).toMatchObject({ code: 255, stdout: '' });
  });

  test('the whole command has 5 s, like `timeout 5s`: slow answers end it with status 124', async () => {
    const key = await pushedFor('ec2-user');
    // Each of its eight requests stays under the 1 s limit, together they do not fit in 5 s.
    fx.world.knobs.imdsResponseDelayMs = 800;
    expect(await akc(['ec2-user', key.fingerprint])).toMatchObject({ code: 124, stdout: '' });
  });

  test('without --imds and --ca the command refuses to run (exit 1)', async () => {
    const { code } = await new Promise<{ code: number }>((resolve) =>
      execFile(process.execPath, [AKC, 'ec2-user'], (err) => resolve({ code: err === null ? 0 : Number(err.code) })),
    );
    expect(code).toBe(1);
  });
});

// A minimal IMDS answering `body` at active-keys/<user>/, for bundles the sandbox
// itself never renders.
async function handMadeImds(body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    const answers: Record<string, string> = {
      '/latest/api/token': 'token',
      '/latest/meta-data/instance-id/': instance.instanceId,
      '/latest/meta-data/placement/availability-zone/': 'us-east-1a',
      '/latest/meta-data/services/domain/': 'amazonaws.com',
      '/latest/meta-data/managed-ssh-keys/signer-cert/': fx.ca.signer.chainPem,
      '/latest/meta-data/managed-ssh-keys/active-keys/ec2-user/': body,
      [INSTANCE_CLOCK_PATH]: String(fx.world.clock.now()),
    };
    const answer = answers[path];
    res.writeHead(answer === undefined ? 404 : 200);
    res.end(answer ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, instance.hostAddress, resolve));
  return { url: `http://${instance.hostAddress}:${(server.address() as AddressInfo).port}`, server };
}

function block(lines: string[], sign: (data: string) => string = (data) => signBundleData(fx.ca.signer, data).toString('base64')): string {
  const data = lines.map((line) => `${line}\n`).join('');
  return data + sign(data) + '\n';
}

function headers(overrides: Record<string, string> = {}): string[] {
  const fields = { Timestamp: String(Math.floor(fx.world.clock.now() / 1000) + 60), Instance: instance.instanceId, Caller: 'arn:aws:iam::111122223333:user/bob', Request: 'req-1', ...overrides };
  return Object.entries(fields).map(([name, value]) => `#${name}=${value}`);
}

async function withBundle(body: string, fingerprint = ''): Promise<AkcResult> {
  const { url, server } = await handMadeImds(body);
  try {
    return await akc(fingerprint === '' ? ['ec2-user'] : ['ec2-user', fingerprint], url);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('bundle parsing', () => {
  test('unknown # fields are part of the signed data, and the key is accepted', async () => {
    const key = await clientKey(fx);
    const result = await withBundle(block([...headers(), '#Future=field', key.publicKey]), key.fingerprint);
    expect(result).toMatchObject({ code: 0, stdout: `${key.publicKey}\n` });
  });

  test('a signature on one line or wrapped at 64 columns is read whole', async () => {
    const a = await clientKey(fx);
    const b = await clientKey(fx);
    const wrapped = (data: string) => signBundleData(fx.ca.signer, data).toString('base64').match(/.{1,64}/g)!.join('\n');
    const body = block([...headers(), a.publicKey]) + '\n' + block([...headers(), b.publicKey], wrapped);
    expect(await withBundle(body)).toMatchObject({ code: 0, stdout: `${a.publicKey}\n${b.publicKey}\n` });
  });

  test('a block whose key line does not start with ssh is skipped, and the next one still counts', async () => {
    const good = await clientKey(fx);
    // A real, well-formed ECDSA key: only its type keeps it out (SendSSHPublicKey takes RSA and Ed25519).
    const ecdsa = utils.generateKeyPairSync('ecdsa', { bits: 256 }).public;
    const body = block([...headers(), ecdsa]) + '\n' + block([...headers(), good.publicKey]);
    expect(await withBundle(body)).toMatchObject({ code: 0, stdout: `${good.publicKey}\n` });
  });

  test('a block without #Instance or #Timestamp is refused', async () => {
    const key = await clientKey(fx);
    const noInstance = headers().filter((line) => !line.startsWith('#Instance='));
    const noTimestamp = headers().filter((line) => !line.startsWith('#Timestamp='));
    const body = block([...noInstance, key.publicKey]) + '\n' + block([...noTimestamp, key.publicKey]);
    expect(await withBundle(body)).toMatchObject({ code: 255, stdout: '' });
  });

  test('a key line changed after signing, or a signature that is not base64, is refused', async () => {
    const key = await clientKey(fx);
    const signedOther = (data: string) => signBundleData(fx.ca.signer, data.replace('test', 'other')).toString('base64');
    expect(await withBundle(block([...headers(), key.publicKey], signedOther))).toMatchObject({ code: 255, stdout: '' });
    expect(await withBundle(block([...headers(), key.publicKey], () => 'not base64!'))).toMatchObject({ code: 255, stdout: '' });
  });
});
