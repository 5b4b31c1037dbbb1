// The sandbox's SigV4 verifier: header auth (AWS SDK API calls) and query presigning
// (the EICE openTunnel URL, eice.md §5.4). Written from the SigV4 rules with node:crypto
// only. It deliberately shares no code with the client's signer (@smithy/signature-v4):
// a bug on one side must not be mirrored on the other, and both are held to the golden
// vectors of eice.md §5.3 instead (style.md §3.1).
//
// The functions here are pure: they say *why* a request is rejected (AuthFailureKind);
// each protocol turns that into its own error shape (http-api.ts AUTH_ERRORS).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SandboxPrincipal } from './world.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
// SigV4 caps presigned URLs at one week.
const MAX_PRESIGN_EXPIRES_SECONDS = 7 * 24 * 3600;

export type AuthFailureKind =
  | 'missing' // no Authorization header / no X-Amz-* query parameters
  | 'incomplete' // malformed or partial signature data
  | 'unknown-key' // access key id not in world.principals
  | 'invalid-token' // session token missing, unexpected or wrong
  | 'expired-token' // the principal's temporary credentials have expired
  | 'scope' // credential scope names another region / service / day
  | 'signature' // signature mismatch
  | 'expired' // signed too long ago (skew, or presign expiry)
  | 'not-yet-valid'; // signed too far in the future

export type AuthResult =
  | { ok: true; principal: SandboxPrincipal }
  | { ok: false; kind: AuthFailureKind; message: string };

export interface VerifyOptions {
  findPrincipal(accessKeyId: string): SandboxPrincipal | undefined;
  region: string;
  service: string; // the signing name the route expects
  nowMs: number; // the sandbox clock
  skewSeconds: number;
}

export interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
}

type Headers = Record<string, string | string[] | undefined>;

export interface SignedRequest {
  method: string;
  url: string; // raw request target: path plus optional ?query, as received
  headers: Headers; // lower-case names
  body?: Buffer; // header form only; presigned URLs sign the empty payload
}

export interface PresignOptions extends VerifyOptions {
  // Window used when X-Amz-Expires is absent: the Go clients send none and the real
  // service accepts them (eice.md §5.1); how long it accepts them is not public.
  defaultExpiresSeconds: number;
}

const fail = (kind: AuthFailureKind, message: string): AuthResult => ({ ok: false, kind, message });

// RFC 3986 encoding with only the unreserved set kept, as SigV4 requires
// (encodeURIComponent leaves !'()* alone, so those are fixed up).
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// Splits a raw query string into decoded pairs. Only %XX is decoded: SigV4 clients
// encode '+' as %2B, so a literal '+' stays a '+' (it is not form encoding).
export function parseRawQuery(query: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  if (query === '') return pairs;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    try {
      pairs.push([decodeURIComponent(key), decodeURIComponent(value)]);
    } catch {
      return undefined; // malformed percent-encoding
    }
  }
  return pairs;
}

