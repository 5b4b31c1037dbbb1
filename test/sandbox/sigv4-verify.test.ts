// Unit tests of the sandbox's independent SigV4 verifier: the golden presign vectors of
// eice.md §5.3 (and tampered copies), and header auth checked against requests signed by
// the AWS SDK's own signer (@smithy/signature-v4).
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import {
  canonicalQuery,
  parseAmzDate,
  parseRawQuery,
  verifyHeaderAuth,
  verifyPresignedUrl,
  type AuthResult,
  type SignedRequest,
  type PresignOptions,
} from '../../src/sandbox/sigv4-verify.js';
import type { SandboxPrincipal } from '../../src/sandbox/world.js';

const vector1Principal: SandboxPrincipal = { accessKeyId: 'access_key', secretAccessKey: 'secret_key', arn: 'arn:aws:iam::111122223333:user/v1', userId: 'AIDAV1' };
const vector2Principal: SandboxPrincipal = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FAKE/TOKEN+with=chars',
  arn: 'arn:aws:sts::111122223333:assumed-role/r/v2',
  userId: 'AROAV2:v2',
};

const VECTOR1 = {
  host: 'eice-123.ec2-instance-connect-endpoint.us-west-2.amazonaws.com',
  url:
    '/openTunnel?instanceConnectEndpointId=eice-123&remotePort=22&privateIpAddress=10.0.0.0&maxTunnelDuration=1' +
    '&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=access_key%2F20200101%2Fus-west-2%2Fec2-instance-connect%2Faws4_request' +
    '&X-Amz-Date=20200101T010101Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host' +
    '&X-Amz-Signature=3a56740422a5b9aebd22d860b7a30c729e459a6f71a83bc0de3a2b44b7353f28',
};

// Vector 2 as aws-cli 2.13.39 puts it on the wire; vector 3 is the same with a port in Host.
function vector2Url(signature: string): string {
  return (
    '/openTunnel?instanceConnectEndpointId=eice-0123456789abcdef0&remotePort=22&privateIpAddress=10.0.0.5&maxTunnelDuration=60' +
    '&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261122%2Fus-east-1%2Fec2-instance-connect%2Faws4_request' +
    '&X-Amz-Date=20261122T041743Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FAKE%2FTOKEN%2Bwith%3Dchars' +
    `&X-Amz-Signature=${signature}`
  );
}
const VECTOR2_SIG = '3c31cc139597b83ad936d4cfe7ff4d1421a5822708ea2b5f7a406dc3f6c5acb4';
const VECTOR3_SIG = 'b8d7d88ca7e3d9f947ba45dae35ebec63ee3d9d27e1179721f3830b512ea1d06';

function presignOptions(region: string, amzDate: string, principals: SandboxPrincipal[], overrides: Partial<PresignOptions> = {}): PresignOptions {
  return {
    findPrincipal: (key) => principals.find((p) => p.accessKeyId === key),
    region,
    service: 'ec2-instance-connect',
    nowMs: parseAmzDate(amzDate)!,
    skewSeconds: 300,
    defaultExpiresSeconds: 300,
    ...overrides,
  };
}

const v1 = (url: string, host = VECTOR1.host, overrides: Partial<PresignOptions> = {}) =>
  verifyPresignedUrl({ method: 'GET', url, headers: { host } }, presignOptions('us-west-2', '20200101T010101Z', [vector1Principal], overrides));
const v2 = (url: string, host: string, principal = vector2Principal, overrides: Partial<PresignOptions> = {}) =>
  verifyPresignedUrl({ method: 'GET', url, headers: { host } }, presignOptions('us-east-1', '20261122T041743Z', [principal], overrides));

function kindOf(result: AuthResult): string {
  return result.ok ? 'ok' : result.kind;
}

