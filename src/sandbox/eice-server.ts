// The sandbox's EC2 Instance Connect Endpoint: a wss server answering
// GET /openTunnel as eice.md §5.4, §6 and §11 describe. It verifies the presigned
// URL with the sandbox's own SigV4 verifier against the Host header it received,
// validates the tunnel parameters (endpoint, remotePort 22/3389, maxTunnelDuration,
// privateIpAddress), caps concurrent tunnels per endpoint, then pipes raw bytes in
// BINARY frames to the instance's sshd at its hidden host address. Every answer
// carries x-amzn-RequestId. Unknowns (status codes, close codes) are knobs (§10).
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { verifyPresignedUrl } from './sigv4-verify.js';
import type { TlsIdentity } from './tls.js';
import type { SandboxEndpoint, SandboxInstance, TunnelRecord, World } from './world.js';
import { pipeTunnel } from './eice-pipe.js';

// Endpoint states whose tunnels work (the states aws-cli accepts, eice.md §2.4).
const SERVING_STATES = new Set(['create-complete', 'update-in-progress', 'update-failed', 'update-complete']);

export interface EiceServer {
  port: number;
  // What the client is pointed at (EIC_SSH_EICE_ENDPOINT_URL).
  url: string;
  close(): Promise<void>;
}

export interface EiceServerOptions {
  tls: TlsIdentity;
  // 443 when root and free, else any free port (sandbox.ts decides).
  port: number;
}

export async function startEiceServer(world: World, options: EiceServerOptions): Promise<EiceServer> {
  const server: Server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const sockets = new Set<Duplex>();
  server.on('request', (req, res) => {
    // Only the websocket upgrade exists; a plain request gets the same JSON error shape.
    const requestId = randomUUID();
    res.writeHead(400, { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId });
    res.end(JSON.stringify({ ErrorCode: 'InvalidParameter', Message: 'Expected a WebSocket upgrade request.' }));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    handleUpgrade(world, wss, req, socket as Socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: port === 443 ? 'wss://127.0.0.1' : `wss://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class HandshakeError {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

function handleUpgrade(world: World, wss: WebSocketServer, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const requestId = randomUUID();
  const knobs = world.eiceKnobs;
  const rejectWith = knobs.rejectNextHandshake;
  if (rejectWith) {
    knobs.rejectNextHandshake = undefined;
    return reject(socket, requestId, rejectWith.status, rejectWith.body);
  }
  let accepted: Accepted;
  try {
    accepted = checkRequest(world, req);
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    const status = knobs.errorStatus[error.code] ?? 400;
    return reject(socket, requestId, status, JSON.stringify({ ErrorCode: error.code, Message: error.message }));
  }
  const record: TunnelRecord = {
    endpointId: accepted.endpoint.endpointId,
    privateIpAddress: accepted.privateIpAddress,
    remotePort: accepted.remotePort,
    maxTunnelDuration: accepted.maxTunnelDuration,
    requestId,
    hostHeader: req.headers.host ?? '',
    framesIn: 0,
    maxFrameIn: 0,
    emptyFramesIn: 0,
    textFramesIn: 0,
    bytesIn: 0,
    bytesOut: 0,
    open: true,
  };
  world.tunnels.push(record);
  const onHeaders = (headers: string[], request: IncomingMessage) => {
    if (request !== req) return;
    wss.off('headers', onHeaders);
    headers.push(`x-amzn-RequestId: ${requestId}`);
  };
  wss.on('headers', onHeaders);
  socket.once('close', () => wss.off('headers', onHeaders));
  wss.handleUpgrade(req, socket, head, (ws) => {
    pipeTunnel(world, ws, socket, record, accepted.instance);
  });
}

interface Accepted {
  endpoint: SandboxEndpoint;
  instance?: SandboxInstance;
  privateIpAddress: string;
  remotePort: number;
  maxTunnelDuration?: number;
}

function checkRequest(world: World, req: IncomingMessage): Accepted {
  const url = req.url ?? '/';
  const path = url.split('?')[0];
  if (req.method !== 'GET' || path !== '/openTunnel') throw new HandshakeError('ResourceNotFoundException', `No route for ${req.method} ${path}.`);
  const auth = verifyPresignedUrl(
    { method: 'GET', url, headers: req.headers },
    {
      findPrincipal: (id) => world.principalByAccessKey(id),
      region: world.region,
      service: 'ec2-instance-connect',
      nowMs: world.clock.now(),
      skewSeconds: world.knobs.signatureSkewSeconds,
      defaultExpiresSeconds: world.eiceKnobs.defaultPresignExpiresSeconds,
    },
  );
  if (!auth.ok) throw new HandshakeError('AccessDeniedException', auth.message);
  // IAM (the doctor's permission knob, network.ts).
  if (world.network.deniedPermissions.has('ec2-instance-connect:OpenTunnel')) {
    throw new HandshakeError('AccessDeniedException', 'User is not authorized to perform: ec2-instance-connect:OpenTunnel');
  }
  const params = new URL(url, 'https://sandbox.invalid').searchParams;
  const endpointId = params.get('instanceConnectEndpointId') ?? '';
  const endpoint = world.endpoints.get(endpointId);
  if (!endpoint) throw new HandshakeError('ResourceNotFoundException', `The instance connect endpoint '${endpointId}' does not exist.`);
  if (!SERVING_STATES.has(endpoint.state)) {
    throw new HandshakeError('InvalidParameter', `The instance connect endpoint '${endpointId}' is in state ${endpoint.state} and cannot open tunnels.`);
  }
  const remotePort = params.get('remotePort') ?? '22';
  // The real body, eice.md §6.4 (aidansteele/rdsconn#5).
  if (remotePort !== '22' && remotePort !== '3389') {
    throw new HandshakeError('InvalidParameter', 'The specified RemotePort is not valid. Specify either 22 or 3389 as the RemotePort and retry your request.');
  }
  const durationText = params.get('maxTunnelDuration');
  let maxTunnelDuration: number | undefined;
  if (durationText !== null) {
    maxTunnelDuration = /^\d+$/.test(durationText) ? Number(durationText) : NaN;
    if (!(maxTunnelDuration >= 1 && maxTunnelDuration <= 3600)) {
      throw new HandshakeError('InvalidParameter', 'The specified MaxTunnelDuration is not valid. Specify a value between 1 and 3600 seconds.');
    }
  }
  const privateIpAddress = params.get('privateIpAddress') ?? '';
  if (!privateIpAddress) throw new HandshakeError('InvalidParameter', 'The request must contain the parameter privateIpAddress.');
  const open = world.tunnels.filter((t) => t.open && t.endpointId === endpointId).length;
  if (open >= world.eiceKnobs.maxTunnelsPerEndpoint) {
    throw new HandshakeError('ThrottlingException', `The instance connect endpoint '${endpointId}' has reached its maximum of ${world.eiceKnobs.maxTunnelsPerEndpoint} concurrent connections.`);
  }
  // An address with no instance in the endpoint's VPC is accepted and fails after the
  // upgrade, as an unreachable address does on AWS (a close with a reason, §6.4).
  const instance = [...world.instances.values()].find((i) => i.privateIp === privateIpAddress && i.vpcId === endpoint.vpcId);
  return { endpoint, instance, privateIpAddress, remotePort: Number(remotePort), maxTunnelDuration };
}

function reject(socket: Socket, requestId: string, status: number, body: string): void {
  const payload = Buffer.from(body, 'utf8');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `x-amzn-RequestId: ${requestId}\r\n` +
      `Content-Length: ${payload.length}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
