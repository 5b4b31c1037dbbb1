// The sandbox's SendSSHPublicKey (EC2 Instance Connect, JSON 1.1) driven by the real
// @aws-sdk/client-ec2-instance-connect: validation, key checks, every modelled exception
// with its SDK name and HTTP status, the fault knobs, the key store and the call log.
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EC2InstanceConnectClient,
  SendSSHPublicKeyCommand,
  ThrottlingException,
  type SendSSHPublicKeyCommandInput,
} from '@aws-sdk/client-ec2-instance-connect';
import { World, type SandboxInstance } from '../../src/sandbox/world.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/http-api.js';
import { testInstance } from '../support/sandbox-records.js';

const BOB = { accessKeyId: 'AKIASANDBOXBOB000001', secretAccessKey: 'bob-secret', arn: 'arn:aws:iam::111122223333:user/bob', userId: 'AIDABOB0001' };
const RUNNING = 'i-0c0ffee0000000001';
const STOPPED = 'i-0c0ffee0000000002';

function instance(instanceId: string, n: number, overrides: Partial<SandboxInstance> = {}): SandboxInstance {
  return testInstance({
    instanceId,
    tags: { Name: `host-${n}` },
    az: 'us-east-1c',
    privateIp: `127.100.17.${n}`,
    hostAddress: `127.100.18.${n}`,
    ...overrides,
  });
}

// OpenSSH public-key lines built from node:crypto keys (SSH wire format, RFC 4253 §6.6).
function sshString(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}
function mpint(data: Buffer): Buffer {
  return sshString(data[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), data]) : data);
}
function ed25519Line(comment?: string): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(Buffer.from(jwk.x!, 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}
// RSA generation is slow: one key per size for the whole file.
const rsaLines = new Map<number, string>();
function rsaLine(bits: number): string {
  const cached = rsaLines.get(bits);
  if (cached) return cached;
  const jwk = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(Buffer.from(jwk.e!, 'base64url')), mpint(Buffer.from(jwk.n!, 'base64url'))]);
  const line = `ssh-rsa ${blob.toString('base64')} bob@laptop`;
  rsaLines.set(bits, line);
  return line;
}
const ECDSA_LINE =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg= bob@laptop';

let world: World;
let server: ApiServer;
let eic: EC2InstanceConnectClient;

beforeEach(async () => {
  world = new World('us-east-1', '111122223333');
  world.principals.push(BOB);
  world.addInstance(instance(RUNNING, 10));
  world.addInstance(instance(STOPPED, 11, { state: 'stopped' }));
  server = await startApiServer(world);
  eic = new EC2InstanceConnectClient({ endpoint: server.url, region: 'us-east-1', credentials: BOB, maxAttempts: 1 });
});

afterEach(async () => {
  eic.destroy();
  await server.close();
});

const push = (input: Partial<SendSSHPublicKeyCommandInput> = {}) =>
  eic.send(new SendSSHPublicKeyCommand({ InstanceId: RUNNING, InstanceOSUser: 'ec2-user', SSHPublicKey: ed25519Line(), ...input } as SendSSHPublicKeyCommandInput));

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number; fault?: string; error: unknown }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode, fault: e.$fault, error };
  }
  throw new Error('expected the call to fail');
}

describe('SendSSHPublicKey success', () => {
  it('stores the key for 60 s and answers RequestId and Success', async () => {
    const key = ed25519Line();
    expect(key).toHaveLength(80); // a comment-less Ed25519 line is exactly the API minimum
    // The sandbox clock runs in real time: the push lands somewhere in [before, after].
    const before = Math.floor(world.clock.now() / 1000);
    const out = await push({ SSHPublicKey: key });
    const after = Math.floor(world.clock.now() / 1000);
    expect(out.Success).toBe(true);
    expect(out.RequestId).toBe(out.$metadata.requestId);
    const expiresAt = world.pushedKeys[0]?.expiresAt;
    expect(world.pushedKeys).toEqual([{ instanceId: RUNNING, osUser: 'ec2-user', publicKey: key, callerArn: BOB.arn, requestId: out.RequestId, expiresAt }]);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 60);
    expect(expiresAt).toBeLessThanOrEqual(after + 60);
    expect(world.calls).toEqual([
      expect.objectContaining({
        service: 'ec2-instance-connect',
        operation: 'SendSSHPublicKey',
        params: { InstanceId: RUNNING, InstanceOSUser: 'ec2-user', SSHPublicKey: key },
        caller: BOB.arn,
        status: 200,
        requestId: out.RequestId,
      }),
    ]);
  });

  it('accepts RSA 2048 and 4096 keys, a trailing newline, and the instance’s own AvailabilityZone', async () => {
    await push({ SSHPublicKey: rsaLine(2048) });
    await push({ SSHPublicKey: `${rsaLine(4096)}\n` });
    await push({ AvailabilityZone: 'us-east-1c' });
    expect(world.pushedKeys.map((k) => k.publicKey.split(' ')[0])).toEqual(['ssh-rsa', 'ssh-rsa', 'ssh-ed25519']);
    expect(world.pushedKeys[1]!.publicKey.endsWith('\n')).toBe(false);
  });

  it('keeps several live keys for the same instance and user', async () => {
    await push();
    await push();
    expect(world.publishedKeys(RUNNING, 'ec2-user')).toHaveLength(2);
  });
});