describe('presigned URL verification (eice.md §5.3 golden vectors)', () => {
  it('accepts vector 1 (aws-cli functional test)', () => {
    const result = v1(VECTOR1.url);
    expect(result.ok && result.principal.accessKeyId).toBe('access_key');
  });

  it('accepts vector 2 (session token with characters that need encoding)', () => {
    const result = v2(vector2Url(VECTOR2_SIG), 'localhost');
    expect(result.ok && result.principal.arn).toBe(vector2Principal.arn);
  });

  it('accepts vector 3 (port in the Host header)', () => {
    expect(kindOf(v2(vector2Url(VECTOR3_SIG), 'localhost:8443'))).toBe('ok');
  });

  it('rebuilds the canonical query of vector 2 exactly as eice.md prints it', () => {
    const pairs = parseRawQuery(vector2Url(VECTOR2_SIG).split('?')[1]!)!.filter(([k]) => k !== 'X-Amz-Signature');
    expect(canonicalQuery(pairs)).toBe(
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261122%2Fus-east-1%2Fec2-instance-connect%2Faws4_request' +
        '&X-Amz-Date=20261122T041743Z&X-Amz-Expires=60&X-Amz-Security-Token=FAKE%2FTOKEN%2Bwith%3Dchars&X-Amz-SignedHeaders=host' +
        '&instanceConnectEndpointId=eice-0123456789abcdef0&maxTunnelDuration=60&privateIpAddress=10.0.0.5&remotePort=22',
    );
  });

  it('accepts the same URL whatever order its parameters come in', () => {
    const [path, query] = VECTOR1.url.split('?') as [string, string];
    expect(kindOf(v1(`${path}?${query.split('&').reverse().join('&')}`))).toBe('ok');
  });

  it.each([
    ['a changed signature digit', VECTOR1.url.replace('3a5674', '3a5675'), 'signature'],
    ['a changed port', VECTOR1.url.replace('remotePort=22', 'remotePort=23'), 'signature'],
    ['a changed target address', VECTOR1.url.replace('10.0.0.0', '10.0.0.1'), 'signature'],
    ['an added parameter', `${VECTOR1.url}&extra=1`, 'signature'],
    ['a missing signature', VECTOR1.url.replace(/&X-Amz-Signature=[0-9a-f]+/, ''), 'incomplete'],
    ['no auth parameters at all', '/openTunnel?remotePort=22', 'missing'],
  ])('rejects vector 1 with %s', (_name, url, kind) => {
    expect(kindOf(v1(url))).toBe(kind);
  });

  it('rejects vector 1 presented to another Host (the signature covers the received Host)', () => {
    expect(kindOf(v1(VECTOR1.url, 'eice-123.example.com'))).toBe('signature');
    expect(kindOf(v2(vector2Url(VECTOR3_SIG), 'localhost'))).toBe('signature');
  });

  it('rejects an unknown access key, another region and another service', () => {
    expect(kindOf(v1(VECTOR1.url, VECTOR1.host, { findPrincipal: () => undefined }))).toBe('unknown-key');
    const region = v1(VECTOR1.url, VECTOR1.host, { region: 'us-east-1' });
    expect(region).toEqual({ ok: false, kind: 'scope', message: "Credential should be scoped to a valid region, not 'us-west-2'. " });
    expect(kindOf(v1(VECTOR1.url, VECTOR1.host, { service: 'ssm' }))).toBe('scope');
  });

  it('rejects vector 2 when the token is missing, wrong, or not issued to that key', () => {
    const noToken = vector2Url(VECTOR2_SIG).replace(/&X-Amz-Security-Token=[^&]+/, '');
    expect(kindOf(v2(noToken, 'localhost'))).toBe('invalid-token');
    expect(kindOf(v2(vector2Url(VECTOR2_SIG), 'localhost', { ...vector2Principal, sessionToken: 'OTHER' }))).toBe('invalid-token');
    expect(kindOf(v2(vector2Url(VECTOR2_SIG), 'localhost', { ...vector2Principal, sessionToken: undefined }))).toBe('invalid-token');
  });

  it('rejects vector 2 once its temporary credentials have expired', () => {
    const expired = { ...vector2Principal, expiration: new Date(parseAmzDate('20261122T041743Z')! - 1000) };
    expect(kindOf(v2(vector2Url(VECTOR2_SIG), 'localhost', expired))).toBe('expired-token');
  });

  it('accepts until expiry plus skew, and rejects after it or before the date minus skew', () => {
    const signed = parseAmzDate('20200101T010101Z')!;
    expect(kindOf(v1(VECTOR1.url, VECTOR1.host, { nowMs: signed + (60 + 300) * 1000 }))).toBe('ok');
    expect(kindOf(v1(VECTOR1.url, VECTOR1.host, { nowMs: signed + (60 + 300) * 1000 + 1000 }))).toBe('expired');
    expect(kindOf(v1(VECTOR1.url, VECTOR1.host, { nowMs: signed - 300 * 1000 }))).toBe('ok');
    expect(kindOf(v1(VECTOR1.url, VECTOR1.host, { nowMs: signed - 301 * 1000 }))).toBe('not-yet-valid');
  });

  it('applies the default window to a URL without X-Amz-Expires (as the Go clients send)', () => {
    // Signed here with node:crypto straight from the eice.md §5.1 recipe (the SDK signer always adds X-Amz-Expires).
    const query = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=access_key%2F20200101%2Fus-west-2%2Fec2-instance-connect%2Faws4_request&X-Amz-Date=20200101T010101Z&X-Amz-SignedHeaders=host&instanceConnectEndpointId=eice-123&remotePort=22';
    const canonical = `GET\n/openTunnel\n${query}\nhost:${VECTOR1.host}\n\nhost\n${createHash('sha256').update('').digest('hex')}`;
    const toSign = `AWS4-HMAC-SHA256\n20200101T010101Z\n20200101/us-west-2/ec2-instance-connect/aws4_request\n${createHash('sha256').update(canonical).digest('hex')}`;
    let key: Buffer = createHmac('sha256', 'AWS4secret_key').update('20200101').digest();
    for (const part of ['us-west-2', 'ec2-instance-connect', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
    const url = `/openTunnel?${query}&X-Amz-Signature=${createHmac('sha256', key).update(toSign).digest('hex')}`;
    const signed = parseAmzDate('20200101T010101Z')!;
    expect(kindOf(v1(url, VECTOR1.host, { nowMs: signed + 600 * 1000 }))).toBe('ok');
    expect(kindOf(v1(url, VECTOR1.host, { nowMs: signed + 601 * 1000 }))).toBe('expired');
  });
});

// ---- header auth, signed by the SDK's signer ----

const principal: SandboxPrincipal = { accessKeyId: 'AKIASANDBOXTEST0001', secretAccessKey: 'sandbox-secret/with+chars', arn: 'arn:aws:iam::111122223333:user/alice', userId: 'AIDAALICE' };
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

async function signed(
  options: { region?: string; service?: string; secret?: string; sessionToken?: string; date?: number; body?: string } = {},
): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: options.secret ?? principal.secretAccessKey, sessionToken: options.sessionToken },
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'ec2-instance-connect',
    sha256: Hash.bind(null, 'sha256'),
  });
  const body = options.body ?? '{"InstanceId":"i-0123456789abcdef0"}';
  const request = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4567,
      path: '/',
      query: {},
      headers: { host: '127.0.0.1:4567', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEC2InstanceConnectService.SendSSHPublicKey' },
      body,
    },
    { signingDate: new Date(options.date ?? NOW) },
  );
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'POST', url: '/', headers, body: Buffer.from(body) };
}

