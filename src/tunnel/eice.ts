// The EICE route (eice.md §1): find the endpoint of the instance's VPC, presign a
// fresh openTunnel URL, open the websocket, and hand back a Duplex carrying the raw
// bytes of port 22 (or 3389). For SSH the route waits for the server's first bytes
// (sshd speaks first), so a tunnel the endpoint closes because the instance cannot
// be reached (§6.4, §8.1) fails here, at connect time, and `auto` can fall through.
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type { Aws } from '../aws/aws.js';
import { findEndpoint, type ChosenEndpoint } from '../aws/eice-endpoint.js';
import { presignTunnelUrl } from '../aws/eice-url.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import { EicError, UsageError } from '../errors.js';
import { packageVersion } from '../version.js';
import { proxyFor } from './proxy.js';
import { openWebSocket } from './ws-open.js';
import { wsDuplex } from './ws-duplex.js';

export const EICE_PORTS = [22, 3389];
// The service cuts tunnels after 3600 s at most (eice.md §8).
export const MAX_TUNNEL_SECONDS = 3600;
// Warn 5 minutes before the cap (or a tenth of a shorter tunnel's duration).
export function warnLeadSeconds(duration: number): number {
  return Math.min(300, Math.ceil(duration / 10));
}

export const SECURITY_GROUP_HINT = "the instance must accept TCP/22 from the endpoint's security group or subnet";

export interface EiceRequest {
  instance: InstanceInfo;
  remotePort: number;
  aws: Aws;
  env: Record<string, string | undefined>;
  now(): number;
  endpointId?: string;
  maxTunnelDuration?: number;
  connectTimeoutMs: number;
  // -v lines (never secrets).
  log(line: string): void;
  // Always shown (unless -q): the one-hour-cap warning.
  warn?(line: string): void;
  // Wait for the server to speak first (SSH) before declaring the route open.
  awaitServerFirst?: boolean;
  // An endpoint already found for this instance (listener mode reuses it per connection).
  endpoint?: ChosenEndpoint;
}

export interface EiceTunnel {
  sock: Duplex;
  endpoint: ChosenEndpoint;
  requestId?: string;
  detail: string;
}

export function checkEicePort(port: number): void {
  if (!EICE_PORTS.includes(port)) {
    throw new UsageError(`EC2 Instance Connect Endpoint tunnels reach only ports 22 and 3389, not ${port}`, 'use port 22 (SSH) or 3389 (RDP), or another route with --via');
  }
}

export function checkMaxTunnelDuration(seconds: number): void {
  if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= MAX_TUNNEL_SECONDS)) {
    throw new UsageError(`--max-tunnel-duration must be 1 to 3600 seconds, not '${seconds}'`, 'the service closes any tunnel after one hour');
  }
}

export async function openEiceTunnel(request: EiceRequest): Promise<EiceTunnel> {
  checkEicePort(request.remotePort);
  const { instance, env } = request;
  const ip = instance.privateIp ?? instance.ipv6;
  if (!ip) throw new EicError('NO_ROUTE', `unable to find any IP address on ${instance.instanceId} to connect to`);
  const endpoint = request.endpoint ?? (await findEndpoint(request.aws, { instance, endpointId: request.endpointId, env }));
  const base = tunnelBase(endpoint.dnsName, env);
  const peer = `EC2 Instance Connect Endpoint ${endpoint.endpointId}`;
  const url = await presignTunnelUrl({
    host: base.host,
    scheme: base.scheme,
    endpointId: endpoint.endpointId,
    privateIpAddress: ip,
    remotePort: request.remotePort,
    maxTunnelDuration: request.maxTunnelDuration,
    region: request.aws.region,
    credentials: await request.aws.credentials(),
    signingDate: new Date(request.now()),
  });
  request.log(`eice       ${endpoint.endpointId} (${endpoint.state}) at ${base.host}${base.overridden ? ' (EIC_SSH_EICE_ENDPOINT_URL)' : ''} → ${ip} port ${request.remotePort}`);
  const target = new URL(url);
  const { ws, requestId } = await openWebSocket(url, {
    extraCaPem: await extraCa(env),
    proxy: proxyFor(target, env),
    timeoutMs: request.connectTimeoutMs,
    userAgent: `eic-ssh/${packageVersion()}`,
    peer,
  });
  request.log(`eice       OpenTunnel RequestId ${requestId ?? '(none)'}`);
  const duration = request.maxTunnelDuration ?? MAX_TUNNEL_SECONDS;
  let timer: NodeJS.Timeout | undefined;
  const sock = wsDuplex(ws, {
    peer,
    closeHint: SECURITY_GROUP_HINT,
    onClosed: () => clearTimeout(timer),
  });
  if (request.warn && duration > 1) {
    const lead = warnLeadSeconds(duration);
    const when = lead >= 60 ? `${lead / 60} minutes` : `${lead} s`;
    timer = setTimeout(
      () => request.warn?.(`the EICE tunnel to ${instance.instanceId} closes in ${when} (maximum tunnel duration ${duration} s)`),
      (duration - lead) * 1000,
    );
    timer.unref();
  }
  if (request.awaitServerFirst) await serverSpeaksFirst(sock, request.connectTimeoutMs, peer);
  return { sock, endpoint, requestId, detail: `EICE ${endpoint.endpointId} to ${ip} port ${request.remotePort}` };
}

