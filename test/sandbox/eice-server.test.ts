// The sandbox's EICE endpoint seen from a bare `ws` client (eice.md §5.4, §6, §11):
// the presigned URL is verified against the Host header actually received and the
// session token, the parameters get the real error bodies with x-amzn-RequestId,
// empty frames are tolerated, a TEXT frame is a protocol error (1003), the target's
// EOF is CLOSE 1000, and the per-endpoint cap holds.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { presignTunnelUrl } from '../../src/aws/eice-url.js';
import { buildEndpoint } from '../../src/sandbox/eice-fleet.js';
import { startEiceServer, type EiceServer } from '../../src/sandbox/eice-server.js';
import { createTlsIdentity, type TlsIdentity } from '../../src/sandbox/tls.js';
import { World, type SandboxInstance } from '../../src/sandbox/world.js';

const PRINCIPAL = { accessKeyId: 'ASIASANDBOXTEMP0001', secretAccessKey: 'temp-secret', sessionToken: 'FAKE/TOKEN+with=chars', arn: 'arn:aws:sts::111122223333:assumed-role/r/s', userId: 'AROA1:s' };
const ENDPOINT = 'eice-0e1c5a4db0c0e1c01';

let world: World;
let tls: TlsIdentity;
let eice: EiceServer;
let echo: Server;
let host: string;
// The echo server's live sockets.
const sockets = new Set<Socket>();

beforeAll(async () => {
  world = new World('us-east-1', '111122223333');
  world.principals.push(PRINCIPAL);
  world.addEndpoint(buildEndpoint({}, 0, 'us-east-1', new Date()));
  // The "sshd": speaks first, then echoes.
  echo = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.write('SSH-2.0-echo\r\n');
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  world.addInstance({
    instanceId: 'i-0e1c5a4db00000003',
    tags: {},
    state: 'running',
    imageId: 'ami-0a1e2d3c4b5a69788',
    platformDetails: 'Linux/UNIX',
    instanceType: 't3.micro',
    az: 'us-east-1a',
    vpcId: world.endpoints.get(ENDPOINT)!.vpcId,
    subnetId: world.endpoints.get(ENDPOINT)!.subnetId,
    privateIp: '10.0.0.5',
    privateDnsName: 'ip-10-0-0-5.ec2.internal',
    hostAddress: '127.0.0.1',
    sshPort: (echo.address() as AddressInfo).port,
    imdsPort: 0,
    osUsers: ['ec2-user'],
    launchTime: new Date(),
    hostKeys: [],
    metadataHttpEndpoint: 'enabled',
    clockSkewSeconds: 0,
  } satisfies SandboxInstance);
  tls = await createTlsIdentity([world.endpoints.get(ENDPOINT)!.dnsName], Date.now());
  eice = await startEiceServer(world, { tls, port: 0 });
  host = `127.0.0.1:${eice.port}`;
});
afterAll(async () => {
  await eice?.close();
  echo?.close();
});

async function url(overrides: { host?: string; remotePort?: number; privateIpAddress?: string; maxTunnelDuration?: number; token?: string | null } = {}) {
  return presignTunnelUrl({
    host: overrides.host ?? host,
    endpointId: ENDPOINT,
    privateIpAddress: overrides.privateIpAddress ?? '10.0.0.5',
    remotePort: overrides.remotePort ?? 22,
    maxTunnelDuration: overrides.maxTunnelDuration,
    region: 'us-east-1',
    credentials: { ...PRINCIPAL, sessionToken: overrides.token === null ? undefined : (overrides.token ?? PRINCIPAL.sessionToken) },
    signingDate: new Date(),
  });
}

