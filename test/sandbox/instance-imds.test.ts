// The fake IMDS of one instance: IMDSv2 tokens, the paths of instance-side.md §3.3,
// its fault knobs, and the sandbox-only instance clock.
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { INSTANCE_CLOCK_PATH, startImds, type Imds } from '../../src/sandbox/instance/imds.js';
import { signedData } from '../../src/sandbox/instance/signer.js';
import type { SandboxInstance } from '../../src/sandbox/world.js';
import { clientKey, createFixture, push, type Fixture } from './instance-fixture.js';

let fx: Fixture;
let instance: SandboxInstance;
let imds: Imds;

beforeAll(async () => {
  fx = await createFixture();
  instance = fx.addInstance();
  imds = await startImds(fx.world, instance, fx.ca);
});
afterAll(async () => {
  await imds?.close();
  await fx?.close();
});
afterEach(() => {
  fx.world.knobs.imdsServerError = false;
  fx.world.knobs.imdsBundleFault = undefined;
  instance.metadataHttpTokens = undefined;
  instance.metadataHttpEndpoint = 'enabled';
  instance.clockSkewSeconds = 0;
});

async function token(ttl = '5'): Promise<string> {
  const res = await fetch(`${imds.url}/latest/api/token`, { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': ttl } });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-aws-ec2-metadata-token-ttl-seconds')).toBe(ttl);
  return res.text();
}

async function get(path: string, tokenValue?: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = tokenValue === undefined ? {} : { 'X-aws-ec2-metadata-token': tokenValue };
  const res = await fetch(`${imds.url}${path}`, { method, headers });
  return { status: res.status, body: await res.text() };
}

