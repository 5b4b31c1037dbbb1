// HTTPS proxies for the EICE websocket (eice.md §6.2): HTTPS_PROXY / https_proxy, then
// HTTP_PROXY / http_proxy, bypassed by NO_PROXY / no_proxy as a proper domain match
// (aws-cli's substring test is bug 5 of §9), and an HTTP CONNECT tunnel through the
// proxy, with basic auth from the proxy URL. Traffic then runs TLS end to end.
import { connect, isIP, type Socket } from 'node:net';
import { EicError } from '../errors.js';

// The proxy to use for a wss:// (or ws://) URL, or undefined for a direct connection.
export function proxyFor(target: URL, env: Record<string, string | undefined>): URL | undefined {
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const raw = (secure ? (env.HTTPS_PROXY ?? env.https_proxy) : undefined) || env.HTTP_PROXY || env.http_proxy;
  if (!raw) return undefined;
  const port = target.port ? Number(target.port) : secure ? 443 : 80;
  if (bypassesProxy(target.hostname, port, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  let proxy: URL;
  try {
    proxy = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw new EicError('USAGE', `the proxy URL '${redactProxy(raw)}' is not valid`, { hint: 'use HTTPS_PROXY=http://host:port' });
  }
  if (proxy.protocol !== 'http:') {
    throw new EicError('USAGE', `proxy scheme ${proxy.protocol} is not supported`, { hint: 'use an http:// proxy URL (CONNECT is used for TLS)' });
  }
  return proxy;
}

// NO_PROXY: comma- or space-separated entries; '*' matches everything; an entry
// matches the host itself and its subdomains ('.example.com' and 'example.com' alike,
// '*.example.com' too); an optional ':port' must match; IP addresses match exactly,
// or by IPv4 CIDR ('10.0.0.0/8'). Never a substring test.
export function bypassesProxy(hostname: string, port: number, noProxy: string): boolean {
  const host = stripBrackets(hostname.toLowerCase()).replace(/\.$/, '');
  for (const rawEntry of noProxy.split(/[\s,]+/)) {
    let entry = rawEntry.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const portMatch = /^(.*[^:]):(\d+)$/.exec(entry);
    if (portMatch && !isIP(stripBrackets(entry))) {
      entry = portMatch[1];
      entryPort = Number(portMatch[2]);
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = stripBrackets(entry);
    if (entry.includes('/') && isIP(host) === 4) {
      if (inCidr(host, entry)) return true;
      continue;
    }
    if (isIP(entry) || isIP(host)) {
      if (entry === host) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, '').replace(/\.$/, '');
    if (domain !== '' && (host === domain || host.endsWith(`.${domain}`))) return true;
  }
  return false;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (isIP(base) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const toInt = (a: string) => a.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(ip) & mask) === (toInt(base) & mask);
}

export function redactProxy(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@');
}

// Opens a TCP connection to host:port through the proxy with HTTP CONNECT.
export function connectThroughProxy(proxy: URL, host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const proxyPort = proxy.port ? Number(proxy.port) : 80;
    const socket = connect({ host: stripBrackets(proxy.hostname), port: proxyPort });
    const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
    const where = `${proxy.hostname}:${proxyPort}`;
    const timer = setTimeout(() => fail(`no answer within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    let received = Buffer.alloc(0);
    const fail = (why: string, cause?: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new EicError('CONNECT', `proxy ${where} did not open a tunnel to ${authority}: ${why}`, { hint: 'check HTTPS_PROXY and NO_PROXY', cause }));
    };
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message, error));
    socket.once('connect', () => {
      const auth = proxy.username
        ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}\r\n`
        : '';
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
    });
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > 16_384) fail('response headers too long');
        return;
      }
      socket.off('data', onData);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received.subarray(0, end).toString('latin1'));
      if (!status || status[1] !== '200') return fail(status ? `HTTP ${status[1]}` : 'not an HTTP answer');
      clearTimeout(timer);
      socket.removeAllListeners('error');
      const rest = received.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}
