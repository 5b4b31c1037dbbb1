// The sandbox's Session Manager data-channel endpoint (ssmmessages, ssm.md §4): a
// websocket server on loopback at /v1/data-channel/<sessionId>. It checks the optional
// SigV4-signed upgrade (service ssmmessages, §4.3; knobs.ssmRequireSignedUpgrade makes it
// mandatory), expects a TEXT OpenDataChannel first (§4.4) with a live single-use token,
// and hands the socket to the session's SsmLink (ssm-link.ts), which plays MGS and the
// agent. Every upgrade is recorded in world.calls as ssmmessages/OpenDataChannel.
//
// Choices (not public): a bad or expired token closes the socket with 1008 and a reason;
// an unknown session or a bad signature refuses the upgrade with HTTP 404 / 403; the
// client gets 10 s to send OpenDataChannel. With a TLS identity (tls.ts, the sandbox CA
// that EIC_SSH_CA_FILE names) StreamUrls are wss://127.0.0.1:<port>/… like the service's;
// without one (unit tests) ws://.
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseOpenDataChannel } from '../tunnel/ssm/control-payloads.js';
import type { SandboxInstance, SsmSession, World } from './world.js';
import { verifyHeaderAuth } from './sigv4-verify.js';
import { handshakeProperties } from './ssm-api.js';
import { SsmLink, type Destination } from './ssm-link.js';
import type { TlsIdentity } from './tls.js';

export interface SsmServer {
  // e.g. 'ws://127.0.0.1:41234': StreamUrls start with it (world.ssmStreamBase).
  url: string;
  // The live session links (tests look at their agents and logs).
  links: Map<string, SsmLink>;
  close(): Promise<void>;
}

const OPEN_TIMEOUT_MS = 10_000;
const PATH_RE = /^\/v1\/data-channel\/([A-Za-z0-9._@=,+-]+)$/;

// Starts the server and points world.ssmStreamBase (hence StartSession's StreamUrl) at it.
export async function startSsmServer(world: World, options: { host?: string; port?: number; tls?: TlsIdentity } = {}): Promise<SsmServer> {
  const host = options.host ?? '127.0.0.1';
  const links = new Map<string, SsmLink>();
  let sessionsSeen = 0;
  const onRequest = (_req: IncomingMessage, res: import('node:http').ServerResponse): void => {
    res.writeHead(426, { 'Content-Type': 'text/plain' });
    res.end('Upgrade Required');
  };
  const tls = options.tls;
  const server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, onRequest) : createHttpServer(onRequest);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  const record = (status: number, params: Record<string, unknown>, caller?: string, errorCode?: string): void => {
    world.recordCall({ service: 'ssmmessages', operation: 'OpenDataChannel', params, caller, status, errorCode, requestId: randomUUID() });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '/';
    const match = PATH_RE.exec(url.split('?')[0]!);
    const session = match ? world.ssmSessions.get(match[1]!) : undefined;
    const params: Record<string, unknown> = { SessionId: match?.[1] ?? url.split('?')[0], signed: req.headers.authorization !== undefined };
    if (!session) {
      record(404, params, undefined, 'NotFound');
      return refuse(socket, 404, 'Not Found');
    }
    let caller: string | undefined;
    if (req.headers.authorization !== undefined || world.knobs.ssmRequireSignedUpgrade) {
      const auth = verifyHeaderAuth(
        { method: req.method ?? 'GET', url, headers: req.headers, body: Buffer.alloc(0) },
        {
          findPrincipal: (key) => world.principalByAccessKey(key),
          region: world.region,
          service: 'ssmmessages',
          nowMs: world.clock.now(),
          skewSeconds: world.knobs.signatureSkewSeconds,
        },
      );
      if (!auth.ok) {
        record(403, { ...params, authFailure: auth.kind }, undefined, 'AccessDenied');
        return refuse(socket, 403, 'Forbidden');
      }
      caller = auth.principal.arn;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      record(101, params, caller);
      awaitOpen(ws, session);
    });
  });

  // §4.4: the first frame is TEXT OpenDataChannel carrying a token StartSession or
  // ResumeSession issued; each token opens one connection, within its lifetime.
  const awaitOpen = (ws: WebSocket, session: SsmSession): void => {
    const timer = setTimeout(() => ws.close(1008, 'OpenDataChannel expected'), OPEN_TIMEOUT_MS);
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      if (isBinary) return ws.close(1008, 'OpenDataChannel expected');
      let token: string;
      try {
        token = parseOpenDataChannel(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8')).TokenValue;
      } catch {
        return ws.close(1008, 'Invalid OpenDataChannel message');
      }
      const expiresAt = session.tokens.get(token);
      session.tokens.delete(token);
      if (expiresAt === undefined || session.status !== 'Connected') return ws.close(1008, 'Invalid token');
      if (expiresAt <= world.clock.now()) return ws.close(1008, 'Token expired');
      let link = links.get(session.sessionId);
      if (!link) {
        const seed = (world.knobs.ssmFaultSeed + sessionsSeen++ * 7919) >>> 0;
        link = new SsmLink(world, session, handshakeProperties(session), () => destination(world, session), seed, () => links.delete(session.sessionId));
        links.set(session.sessionId, link);
      }
      link.attach(ws);
    });
  };

  const onTerminate = (session: SsmSession): void => links.get(session.sessionId)?.terminate('');
  world.events.on('ssmTerminate', onTerminate);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `${tls ? 'wss' : 'ws'}://${host}:${port}`;
  world.ssmStreamBase = url;
  return {
    url,
    links,
    close: async () => {
      world.events.off('ssmTerminate', onTerminate);
      if (world.ssmStreamBase === url) world.ssmStreamBase = undefined;
      for (const link of links.values()) link.destroy();
      links.clear();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

// Where the session's TCP connection goes. The instance's port 22 is its real sshd
// (hostAddress:sshPort, which is 22 only when the sandbox runs as root); other ports are
// dialled on hostAddress. ToRemoteHost may name a sandbox instance by private IP, private
// DNS name or id (or localhost); anything else is unreachable, so traffic stays on loopback.
export function destination(world: World, session: SsmSession): Destination | undefined {
  const self = world.instances.get(session.target);
  if (!self || self.state !== 'running') return undefined;
  let instance: SandboxInstance | undefined = self;
  const host = session.parameters.host;
  if (host !== undefined && host !== 'localhost' && host !== '127.0.0.1') {
    instance = [...world.instances.values()].find((i) => i.privateIp === host || i.privateDnsName === host || i.instanceId === host);
    if (!instance || instance.state !== 'running') return undefined;
  }
  const port = Number(session.parameters.portNumber ?? '22');
  return { host: instance.hostAddress, port: port === 22 ? instance.sshPort : port };
}
