// Dials an SSM StreamUrl (ssm.md §4.2, §4.3): `ws` with no subprotocol and no
// compression, the StreamUrl verbatim with the SigV4 headers, the system trust store
// plus an optional extra CA, and an optional HTTP CONNECT proxy (proxy.ts).
import { rootCertificates, connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { WebSocket, type ClientOptions } from 'ws';
import { EicError } from '../../errors.js';
import { connectThroughProxy } from '../proxy.js';

export interface DialOptions {
  connectTimeoutMs: number;
  extraCaPem?: string;
  proxyFor?(url: URL): URL | undefined;
}

// §4.2: no subprotocol, no compression; the StreamUrl dialled verbatim with the signed headers.
export function dialStream(url: string, headers: Record<string, string>, o: DialOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const options: ClientOptions = { perMessageDeflate: false, handshakeTimeout: o.connectTimeoutMs, followRedirects: false, headers };
    if (o.extraCaPem) options.ca = [...rootCertificates, o.extraCaPem];
    const proxy = o.proxyFor?.(new URL(url));
    if (proxy) {
      // As ws-open.ts: ws hands its TLS options to createConnection; TLS runs end to end.
      (options as { createConnection?: unknown }).createConnection = (
        connectOptions: ConnectionOptions & { host: string; port: number },
        done: (error: Error | null, socket?: unknown) => void,
      ) => {
        connectThroughProxy(proxy, connectOptions.host, Number(connectOptions.port), o.connectTimeoutMs).then(
          (socket) => {
            const servername = connectOptions.servername ?? (/^[\d.]+$|:/.test(connectOptions.host) ? undefined : connectOptions.host);
            done(null, url.startsWith('wss:') ? tlsConnect({ ...connectOptions, socket, servername }) : socket);
          },
          (error: unknown) => done(error as Error),
        );
        return undefined;
      };
    }
    const ws = new WebSocket(url, options);
    ws.on('error', () => undefined); // failures are reported once, below
    const onError = (error: Error) => {
      ws.terminate();
      reject(new EicError('CONNECT', `cannot open the SSM data channel: ${error.message}`, { hint: 'check your network and ssmmessages access (VPC endpoint or internet)', cause: error }));
    };
    ws.once('error', onError);
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new EicError('CONNECT', `the SSM data channel refused the connection: HTTP ${res.statusCode}`, { hint: 'check ssmmessages:OpenDataChannel permissions and retry' }));
    });
    ws.once('open', () => {
      ws.off('error', onError);
      resolve(ws);
    });
  });
}