// Canonical query: re-encoded pairs sorted by key, then value (byte order). Re-encoding
// makes the check independent of how the client spelled the wire URL (eice.md §5.4 step 3).
export function canonicalQuery(pairs: Array<[string, string]>): string {
  return pairs
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

// Canonical URI for every service but S3: each segment of the normalised path encoded,
// then encoded again (the wire path is already encoded once).
export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(rfc3986(rfc3986(safeDecode(segment))));
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${segments.join('/')}${trailing}`;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function headerValue(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  // Repeated headers are joined with ',' and each value trimmed with inner runs of
  // whitespace collapsed (SigV4 "canonical headers").
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => v.replace(/\s+/g, ' ').trim()).join(',');
}

function canonicalHeaders(headers: Headers, signed: string[]): string {
  return signed.map((name) => `${name}:${headerValue(headers, name) ?? ''}\n`).join('');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export function signatureFor(secret: string, credential: Credential, amzDate: string, canonicalRequest: string): string {
  const scope = `${credential.date}/${credential.region}/${credential.service}/${credential.terminator}`;
  const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const key = signingKey(secret, credential.date, credential.region, credential.service);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

export function parseCredential(value: string): Credential | undefined {
  const parts = value.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) return undefined;
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminator };
}

export interface ParsedAuthorization {
  credential: Credential;
  signedHeaders: string[];
  signature: string;
}

// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. The messages are
// the ones AWS front ends answer for each missing part.
export function parseAuthorizationHeader(value: string): ParsedAuthorization | { error: string } {
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM) return { error: `Unsupported AWS 'algorithm': '${algorithm}'` };
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((k) => !fields.get(k));
  if (missing.length > 0) {
    return { error: `${missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ')} Authorization=${value}` };
  }
  const credential = parseCredential(fields.get('Credential')!);
  if (!credential) return { error: `Authorization header requires a valid 'Credential' parameter. Authorization=${value}` };
  return { credential, signedHeaders: fields.get('SignedHeaders')!.split(';'), signature: fields.get('Signature')! };
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(ms) ? undefined : ms;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// Scope and principal checks shared by both forms, in the order AWS front ends apply
// them: the scope's shape, then who the key belongs to, then the day.
function checkCredential(credential: Credential, amzDate: string, token: string | undefined, opts: VerifyOptions): AuthResult {
  if (credential.terminator !== 'aws4_request') {
    return fail('scope', `Credential should be scoped with a valid terminator: 'aws4_request', not '${credential.terminator}'. `);
  }
  if (credential.service !== opts.service) {
    return fail('scope', `Credential should be scoped to correct service: '${opts.service}'. `);
  }
  if (credential.region !== opts.region) {
    return fail('scope', `Credential should be scoped to a valid region, not '${credential.region}'. `);
  }
  const principal = opts.findPrincipal(credential.accessKeyId);
  if (!principal) return fail('unknown-key', 'The security token included in the request is invalid.');
  // Temporary keys are only valid with their token; long-term keys take none.
  if (!constantTimeEqual(principal.sessionToken, token)) {
    return fail('invalid-token', 'The security token included in the request is invalid.');
  }
  if (principal.sessionToken !== undefined && principal.expiration && principal.expiration.getTime() <= opts.nowMs) {
    return fail('expired-token', 'The security token included in the request is expired');
  }
  if (credential.date !== amzDate.slice(0, 8)) {
    return fail(
      'scope',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${credential.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  return { ok: true, principal };
}

function constantTimeEqual(expected: string | undefined, given: string | undefined): boolean {
  if (expected === undefined || given === undefined) return expected === given;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

// The request time must lie within [signed - skew, signed + lifetime + skew].
function checkTime(amzDate: string, signedMs: number, lifetimeSeconds: number, opts: VerifyOptions): AuthResult | undefined {
  const skewMs = opts.skewSeconds * 1000;
  const minutes = `${opts.skewSeconds / 60} min.`;
  if (opts.nowMs > signedMs + lifetimeSeconds * 1000 + skewMs) {
    const limit = formatAmzDate(opts.nowMs - skewMs - lifetimeSeconds * 1000);
    return fail('expired', `Signature expired: ${amzDate} is now earlier than ${limit} (${formatAmzDate(opts.nowMs)} - ${minutes})`);
  }
  if (opts.nowMs < signedMs - skewMs) {
    const limit = formatAmzDate(opts.nowMs + skewMs);
    return fail('not-yet-valid', `Signature not yet current: ${amzDate} is still later than ${limit} (${formatAmzDate(opts.nowMs)} + ${minutes})`);
  }
  return undefined;
}

// The six lines of the SigV4 canonical request.
function canonical(req: SignedRequest, rawPath: string, pairs: Array<[string, string]>, signed: string[], payloadHash: string): string {
  return [req.method, canonicalPath(rawPath), canonicalQuery(pairs), canonicalHeaders(req.headers, signed), signed.join(';'), payloadHash].join('\n');
}

// Constant-time comparison of our signature with the one given.
function compare(checked: AuthResult & { ok: true }, credential: Credential, amzDate: string, canonicalRequest: string, given: string): AuthResult {
  const computed = signatureFor(checked.principal.secretAccessKey, credential, amzDate, canonicalRequest);
  return constantTimeEqual(computed, given) ? checked : fail('signature', SIGNATURE_MISMATCH);
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

// Header form, as the AWS SDK sends for Query and JSON calls.
export function verifyHeaderAuth(req: SignedRequest, opts: VerifyOptions): AuthResult {
  const authorization = headerValue(req.headers, 'authorization');
  if (authorization === undefined || authorization === '') return fail('missing', 'Request is missing Authentication Token');
  const parsed = parseAuthorizationHeader(authorization);
  if ('error' in parsed) return fail('incomplete', parsed.error);
  const amzDate = headerValue(req.headers, 'x-amz-date');
  if (amzDate === undefined) {
    return fail('incomplete', `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`);
  }
  const signedMs = parseAmzDate(amzDate);
  if (signedMs === undefined) return fail('incomplete', `Invalid X-Amz-Date '${amzDate}': expected yyyyMMddTHHmmssZ`);
  if (!parsed.signedHeaders.includes('host')) {
    return fail('incomplete', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const checked = checkCredential(parsed.credential, amzDate, headerValue(req.headers, 'x-amz-security-token'), opts);
  if (!checked.ok) return checked;
  const late = checkTime(amzDate, signedMs, 0, opts);
  if (late) return late;
  const [rawPath, rawQuery = ''] = splitUrl(req.url);
  const pairs = parseRawQuery(rawQuery);
  if (!pairs) return fail('incomplete', 'The query string is not valid percent-encoding.');
  // Body hash: what we received, unless the client declared an unsigned payload.
  const declared = headerValue(req.headers, 'x-amz-content-sha256');
  const payloadHash = declared === 'UNSIGNED-PAYLOAD' ? declared : sha256Hex(req.body ?? Buffer.alloc(0));
  const canonicalRequest = canonical(req, rawPath, pairs, parsed.signedHeaders, payloadHash);
  return compare(checked, parsed.credential, amzDate, canonicalRequest, parsed.signature);
}

function splitUrl(url: string): [string, string?] {
  const q = url.indexOf('?');
  return q < 0 ? [url] : [url.slice(0, q), url.slice(q + 1)];
}

// Query form (eice.md §5.4): all auth in X-Amz-* parameters, payload hash of the empty
// body, `host` as received.
export function verifyPresignedUrl(req: SignedRequest, opts: PresignOptions): AuthResult {
  const [rawPath, rawQuery = ''] = splitUrl(req.url);
  const pairs = parseRawQuery(rawQuery);
  if (!pairs) return fail('incomplete', 'The query string is not valid percent-encoding.');
  const params = new Map(pairs);
  const required = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];
  const absent = required.filter((k) => !params.get(k));
  if (absent.length === required.length) return fail('missing', 'Request is missing Authentication Token');
  if (absent.length > 0) return fail('incomplete', `AWS query-string parameters must include ${absent.map((k) => `'${k}'`).join(', ')}.`);
  if (params.get('X-Amz-Algorithm') !== ALGORITHM) {
    return fail('incomplete', `Unsupported AWS 'algorithm': '${params.get('X-Amz-Algorithm')}'`);
  }
  const credential = parseCredential(params.get('X-Amz-Credential')!);
  if (!credential) return fail('incomplete', "X-Amz-Credential must have the form '<key>/<date>/<region>/<service>/aws4_request'.");
  const amzDate = params.get('X-Amz-Date')!;
  const signedMs = parseAmzDate(amzDate);
  if (signedMs === undefined) return fail('incomplete', `Invalid X-Amz-Date '${amzDate}': expected yyyyMMddTHHmmssZ`);
  const signedHeaders = params.get('X-Amz-SignedHeaders')!.split(';');
  if (!signedHeaders.includes('host')) {
    return fail('incomplete', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const expiresRaw = params.get('X-Amz-Expires');
  let lifetime = opts.defaultExpiresSeconds;
  if (expiresRaw !== undefined) {
    if (!/^\d+$/.test(expiresRaw)) return fail('incomplete', `X-Amz-Expires should be a number, not '${expiresRaw}'.`);
    lifetime = Number(expiresRaw);
    if (lifetime > MAX_PRESIGN_EXPIRES_SECONDS) {
      return fail('incomplete', `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGN_EXPIRES_SECONDS}`);
    }
  }
  const checked = checkCredential(credential, amzDate, params.get('X-Amz-Security-Token'), opts);
  if (!checked.ok) return checked;
  const late = checkTime(amzDate, signedMs, lifetime, opts);
  if (late) return late;
  const canonicalRequest = canonical(req, rawPath, pairs.filter(([k]) => k !== 'X-Amz-Signature'), signedHeaders, EMPTY_SHA256);
  return compare(checked, credential, amzDate, canonicalRequest, params.get('X-Amz-Signature')!);
}
