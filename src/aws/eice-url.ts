// The presigned openTunnel URL of an EC2 Instance Connect Endpoint (eice.md §4, §5):
// SigV4 query signing with @smithy/signature-v4, service `ec2-instance-connect`,
// X-Amz-Expires=60, only `host` signed, and the SHA-256 of the EMPTY payload (not
// UNSIGNED-PAYLOAD: the scheme is wss, eice.md §5.1). Pure given credentials, clock
// and host, so the golden vectors of eice.md §5.3 are unit tests.
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface EiceCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface TunnelUrlRequest {
  // The Host header exactly as the websocket client will send it: the DNS name alone
  // on port 443, `name:port` otherwise (eice.md §5.1).
  host: string;
  endpointId: string;
  privateIpAddress: string;
  remotePort: number;
  // Sent only when the user asked (eice.md §4, bug 14 of §9).
  maxTunnelDuration?: number;
  region: string;
  credentials: EiceCredentials;
  signingDate: Date;
  // Scheme of the URL (wss unless an override says ws for plain-text tests).
  scheme?: 'wss' | 'ws';
}

export const PRESIGN_EXPIRES_SECONDS = 60;

export async function presignTunnelUrl(request: TunnelUrlRequest): Promise<string> {
  const signer = new SignatureV4({
    service: 'ec2-instance-connect',
    region: request.region,
    credentials: request.credentials,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
  });
  // Operation parameters in aws-cli's wire order (eice.md §4); order does not matter
  // for the signature, which sorts them.
  const params: Array<[string, string]> = [
    ['instanceConnectEndpointId', request.endpointId],
    ['remotePort', String(request.remotePort)],
    ['privateIpAddress', request.privateIpAddress],
  ];
  if (request.maxTunnelDuration !== undefined) params.push(['maxTunnelDuration', String(request.maxTunnelDuration)]);
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: `${request.scheme ?? 'wss'}:`,
      hostname: request.host,
      path: '/openTunnel',
      query: Object.fromEntries(params),
      headers: { host: request.host },
      // No body: the payload hash is the empty-string hash (eice.md §5.2).
    },
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: request.signingDate },
  );
  const query = signed.query ?? {};
  // aws-cli's wire order: operation params, then the X-Amz-* ones, the signature last.
  const order = [
    ...params.map(([k]) => k),
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-Expires',
    'X-Amz-SignedHeaders',
    'X-Amz-Security-Token',
  ];
  const pairs: string[] = [];
  for (const key of order) {
    const value = query[key];
    if (typeof value === 'string') pairs.push(`${rfc3986(key)}=${rfc3986(value)}`);
  }
  const signature = query['X-Amz-Signature'];
  if (typeof signature !== 'string') throw new Error('presign produced no signature');
  pairs.push(`X-Amz-Signature=${signature}`);
  return `${request.scheme ?? 'wss'}://${request.host}/openTunnel?${pairs.join('&')}`;
}

// Strict RFC 3986: only A-Z a-z 0-9 - _ . ~ stay as they are (eice.md §5.1; not
// URLSearchParams, which writes a space as '+').
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