// Connects to the server (whatever Host the URL names) and reports the outcome.
function open(signedUrl: string): Promise<{ ws?: WebSocket; status?: number; body?: string; requestId?: string }> {
  const path = signedUrl.slice(signedUrl.indexOf('/openTunnel'));
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${host}${path}`, { ca: tls.caCertPem, perMessageDeflate: false });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body, requestId: res.headers['x-amzn-requestid'] as string }));
    });
    ws.once('error', reject);
  });
}

function firstMessage(ws: WebSocket): Promise<Buffer> {
  return new Promise((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
}

describe('EICE server', () => {
  it('opens a tunnel for a correctly presigned URL and answers with the target bytes', async () => {
    const { ws } = await open(await url());
    expect((await firstMessage(ws!)).toString()).toBe('SSH-2.0-echo\r\n');
    ws!.send(Buffer.alloc(0)); // tolerated (aws/aws-cli#9344 sends these)
    ws!.send(Buffer.from('ping'));
    expect((await firstMessage(ws!)).toString()).toBe('ping');
    const closed = new Promise<number>((r) => ws!.once('close', (code) => r(code)));
    ws!.close(1000);
    expect(await closed).toBe(1000);
    const record = world.tunnels.at(-1)!;
    expect(record).toMatchObject({ emptyFramesIn: 1, framesIn: 2, bytesIn: 4, hostHeader: host });
  });

  it('verifies against the Host header actually received (a URL signed for another host fails)', async () => {
    const result = await open(await url({ host: 'eice-0e1c5a4db0c0e1c01.example.amazonaws.com' }));
    expect(result.status).toBe(403);
    expect(JSON.parse(result.body!)).toMatchObject({ ErrorCode: 'AccessDeniedException' });
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['a missing session token', null],
    ['a wrong session token', 'OTHER'],
  ])('refuses %s', async (_what, token) => {
    const result = await open(await url({ token }));
    expect(result.status).toBe(403);
    expect(JSON.parse(result.body!).ErrorCode).toBe('AccessDeniedException');
  });

  it('answers the real InvalidParameter body for a port other than 22/3389', async () => {
    const result = await open(await url({ remotePort: 80 }));
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body!)).toEqual({
      ErrorCode: 'InvalidParameter',
      Message: 'The specified RemotePort is not valid. Specify either 22 or 3389 as the RemotePort and retry your request.',
    });
  });

  it('refuses maxTunnelDuration outside 1..3600', async () => {
    const result = await open(await url({ maxTunnelDuration: 3601 }));
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body!).ErrorCode).toBe('InvalidParameter');
  });

  it('closes a tunnel to an address with no instance in the VPC with a reason', async () => {
    const { ws } = await open(await url({ privateIpAddress: '10.9.9.9' }));
    const [code, reason] = await new Promise<[number, string]>((r) => ws!.once('close', (c, why) => r([c, why.toString()])));
    expect(code).toBe(4001);
    expect(reason).toBe('Unable to connect to 10.9.9.9:22: no route to host');
  });

  it('treats a TEXT frame as a protocol error (1003)', async () => {
    const { ws } = await open(await url());
    await firstMessage(ws!);
    const closed = new Promise<number>((r) => ws!.once('close', (code) => r(code)));
    ws!.send('text', { binary: false });
    expect(await closed).toBe(1003);
  });

  it('sends CLOSE 1000 when the target ends the connection', async () => {
    const { ws } = await open(await url());
    await firstMessage(ws!);
    const closed = new Promise<number>((r) => ws!.once('close', (code) => r(code)));
    for (const c of sockets) c.end();
    expect(await closed).toBe(1000);
  });

  it('caps concurrent tunnels per endpoint at 20 with a 429 ThrottlingException', async () => {
    const open20 = await Promise.all(Array.from({ length: 20 }, async () => (await open(await url())).ws!));
    expect(world.tunnels.filter((t) => t.open)).toHaveLength(20);
    const over = await open(await url());
    expect(over.status).toBe(429);
    expect(JSON.parse(over.body!)).toMatchObject({ ErrorCode: 'ThrottlingException' });
    for (const ws of open20) ws.close(1000);
    await vi.waitFor(() => expect(world.tunnels.filter((t) => t.open)).toHaveLength(0));
    // Below the cap again: accepted.
    const again = await open(await url());
    expect(again.ws).toBeDefined();
    again.ws!.close(1000);
  });
});
