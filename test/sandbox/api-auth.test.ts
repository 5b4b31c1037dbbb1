// The API server's front door: SigV4 failures answered in each protocol's own shape (EC2
// XML, STS ErrorResponse, JSON __type) as the SDK sees them, STS GetCallerIdentity,
// strict routing (unknown Action / X-Amz-Target), request ids and the call log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EC2InstanceConnectClient, SendSSHPublicKeyCommand } from '@aws-sdk/client-ec2-instance-connect';
import { World, type SandboxPrincipal } from '../../src/sandbox/world.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/http-api.js';
import { testInstance } from '../support/sandbox-records.js';

const CAROL: SandboxPrincipal = { accessKeyId: 'AKIASANDBOXCAROL0001', secretAccessKey: 'carol-secret', arn: 'arn:aws:iam::444455556666:user/ops/carol', userId: 'AIDACAROL0001' };
const TEMP: SandboxPrincipal = {
  accessKeyId: 'ASIASANDBOXTEMP00001',
  secretAccessKey: 'temp-secret',
  sessionToken: 'IQoJb3JpZ2luX2VjE/token+value==',
  arn: 'arn:aws:sts::111122223333:assumed-role/Admin/dave',
  userId: 'AROAADMIN0001:dave',
};
const INSTANCE = 'i-0d0d0d0d0d0d0d0d1';
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGpDvwvFHP9YHTsfyqvXNMCMmZJ2oFmH0RN3t8R6qLZz';

let world: World;
let server: ApiServer;
const clients: Array<{ destroy(): void }> = [];

beforeEach(async () => {
  world = new World('us-east-1', '111122223333');
  world.principals.push(CAROL, TEMP);
  world.addInstance(testInstance({ instanceId: INSTANCE, privateIp: '127.100.27.10', hostAddress: '127.100.28.10' }));
  server = await startApiServer(world);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
function ec2(credentials: Creds = CAROL, options: { region?: string; maxAttempts?: number } = {}): EC2Client {
  const client = new EC2Client({ endpoint: server.url, region: options.region ?? 'us-east-1', credentials, maxAttempts: options.maxAttempts ?? 1 });
  clients.push(client);
  return client;
}
function eic(credentials: Creds = CAROL, options: { maxAttempts?: number } = {}): EC2InstanceConnectClient {
  const client = new EC2InstanceConnectClient({ endpoint: server.url, region: 'us-east-1', credentials, maxAttempts: options.maxAttempts ?? 1 });
  clients.push(client);
  return client;
}
const describeIt = (client: EC2Client) => client.send(new DescribeInstancesCommand({ InstanceIds: [INSTANCE] }));
const pushIt = (client: EC2InstanceConnectClient) => client.send(new SendSSHPublicKeyCommand({ InstanceId: INSTANCE, InstanceOSUser: 'ec2-user', SSHPublicKey: ED25519 }));

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

// A request signed by the SDK's signer but sent by hand, for what the SDK clients cannot send.
async function signedFetch(options: { service: string; body: string; headers?: Record<string, string>; credentials?: Creds; sentBody?: string }) {
  const url = new URL(server.url);
  const signer = new SignatureV4({ credentials: options.credentials ?? CAROL, region: 'us-east-1', service: options.service, sha256: Hash.bind(null, 'sha256') });
  const request = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, ...options.headers },
    body: options.body,
  });
  const { host: _host, ...headers } = request.headers;
  const res = await fetch(server.url, { method: 'POST', headers, body: options.sentBody ?? options.body });
  return { status: res.status, headers: res.headers, body: await res.text() };
}
const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

