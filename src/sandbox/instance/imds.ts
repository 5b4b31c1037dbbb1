// Fake instance metadata service (IMDS) for one emulated instance: the paths the
// instance's AuthorizedKeysCommand reads (instance-side.md §3.3, §8.5), with IMDSv2
// session tokens, on instance.hostAddress:instance.imdsPort instead of 169.254.169.254.
//
// Sandbox extension, outside /latest: GET /sandbox/instance-clock-ms answers the
// instance's clock (sandbox clock + instance.clockSkewSeconds) in epoch milliseconds.
// The command runs in another process and uses it instead of the system time, so that
// key expiry follows the sandbox's controllable clock.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PushedKey, SandboxInstance, World } from '../world.js';
import { renderKeyBundle, type SandboxCa, type SignerIdentity } from './signer.js';

export const INSTANCE_CLOCK_PATH = '/sandbox/instance-clock-ms';
const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const META = '/latest/meta-data/';

export interface Imds {
  url: string; // http://<hostAddress>:<port>
  // Listen or stop listening to follow instance.metadataHttpEndpoint: a disabled IMDS
  // refuses connections, like MetadataOptions.HttpEndpoint=disabled (§5.5).
  sync(): Promise<void>;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

// Starts the instance's IMDS; a port of 0 is replaced by the one the system picked.
export async function startImds(world: World, instance: SandboxInstance, ca: SandboxCa): Promise<Imds> {
  const tokens = new Map<string, number>(); // token → expiry, sandbox clock ms
  const server = createServer((req, res) => {
    void answer(world, instance, ca, tokens, req).then((reply) => send(res, reply), () => send(res, status(500)));
  });
  let listening = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(instance.imdsPort, instance.hostAddress, () => {
        server.off('error', reject);
        instance.imdsPort = (server.address() as AddressInfo).port;
        listening = true;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.closeAllConnections();
      server.close(() => resolve());
    });

  // Bind once even when disabled, so the port (and the URL in sshd_config) is fixed.
  await listen();
  // One change at a time: connections arriving together all call sync().
  let changes = Promise.resolve();
  let closed = false;
  const follow = async () => {
    const enabled = !closed && instance.metadataHttpEndpoint !== 'disabled';
    if (enabled && !listening) await listen();
    if (!enabled && listening) await stop();
  };
  const imds: Imds = {
    url: `http://${instance.hostAddress}:${instance.imdsPort}`,
    sync() {
      changes = changes.then(follow, follow);
      return changes;
    },
    close() {
      closed = true;
      changes = changes.then(stop, stop);
      return changes;
    },
  };
  await imds.sync();
  return imds;
}

async function answer(
  world: World,
  instance: SandboxInstance,
  ca: SandboxCa,
  tokens: Map<string, number>,
  req: IncomingMessage,
): Promise<Reply> {
  const delay = world.knobs.imdsResponseDelayMs ?? 0;
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  if (world.knobs.imdsServerError) return status(500);
  const path = new URL(req.url ?? '/', 'http://imds').pathname;
  const now = world.clock.now();
  if (path === '/latest/api/token') return issueToken(req, tokens, now);
  if (req.method !== 'GET' && req.method !== 'HEAD') return status(405);
  if (path === INSTANCE_CLOCK_PATH) return ok(String(now + instance.clockSkewSeconds * 1000));
  if (!path.startsWith(META)) return status(404);
  const denied = checkToken(req, instance, tokens, now);
  if (denied) return denied;
  return metadata(world, instance, ca, path.slice(META.length).replace(/\/$/, ''));
}

// PUT /latest/api/token: a TTL header of 1–21600 seconds is required (IMDSv2).
function issueToken(req: IncomingMessage, tokens: Map<string, number>, now: number): Reply {
  if (req.method !== 'PUT') return status(405);
  const ttlHeader = req.headers[TOKEN_TTL_HEADER];
  const ttl = typeof ttlHeader === 'string' && /^\d+$/.test(ttlHeader) ? Number(ttlHeader) : NaN;
  if (!(ttl >= 1 && ttl <= 21600)) return status(400);
  for (const [token, expiry] of tokens) if (expiry <= now) tokens.delete(token);
  const token = randomBytes(42).toString('base64url');
  tokens.set(token, now + ttl * 1000);
  return { status: 200, body: token, headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(ttl) } };
}

// A missing token is refused unless the instance allows IMDSv1; a bad or expired one
// is always refused (401, as IMDS does).
function checkToken(req: IncomingMessage, instance: SandboxInstance, tokens: Map<string, number>, now: number): Reply | undefined {
  const token = req.headers[TOKEN_HEADER];
  if (token === undefined) return instance.metadataHttpTokens === 'optional' ? undefined : status(401);
  const expiry = typeof token === 'string' ? tokens.get(token) : undefined;
  return expiry !== undefined && expiry > now ? undefined : status(401);
}

// The meta-data paths of §3.3, trailing slash optional (the scripts send one).
async function metadata(world: World, instance: SandboxInstance, ca: SandboxCa, path: string): Promise<Reply> {
  if (path === 'instance-id') return ok(instance.instanceId);
  if (path === 'placement/availability-zone') return ok(instance.az);
  if (path === 'services/domain') return ok(ca.domain);
  if (path === 'managed-ssh-keys/signer-cert') return ok((await signerFor(world, ca)).chainPem);
  // No OCSP staples: the sandbox CA runs no responder (§3.2 step 11; optional per §8.5).
  if (path === 'managed-ssh-keys/signer-ocsp') return ok('');
  const user = /^managed-ssh-keys\/active-keys\/([^/]+)$/.exec(path)?.[1];
  if (user !== undefined) return activeKeys(world, instance, ca, decodePathSegment(user));
  return status(404);
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not percent-encoding: taken literally, and no user has that name
  }
}

// 404 when the user has no blocks, else all of them, signed (§8.5).
async function activeKeys(world: World, instance: SandboxInstance, ca: SandboxCa, user: string): Promise<Reply> {
  const keys = world.publishedKeys(instance.instanceId, user);
  if (keys.length === 0) return status(404);
  const fault = world.knobs.imdsBundleFault;
  const blocks = fault === 'wrong-instance' ? keys.map(forAnotherInstance) : keys;
  return ok(renderKeyBundle(await signerFor(world, ca), blocks, { corruptSignatures: fault === 'bad-signature' }));
}

function signerFor(world: World, ca: SandboxCa): Promise<SignerIdentity> {
  const fault = world.knobs.imdsBundleFault;
  if (fault === 'wrong-signer-cn' || fault === 'untrusted-signer') return ca.faultySigner(fault);
  return Promise.resolve(ca.signer);
}

// The same block, genuinely signed, but naming a different instance id.
function forAnotherInstance(key: PushedKey): PushedKey {
  const last = key.instanceId.at(-1) === '0' ? '1' : '0';
  return { ...key, instanceId: key.instanceId.slice(0, -1) + last };
}

function ok(body: string): Reply {
  return { status: 200, body };
}

function status(code: number): Reply {
  const text: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };
  return { status: code, body: text[code] ?? '' };
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'Content-Type': 'text/plain',
    'Content-Length': Buffer.byteLength(reply.body),
    Server: 'EC2ws',
    ...reply.headers,
  });
  res.end(reply.body);
}
