// Opens the EICE websocket (eice.md §6.1): `ws` with no compression and no
// subprotocol, the system trust store plus an optional extra CA, an optional HTTP
// CONNECT proxy (proxy.ts), and the handshake failures of §6.4 turned into errors
// that carry the endpoint's ErrorCode and Message, the HTTP status and the request id.
import { rootCertificates, connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { WebSocket, type ClientOptions } from 'ws';
import { EicError } from '../errors.js';
import { connectThroughProxy } from './proxy.js';

export interface OpenWebSocketOptions {
  extraCaPem?: string;
  proxy?: URL;
  timeoutMs: number;
  userAgent: string;
  // Names the far end in messages.
  peer: string;
}

export interface OpenedWebSocket {
  ws: WebSocket;
  // x-amzn-requestid of the 101 answer (kept for -v and error messages).
  requestId?: string;
}

const MAX_ERROR_BODY = 64 * 1024;

export function openWebSocket(url: string, options: OpenWebSocketOptions): Promise<OpenedWebSocket> {
  return new Promise((resolve, reject) => {
    const wsOptions: ClientOptions = {
      perMessageDeflate: false,
      handshakeTimeout: options.timeoutMs,
      followRedirects: false,
      headers: { 'User-Agent': options.userAgent },
    };
    if (options.extraCaPem) wsOptions.ca = [...rootCertificates, options.extraCaPem];
    const proxy = options.proxy;
    if (proxy) {
      // ws hands its TLS options (host, port, servername, ca) to createConnection.
      // Node's http client accepts createConnection(options, callback) for async sockets.
      (wsOptions as { createConnection?: unknown }).createConnection = (
        connectOptions: ConnectionOptions & { host: string; port: number },
        done: (error: Error | null, socket?: unknown) => void,
      ) => {
        connectThroughProxy(proxy, connectOptions.host, Number(connectOptions.port), options.timeoutMs).then(
          (socket) => {
            const servername = connectOptions.servername ?? (/^[\d.]+$|:/.test(connectOptions.host) ? undefined : connectOptions.host);
            done(null, url.startsWith('wss:') ? tlsConnect({ ...connectOptions, socket, servername }) : socket);
          },
          (error: unknown) => done(error as Error),
        );
        return undefined;
      };
    }
    let settled = false;
    let requestId: string | undefined;
    const ws = new WebSocket(url, wsOptions);
    const fail = (error: EicError) => {
      if (settled) return;
      settled = true;
      ws.terminate();
      reject(error);
    };
    ws.once('upgrade', (res: IncomingMessage) => {
      requestId = header(res, 'x-amzn-requestid');
    });
    ws.once('open', () => {
      settled = true;
      resolve({ ws, requestId });
    });
    ws.once('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ERROR_BODY) chunks.push(chunk);
      });
      const finish = () => {
        req.destroy();
        fail(handshakeError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), header(res, 'x-amzn-requestid'), options.peer));
      };
      res.once('end', finish);
      res.once('error', finish);
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (error instanceof EicError) return fail(error);
      fail(connectError(error, options.peer));
    });
  });
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// eice.md §6.4: a non-101 answer with {"ErrorCode","Message"}.
export function handshakeError(status: number, body: string, requestId: string | undefined, peer: string): EicError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body) as { ErrorCode?: unknown; Message?: unknown; message?: unknown };
    if (typeof parsed.ErrorCode === 'string') code = parsed.ErrorCode;
    if (typeof parsed.Message === 'string') message = parsed.Message;
    else if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: shown as text below
  }
  const text = code ? `${code}: ${message ?? '(no message)'}` : body.trim().slice(0, 200) || '(empty body)';
  return new EicError('EICE_REJECTED', `${peer} refused the tunnel: ${text}`, {
    details: [`HTTP ${status}${requestId ? `, request id ${requestId}` : ''}`],
    hint: HANDSHAKE_HINTS[code ?? ''] ?? 'run again with -v for the details of the request',
  });
}

const HANDSHAKE_HINTS: Record<string, string> = {
  AccessDeniedException:
    'allow ec2-instance-connect:OpenTunnel on the endpoint; if a policy limits ec2-instance-connect:maxTunnelDuration, pass a lower --max-tunnel-duration',
  InvalidParameter: 'EC2 Instance Connect Endpoint tunnels only reach ports 22 and 3389 of an instance in the endpoint VPC',
  ThrottlingException: 'an endpoint carries at most 20 concurrent tunnels: close some sessions or wait',
  ResourceNotFoundException: 'check the endpoint id (--eice-id) and its state: aws ec2 describe-instance-connect-endpoints',
};

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);

function connectError(error: Error & { code?: string }, peer: string): EicError {
  const code = error.code ?? '';
  if (TLS_CODES.has(code)) {
    return new EicError('CONNECT', `TLS verification of ${peer} failed: ${code}`, {
      hint: 'if you use a private CA or the sandbox, set EIC_SSH_CA_FILE to its PEM file',
      cause: error,
    });
  }
  if (/handshake has timed out/i.test(error.message)) {
    return new EicError('CONNECT_TIMEOUT', `no websocket answer from ${peer} in time`, { hint: 'check your network and any HTTPS proxy', cause: error });
  }
  return new EicError('CONNECT', `cannot reach ${peer}: ${code || error.message}`, {
    hint: 'check your network, HTTPS_PROXY/NO_PROXY, and EIC_SSH_EICE_ENDPOINT_URL if set',
    cause: error,
  });
}
