// The SigV4-signed websocket upgrade to an SSM StreamUrl (ssm.md §4.3): GET of the
// StreamUrl, service `ssmmessages`, header signing (not presigning) with `host` and
// `x-amz-date` (+ `x-amz-security-token`), empty-payload hash, no
// x-amz-content-sha256 (applyChecksum false). The URL itself is dialled verbatim.
// Pure given credentials and clock, so the derived vector of §4.3 is a unit test.
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SigningCredentials } from './aws.js';

// §4.3 step 1: a StreamUrl that already carries any of these is presigned: do not sign.
const PRESIGN_KEYS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token'];

export function isPresignedStreamUrl(streamUrl: string): boolean {
  const url = new URL(streamUrl);
  return PRESIGN_KEYS.some((key) => url.searchParams.has(key));
}

export interface StreamUpgradeRequest {
  streamUrl: string;
  region: string;
  credentials: SigningCredentials;
  signingDate: Date;
}

// The headers to send on the upgrade: Authorization, X-Amz-Date, X-Amz-Security-Token.
export async function signStreamUpgrade(request: StreamUpgradeRequest): Promise<Record<string, string>> {
  if (isPresignedStreamUrl(request.streamUrl)) return {};
  const url = new URL(request.streamUrl);
  const signer = new SignatureV4({
    service: 'ssmmessages',
    region: request.region,
    credentials: request.credentials,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
    uriEscapePath: true,
  });
  // Decoded query pairs; the signer re-encodes them per RFC 3986 and sorts them.
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const prior = query[key];
    query[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  const signed = await signer.sign(
    { method: 'GET', protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query, headers: { host: url.host } },
    { signingDate: request.signingDate },
  );
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') out.Authorization = value;
    else if (lower === 'x-amz-date') out['X-Amz-Date'] = value;
    else if (lower === 'x-amz-security-token') out['X-Amz-Security-Token'] = value;
  }
  return out;
}