function verifyAs(req: SignedRequest, who: SandboxPrincipal = principal) {
  return verifyHeaderAuth(req, { findPrincipal: (k) => (k === who.accessKeyId ? who : undefined), region: 'us-east-1', service: 'ec2-instance-connect', nowMs: NOW, skewSeconds: 300 });
}

describe('header SigV4 verification against @smithy/signature-v4', () => {
  it('accepts a request the SDK signer signed', async () => {
    const result = verifyAs(await signed());
    expect(result.ok && result.principal.arn).toBe(principal.arn);
  });

  it('rejects a changed body', async () => {
    const req = await signed();
    expect(kindOf(verifyAs({ ...req, body: Buffer.from('{"InstanceId":"i-0123456789abcdef1"}') }))).toBe('signature');
  });

  it('rejects a changed signed header', async () => {
    const req = await signed();
    expect(kindOf(verifyAs({ ...req, headers: { ...req.headers, 'x-amz-target': 'AmazonSSM.StartSession' } }))).toBe('signature');
  });

  it('rejects a request signed with the wrong secret', async () => {
    const result = verifyAs(await signed({ secret: 'not-the-secret' }));
    expect(result).toMatchObject({ ok: false, kind: 'signature', message: expect.stringMatching(/^The request signature we calculated does not match/) });
  });

  it('rejects a date outside the skew window, in either direction', async () => {
    expect(verifyAs(await signed({ date: NOW - 301_000 }))).toMatchObject({ kind: 'expired', message: expect.stringMatching(/^Signature expired: 20260115T115459Z is now earlier than 20260115T115500Z \(20260115T120000Z - 5 min\.\)$/) });
    expect(kindOf(verifyAs(await signed({ date: NOW - 299_000 })))).toBe('ok');
    expect(kindOf(verifyAs(await signed({ date: NOW + 301_000 })))).toBe('not-yet-valid');
  });

  it('rejects another region or service in the credential scope', async () => {
    expect(verifyAs(await signed({ region: 'eu-west-1' }))).toMatchObject({ kind: 'scope', message: "Credential should be scoped to a valid region, not 'eu-west-1'. " });
    expect(verifyAs(await signed({ service: 'ec2' }))).toMatchObject({ kind: 'scope', message: "Credential should be scoped to correct service: 'ec2-instance-connect'. " });
  });

  it('requires the session token of temporary credentials, and only that one', async () => {
    const temporary = { ...principal, sessionToken: 'session/token+1' };
    expect(kindOf(verifyAs(await signed({ sessionToken: 'session/token+1' }), temporary))).toBe('ok');
    expect(kindOf(verifyAs(await signed(), temporary))).toBe('invalid-token');
    expect(kindOf(verifyAs(await signed({ sessionToken: 'session/token+2' }), temporary))).toBe('invalid-token');
    expect(kindOf(verifyAs(await signed({ sessionToken: 'session/token+1' })))).toBe('invalid-token');
  });

  it('tells a missing Authorization header from a malformed one', async () => {
    const req = await signed();
    const { authorization, ...unsigned } = req.headers;
    expect(kindOf(verifyAs({ ...req, headers: unsigned }))).toBe('missing');
    const partial = String(authorization).replace(/, Signature=[0-9a-f]+/, '');
    expect(verifyAs({ ...req, headers: { ...req.headers, authorization: partial } })).toMatchObject({
      kind: 'incomplete',
      message: expect.stringMatching(/^Authorization header requires 'Signature' parameter\./),
    });
  });
});