function refused(): Promise<string> {
  const port = instance.imdsPort;
  return new Promise((resolve) => {
    const socket = connect(port, instance.hostAddress);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

describe('IMDSv2 tokens', () => {
  test('listens on the instance host address and records the port it got', () => {
    expect(instance.imdsPort).toBeGreaterThan(0);
    expect(imds.url).toBe(`http://${instance.hostAddress}:${instance.imdsPort}`);
  });

  test('a token PUT needs a TTL header between 1 and 21600 seconds', async () => {
    const put = (headers: Record<string, string>) => fetch(`${imds.url}/latest/api/token`, { method: 'PUT', headers }).then((r) => r.status);
    expect(await put({})).toBe(400);
    expect(await put({ 'X-aws-ec2-metadata-token-ttl-seconds': '0' })).toBe(400);
    expect(await put({ 'X-aws-ec2-metadata-token-ttl-seconds': '21601' })).toBe(400);
    expect(await put({ 'X-aws-ec2-metadata-token-ttl-seconds': '21600' })).toBe(200);
    expect((await get('/latest/api/token')).status).toBe(405);
  });

  test('metadata GETs without a token, or with an unknown one, get 401', async () => {
    expect((await get('/latest/meta-data/instance-id/')).status).toBe(401);
    expect((await get('/latest/meta-data/instance-id/', 'not-a-token')).status).toBe(401);
  });

  test('a token stops working when its TTL has passed on the sandbox clock', async () => {
    const t = await token('5');
    expect((await get('/latest/meta-data/instance-id/', t)).status).toBe(200);
    fx.world.clock.advance(5_000);
    expect((await get('/latest/meta-data/instance-id/', t)).status).toBe(401);
  });

  test('with HttpTokens optional a GET without a token is answered (IMDSv1)', async () => {
    instance.metadataHttpTokens = 'optional';
    expect(await get('/latest/meta-data/instance-id/')).toEqual({ status: 200, body: instance.instanceId });
    expect((await get('/latest/meta-data/instance-id/', 'not-a-token')).status).toBe(401);
  });
});

describe('metadata paths', () => {
  test('instance id, zone and domain answer with and without the trailing slash', async () => {
    const t = await token();
    expect(await get('/latest/meta-data/instance-id/', t)).toEqual({ status: 200, body: instance.instanceId });
    expect(await get('/latest/meta-data/instance-id', t)).toEqual({ status: 200, body: instance.instanceId });
    expect(await get('/latest/meta-data/placement/availability-zone/', t)).toEqual({ status: 200, body: 'us-east-1a' });
    expect(await get('/latest/meta-data/services/domain/', t)).toEqual({ status: 200, body: 'amazonaws.com' });
    expect((await get('/latest/meta-data/no-such-thing/', t)).status).toBe(404);
  });

  test('signer-cert is the PEM chain and signer-ocsp lists no staples', async () => {
    const t = await token();
    expect(await get('/latest/meta-data/managed-ssh-keys/signer-cert/', t)).toEqual({ status: 200, body: fx.ca.signer.chainPem });
    expect(await get('/latest/meta-data/managed-ssh-keys/signer-ocsp/', t)).toEqual({ status: 200, body: '' });
  });

  test('active-keys is 404 for a user without blocks, also to HEAD', async () => {
    const t = await token();
    expect((await get('/latest/meta-data/managed-ssh-keys/active-keys/ubuntu/', t)).status).toBe(404);
    expect((await get('/latest/meta-data/managed-ssh-keys/active-keys/ubuntu/', t, 'HEAD')).status).toBe(404);
  });

  test('active-keys serves every published block of the user, signed', async () => {
    const first = push(fx, instance, 'admin', await clientKey(fx));
    const second = push(fx, instance, 'admin', await clientKey(fx));
    const t = await token();
    const { status, body } = await get('/latest/meta-data/managed-ssh-keys/active-keys/admin/', t);
    expect(status).toBe(200);
    const blocks = body.split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(blocks[0]!.startsWith(signedData(first))).toBe(true);
    expect(blocks[1]!.startsWith(signedData(second))).toBe(true);
    expect((await get('/latest/meta-data/managed-ssh-keys/active-keys/admin/', t, 'HEAD')).status).toBe(200);
  });

  test('the wrong-instance fault serves blocks naming another instance', async () => {
    push(fx, instance, 'ubuntu', await clientKey(fx));
    fx.world.knobs.imdsBundleFault = 'wrong-instance';
    const { body } = await get('/latest/meta-data/managed-ssh-keys/active-keys/ubuntu/', await token());
    const named = /^#Instance=(.*)$/m.exec(body)?.[1];
    expect(named).toMatch(/^i-[0-9a-f]{17}$/);
    expect(named).not.toBe(instance.instanceId);
  });

  test('the signer faults change the certificate IMDS serves', async () => {
    fx.world.knobs.imdsBundleFault = 'wrong-signer-cn';
    const { body } = await get('/latest/meta-data/managed-ssh-keys/signer-cert/', await token());
    expect(body).toBe((await fx.ca.faultySigner('wrong-signer-cn')).chainPem);
  });
});

describe('sandbox extension and faults', () => {
  test('the instance clock path answers the sandbox clock plus the instance skew, without a token', async () => {
    instance.clockSkewSeconds = 3600;
    const before = fx.world.clock.now();
    const { status, body } = await get(INSTANCE_CLOCK_PATH);
    const after = fx.world.clock.now();
    expect(status).toBe(200);
    expect(Number(body)).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(Number(body)).toBeLessThanOrEqual(after + 3_600_000);
  });

  test('the server-error knob answers 500 to everything, token requests included', async () => {
    fx.world.knobs.imdsServerError = true;
    const res = await fetch(`${imds.url}/latest/api/token`, { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '5' } });
    expect(res.status).toBe(500);
    expect((await get(INSTANCE_CLOCK_PATH)).status).toBe(500);
  });

  test('a disabled metadata endpoint refuses connections, and answers again once enabled', async () => {
    instance.metadataHttpEndpoint = 'disabled';
    await imds.sync();
    expect(await refused()).toBe('ECONNREFUSED');
    instance.metadataHttpEndpoint = 'enabled';
    await imds.sync();
    expect((await get('/latest/meta-data/instance-id/', await token())).body).toBe(instance.instanceId);
  });
});