// Where the websocket goes: the endpoint's DNS name on 443, or EIC_SSH_EICE_ENDPOINT_URL
// (scheme, host and port replace the endpoint's; the Host header, hence the signature,
// follows: eice.md §5.1, §6.1). `host` is the Host header exactly as ws sends it.
export function tunnelBase(dnsName: string, env: Record<string, string | undefined>): { scheme: 'wss' | 'ws'; host: string; overridden: boolean } {
  const override = env.EIC_SSH_EICE_ENDPOINT_URL;
  if (!override) return { scheme: 'wss', host: dnsName, overridden: false };
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    throw new UsageError(`EIC_SSH_EICE_ENDPOINT_URL='${override}' is not a URL`, 'for example: wss://127.0.0.1:8443');
  }
  const scheme = url.protocol === 'wss:' || url.protocol === 'https:' ? 'wss' : url.protocol === 'ws:' || url.protocol === 'http:' ? 'ws' : undefined;
  if (!scheme) throw new UsageError(`EIC_SSH_EICE_ENDPOINT_URL must be a wss:// URL, not '${override}'`, 'for example: wss://127.0.0.1:8443');
  // WHATWG URL drops the scheme's default port from .host, as ws drops it from Host.
  const defaultPort = scheme === 'wss' ? '443' : '80';
  const host = url.port && url.port !== defaultPort ? `${url.hostname}:${url.port}` : url.hostname;
  return { scheme, host, overridden: true };
}

async function extraCa(env: Record<string, string | undefined>): Promise<string | undefined> {
  const file = env.EIC_SSH_CA_FILE;
  if (!file) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new EicError('LOCAL_IO', `cannot read EIC_SSH_CA_FILE ${file}`, { hint: 'point it at a PEM file of CA certificates', cause: error });
  }
}

// Resolves once the first bytes arrive (put back for the reader), or fails with the
// tunnel's own error (a close with a reason) or a timeout.
function serverSpeaksFirst(sock: Duplex, timeoutMs: number, peer: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      sock.off('readable', onReadable);
      sock.off('error', onError);
      sock.off('end', onEnd);
      if (error) {
        sock.destroy();
        reject(error);
      } else resolve();
    };
    const onReadable = () => {
      const chunk = sock.read() as Buffer | null;
      if (chunk === null) return;
      sock.unshift(chunk);
      done();
    };
    const onError = (error: Error) => done(error);
    const onEnd = () => done(new EicError('EICE_CLOSED', `${peer} closed the tunnel before the instance said anything`, { hint: SECURITY_GROUP_HINT }));
    const timer = setTimeout(() => done(new EicError('CONNECT_TIMEOUT', `no answer from the instance through ${peer} within ${Math.round(timeoutMs / 1000)} s`, { hint: SECURITY_GROUP_HINT })), timeoutMs);
    sock.on('readable', onReadable);
    sock.once('error', onError);
    sock.once('end', onEnd);
  });
}