describe('SigV4 failures on EC2 (Query/XML)', () => {
  it('answers AuthFailure (401) for an unknown access key', async () => {
    expect(await errorOf(describeIt(ec2({ accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x' })))).toEqual({
      name: 'AuthFailure',
      message: 'AWS was not able to validate the provided access credentials',
      status: 401,
    });
  });

  it('answers SignatureDoesNotMatch (403) for a wrong secret or another region', async () => {
    expect(await errorOf(describeIt(ec2({ ...CAROL, secretAccessKey: 'wrong' })))).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(await errorOf(describeIt(ec2(CAROL, { region: 'us-west-2' })))).toEqual({
      name: 'SignatureDoesNotMatch',
      message: "Credential should be scoped to a valid region, not 'us-west-2'. ",
      status: 403,
    });
  });

  it('answers RequestExpired when the clocks are more than the skew apart', async () => {
    world.clock.advance(10 * 60 * 1000);
    expect(await errorOf(describeIt(ec2()))).toEqual({ name: 'RequestExpired', message: 'Request has expired.', status: 400 });
  });

  it('lets the SDK correct its clock from our Date header and retry, as against AWS', async () => {
    world.clock.advance(10 * 60 * 1000);
    await describeIt(ec2(CAROL, { maxAttempts: 3 }));
    expect(world.calls.map((c) => c.errorCode ?? c.status)).toEqual(['RequestExpired', 200]);
  });

  it('requires the session token of temporary credentials, and refuses expired ones', async () => {
    await expect(describeIt(ec2(TEMP))).resolves.toBeDefined();
    expect(await errorOf(describeIt(ec2({ ...TEMP, sessionToken: undefined })))).toMatchObject({ name: 'AuthFailure', status: 401 });
    expect(await errorOf(describeIt(ec2({ ...TEMP, sessionToken: 'forged' })))).toMatchObject({ name: 'AuthFailure' });
    TEMP.expiration = new Date(world.clock.now() - 1000);
    try {
      expect(await errorOf(describeIt(ec2(TEMP)))).toMatchObject({ name: 'RequestExpired', status: 400 });
    } finally {
      delete TEMP.expiration;
    }
  });

  it('answers SignatureDoesNotMatch when the body was changed after signing', async () => {
    const body = `Action=DescribeInstances&Version=2016-11-15&InstanceId.1=${INSTANCE}`;
    const res = await signedFetch({ service: 'ec2', body, headers: FORM, sentBody: body.replace('d1', 'd2') });
    expect(res.status).toBe(403);
    expect(tag(res.body, 'Code')).toBe('SignatureDoesNotMatch');
  });

  it('answers MissingParameter for an unsigned call', async () => {
    const res = await fetch(server.url, { method: 'POST', headers: FORM, body: 'Action=DescribeInstances&Version=2016-11-15' });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(tag(body, 'Code')).toBe('MissingParameter');
    expect(world.calls[0]).toMatchObject({ operation: 'DescribeInstances', status: 400, errorCode: 'MissingParameter' });
    expect(world.calls[0]!.caller).toBeUndefined();
  });
});

describe('SigV4 failures on EC2 Instance Connect (JSON 1.1)', () => {
  it('answers UnrecognizedClientException for an unknown key and InvalidSignatureException for a wrong secret', async () => {
    expect(await errorOf(pushIt(eic({ accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x' })))).toEqual({
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
      status: 400,
    });
    expect(await errorOf(pushIt(eic({ ...CAROL, secretAccessKey: 'wrong' })))).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
    expect(world.pushedKeys).toEqual([]);
    // The refused calls are logged with what they asked for, and no caller.
    expect(world.calls.map((c) => [c.operation, c.params.InstanceId, c.caller, c.errorCode])).toEqual([
      ['SendSSHPublicKey', INSTANCE, undefined, 'UnrecognizedClientException'],
      ['SendSSHPublicKey', INSTANCE, undefined, 'InvalidSignatureException'],
    ]);
  });

  it('answers InvalidSignatureException "Signature expired" for a stale request', async () => {
    world.clock.advance(10 * 60 * 1000);
    const e = await errorOf(pushIt(eic()));
    expect(e.name).toBe('InvalidSignatureException');
    expect(e.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
  });

  it('answers ExpiredTokenException for expired temporary credentials', async () => {
    TEMP.expiration = new Date(world.clock.now() - 1000);
    try {
      expect(await errorOf(pushIt(eic(TEMP)))).toMatchObject({ name: 'ExpiredTokenException', message: 'The security token included in the request is expired' });
    } finally {
      delete TEMP.expiration;
    }
  });

  it('lets a knob change the code or status of an auth failure', async () => {
    world.knobs.authErrorOverrides.set('json:unknown-key', { status: 403 });
    expect(await errorOf(pushIt(eic({ accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x' })))).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
  });
});

describe('STS GetCallerIdentity (Query/XML)', () => {
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';

  it('answers the caller’s ARN, user id and account, with the request id in body and header', async () => {
    const res = await signedFetch({ service: 'sts', body, headers: FORM });
    expect(res.status).toBe(200);
    expect(res.body).toContain('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    expect(tag(res.body, 'Arn')).toBe(CAROL.arn);
    expect(tag(res.body, 'UserId')).toBe(CAROL.userId);
    expect(tag(res.body, 'Account')).toBe('444455556666');
    expect(tag(res.body, 'RequestId')).toBe(res.headers.get('x-amzn-requestid'));
    expect(world.calls[0]).toMatchObject({ service: 'sts', operation: 'GetCallerIdentity', caller: CAROL.arn, status: 200 });
  });

  it('answers InvalidClientTokenId (403) in an ErrorResponse for an unknown key', async () => {
    const res = await signedFetch({ service: 'sts', body, headers: FORM, credentials: { accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x' } });
    expect(res.status).toBe(403);
    expect(res.body).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    expect(tag(res.body, 'Type')).toBe('Sender');
    expect(tag(res.body, 'Code')).toBe('InvalidClientTokenId');
    expect(tag(res.body, 'Message')).toBe('The security token included in the request is invalid.');
    expect(tag(res.body, 'RequestId')).toBe(res.headers.get('x-amzn-requestid'));
  });

  it('answers InvalidAction for an operation it does not have', async () => {
    const res = await signedFetch({ service: 'sts', body: 'Action=AssumeRole&Version=2011-06-15', headers: FORM });
    expect(res.status).toBe(400);
    expect(tag(res.body, 'Message')).toBe('Could not find operation AssumeRole for version 2011-06-15');
  });
});

describe('strict routing', () => {
  it('answers InvalidAction for an unknown EC2 action, never a silent 200', async () => {
    const res = await signedFetch({ service: 'ec2', body: 'Action=RunInstances&Version=2016-11-15', headers: FORM });
    expect(res.status).toBe(400);
    expect(res.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Response><Errors><Error><Code>InvalidAction</Code><Message>The action RunInstances is not valid for this web service.</Message></Error></Errors><RequestID>${res.headers.get('x-amzn-requestid')}</RequestID></Response>\n`,
    );
    expect(world.calls[0]).toMatchObject({ service: 'ec2', operation: 'RunInstances', errorCode: 'InvalidAction' });
  });

  it('answers UnknownParameter for a parameter the operation does not define', async () => {
    const res = await signedFetch({ service: 'ec2', body: 'Action=DescribeInstances&Version=2016-11-15&InstanceIds.1=i-0d0d0d0d0d0d0d0d1', headers: FORM });
    expect(res.status).toBe(400);
    expect(tag(res.body, 'Code')).toBe('UnknownParameter');
    expect(tag(res.body, 'Message')).toBe('The parameter InstanceIds.1 is not recognized');
  });

  it.each(['AWSEC2InstanceConnectService.PutEC2HostKeys', 'AmazonSSM.SendCommand'])('answers UnknownOperationException for %s', async (target) => {
    const res = await signedFetch({ service: 'ec2-instance-connect', body: '{}', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(JSON.parse(res.body)).toMatchObject({ __type: 'UnknownOperationException' });
    expect(res.headers.get('x-amzn-requestid')).toBe(world.calls[0]!.requestId);
  });

  it('answers modelled EIC errors with x-amzn-ErrorType and a {"__type","Message"} body', async () => {
    const res = await signedFetch({
      service: 'ec2-instance-connect',
      body: JSON.stringify({ InstanceId: 'i-0123456789abcdef0', InstanceOSUser: 'ec2-user', SSHPublicKey: ED25519 }),
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEC2InstanceConnectService.SendSSHPublicKey' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(res.headers.get('x-amzn-errortype')).toBe('EC2InstanceNotFoundException');
    expect(Object.keys(JSON.parse(res.body))).toEqual(['__type', 'Message']);
  });

  it('answers SerializationException for a body that is not a JSON object', async () => {
    const res = await signedFetch({
      service: 'ec2-instance-connect',
      body: '[1,2]',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEC2InstanceConnectService.SendSSHPublicKey' },
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).__type).toBe('SerializationException');
  });
});