describe('SendSSHPublicKey validation (InvalidArgsException, 400)', () => {
  it('reports a model constraint in the service’s wording', async () => {
    const e = await errorOf(push({ InstanceId: 'mi-048afb7f6460a110d' }));
    expect(e).toMatchObject({
      name: 'InvalidArgsException',
      status: 400,
      fault: 'client',
      message: "1 validation error detected: Value 'mi-048afb7f6460a110d' at 'instanceId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^i-[a-f0-9]+$",
    });
  });

  it('reports every violated constraint, including missing members', async () => {
    const e = await errorOf(push({ InstanceOSUser: undefined, SSHPublicKey: 'ssh-ed25519 AAAA' }));
    expect(e.message).toBe(
      "2 validation errors detected: Value null at 'instanceOSUser' failed to satisfy constraint: Member must not be null; " +
        "Value 'ssh-ed25519 AAAA' at 'sSHPublicKey' failed to satisfy constraint: Member must have length greater than or equal to 80",
    );
  });

  it.each([
    ['a user name with a space', { InstanceOSUser: 'ec2 user' }],
    ['a user name longer than 32', { InstanceOSUser: 'u'.repeat(33) }],
    ['an instance id with upper-case hex', { InstanceId: 'i-0C0FFEE0000000001' }],
    ['a malformed AvailabilityZone', { AvailabilityZone: 'zone-a' }],
    ['an ECDSA key', { SSHPublicKey: ECDSA_LINE }],
    ['an RSA 1024 key', { SSHPublicKey: rsaLine(1024) }],
    ['an RSA 3072 key (supported lengths are 2048 and 4096)', { SSHPublicKey: rsaLine(3072) }],
    ['a key whose base64 is not a key', { SSHPublicKey: `ssh-ed25519 ${Buffer.alloc(51, 7).toString('base64')}` }],
    ['a key whose type does not match its blob', { SSHPublicKey: ed25519Line().replace('ssh-ed25519', 'ssh-rsa') }],
  ])('refuses %s', async (_name, input) => {
    expect(await errorOf(push(input))).toMatchObject({ name: 'InvalidArgsException', status: 400 });
    expect(world.pushedKeys).toEqual([]);
  });

  it('accepts an RSA 3072 key once the knob allows that length', async () => {
    world.knobs.acceptedRsaKeyBits.add(3072);
    await expect(push({ SSHPublicKey: rsaLine(3072) })).resolves.toMatchObject({ Success: true });
  });
});

describe('SendSSHPublicKey errors and knobs', () => {
  it('answers EC2InstanceNotFoundException (404) for an unknown instance or another zone', async () => {
    expect(await errorOf(push({ InstanceId: 'i-0123456789abcdef0' }))).toMatchObject({ name: 'EC2InstanceNotFoundException', status: 404, fault: 'client' });
    expect(await errorOf(push({ AvailabilityZone: 'us-east-1a' }))).toMatchObject({ name: 'EC2InstanceNotFoundException', status: 404 });
  });

  it('answers EC2InstanceStateInvalidException (400) for an instance that is not running', async () => {
    expect(await errorOf(push({ InstanceId: STOPPED }))).toMatchObject({ name: 'EC2InstanceStateInvalidException', status: 400, message: expect.stringContaining('stopped') });
  });

  it('answers AuthException (403) for a denied OS user or instance', async () => {
    world.knobs.deniedOsUsers.add('root');
    const e = await errorOf(push({ InstanceOSUser: 'root' }));
    expect(e).toMatchObject({ name: 'AuthException', status: 403 });
    expect(e.message).toBe(`User: ${BOB.arn} is not authorized to perform: ec2-instance-connect:SendSSHPublicKey on resource: arn:aws:ec2:us-east-1:111122223333:instance/${RUNNING}`);
    world.knobs.deniedInstances.add(RUNNING);
    expect(await errorOf(push())).toMatchObject({ name: 'AuthException', status: 403 });
  });

  it('answers ThrottlingException (429) for the next N pushes', async () => {
    world.knobs.throttleNextPushes = 2;
    for (let n = 0; n < 2; n++) {
      const e = await errorOf(push());
      expect(e).toMatchObject({ name: 'ThrottlingException', status: 429 });
      expect(e.error).toBeInstanceOf(ThrottlingException);
    }
    await expect(push()).resolves.toMatchObject({ Success: true });
  });

  it('limits pushes per second on the sandbox clock', async () => {
    world.knobs.pushesPerSecond = 2;
    await push();
    await push();
    expect(await errorOf(push())).toMatchObject({ name: 'ThrottlingException' });
    world.clock.advance(1001);
    await expect(push()).resolves.toMatchObject({ Success: true });
  });

  it('answers ServiceException (500) and EC2InstanceUnavailableException (503) for the next N pushes', async () => {
    world.knobs.serviceErrorNextPushes = 1;
    expect(await errorOf(push())).toMatchObject({ name: 'ServiceException', status: 500, fault: 'server' });
    world.knobs.unavailableNextPushes = 1;
    expect(await errorOf(push())).toMatchObject({ name: 'EC2InstanceUnavailableException', status: 503, fault: 'server' });
    await expect(push()).resolves.toMatchObject({ Success: true });
    expect(world.calls.map((c) => [c.status, c.errorCode])).toEqual([
      [500, 'ServiceException'],
      [503, 'EC2InstanceUnavailableException'],
      [200, undefined],
    ]);
  });

  it('is retried by the SDK for throttling, as AWS throttling is', async () => {
    world.knobs.throttleNextPushes = 1;
    const retrying = new EC2InstanceConnectClient({ endpoint: server.url, region: 'us-east-1', credentials: BOB, maxAttempts: 2 });
    await retrying.send(new SendSSHPublicKeyCommand({ InstanceId: RUNNING, InstanceOSUser: 'ec2-user', SSHPublicKey: ed25519Line() }));
    retrying.destroy();
    expect(world.calls.map((c) => c.errorCode ?? c.status)).toEqual(['ThrottlingException', 200]);
    expect(world.pushedKeys).toHaveLength(1);
  });
});
