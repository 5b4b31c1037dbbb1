// The sandbox's SSM API (StartSession, ResumeSession, TerminateSession,
// DescribeInstanceInformation; ssm.md §3) driven by the real @aws-sdk/client-ssm:
// answers, StreamUrl shape, modelled error names with their statuses, knobs, call log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DescribeInstanceInformationCommand,
  ResumeSessionCommand,
  SSMClient,
  StartSessionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-ssm';
import { World, type SandboxInstance, type SsmManagedInfo } from '../../src/sandbox/world.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/http-api.js';
import { testInstance } from '../support/sandbox-records.js';

const BOB = { accessKeyId: 'AKIASANDBOXBOB000001', secretAccessKey: 'bob-secret', arn: 'arn:aws:iam::111122223333:user/bob', userId: 'AIDABOB0001' };
const ONLINE: SsmManagedInfo = { pingStatus: 'Online', agentVersion: '3.3.1000.0', platformType: 'Linux', platformName: 'Amazon Linux', platformVersion: '2023' };

function instance(n: number, overrides: Partial<SandboxInstance> = {}): SandboxInstance {
  return testInstance({
    instanceId: `i-0c0ffee000000000${n}`,
    tags: { Name: `host-${n}` },
    privateIp: `127.100.17.${n}`,
    hostAddress: `127.100.18.${n}`,
    ssm: ONLINE,
    ...overrides,
  });
}

let world: World;
let api: ApiServer;
let ssm: SSMClient;

beforeEach(async () => {
  world = new World();
  world.principals.push(BOB);
  world.addInstance(instance(1));
  world.addInstance(instance(2, { ssm: undefined })); // not managed
  world.addInstance(instance(3, { state: 'stopped' }));
  world.addInstance(instance(4, { ssm: { ...ONLINE, pingStatus: 'ConnectionLost' } }));
  world.addInstance(instance(5, { ssm: { ...ONLINE, platformName: 'Ubuntu', platformVersion: '24.04' }, tags: { Name: 'db', team: 'data' } }));
  world.ssmStreamBase = 'wss://127.0.0.1:4443';
  api = await startApiServer(world);
  ssm = new SSMClient({ endpoint: api.url, region: 'us-east-1', credentials: BOB, maxAttempts: 1 });
});

afterEach(async () => {
  ssm.destroy();
  await api.close();
});

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

const startSsh = (target = 'i-0c0ffee0000000001', port = '22') =>
  ssm.send(new StartSessionCommand({ Target: target, DocumentName: 'AWS-StartSSHSession', Parameters: { portNumber: [port] }, Reason: 'test' }));

describe('StartSession', () => {
  it('answers a session id, a single-use token and a StreamUrl at the sandbox', async () => {
    const out = await startSsh();
    expect(out.SessionId).toMatch(/^bob-[0-9a-f]{17}$/);
    expect(out.TokenValue).toMatch(/^[A-Za-z0-9+/=]{100,}$/);
    const url = new URL(out.StreamUrl!);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(`wss://127.0.0.1:4443/v1/data-channel/${out.SessionId}`);
    expect(url.searchParams.get('role')).toBe('publish_subscribe');
    // The cell-number's base64 carries + / = percent-encoded (ssm.md §21).
    expect(out.StreamUrl).toMatch(/&cell-number=%2B%2F[A-Za-z0-9%]+%3D$/);
    const session = world.ssmSessions.get(out.SessionId!)!;
    expect(session).toMatchObject({ target: 'i-0c0ffee0000000001', documentName: 'AWS-StartSSHSession', parameters: { portNumber: '22' }, status: 'Connected', owner: BOB.arn });
    expect([...session.tokens.keys()]).toEqual([out.TokenValue]);
    const call = world.calls.at(-1)!;
    expect(call).toMatchObject({ service: 'ssm', operation: 'StartSession', status: 200, caller: BOB.arn });
    expect(JSON.stringify(call.params)).not.toContain(out.TokenValue!);
  });

  it('fills the document default portNumber 22 when Parameters are omitted', async () => {
    const out = await ssm.send(new StartSessionCommand({ Target: 'i-0c0ffee0000000001', DocumentName: 'AWS-StartSSHSession' }));
    expect(world.ssmSessions.get(out.SessionId!)!.parameters).toEqual({ portNumber: '22' });
  });

  it.each([
    ['an unmanaged instance', 'i-0c0ffee0000000002'],
    ['a stopped instance', 'i-0c0ffee0000000003'],
    ['an agent with ConnectionLost', 'i-0c0ffee0000000004'],
    ['an unknown id', 'i-0123456789abcdef0'],
  ])('answers TargetNotConnected for %s', async (_what, target) => {
    expect(await failure(startSsh(target))).toEqual({ name: 'TargetNotConnected', message: `${target} is not connected.`, status: 400 });
  });

  it('answers InvalidDocument for documents other than the port sessions', async () => {
    const shell = await failure(ssm.send(new StartSessionCommand({ Target: 'i-0c0ffee0000000001' })));
    expect(shell).toMatchObject({ name: 'InvalidDocument', status: 400 });
    const other = await failure(ssm.send(new StartSessionCommand({ Target: 'i-0c0ffee0000000001', DocumentName: 'AWS-RunShellScript' })));
    expect(other).toMatchObject({ name: 'InvalidDocument', status: 400 });
  });

  it('answers InvalidParameters for a bad port or an unknown parameter', async () => {
    expect(await failure(startSsh('i-0c0ffee0000000001', '70000'))).toMatchObject({ name: 'InvalidParameters', status: 400 });
    const unknown = ssm.send(new StartSessionCommand({ Target: 'i-0c0ffee0000000001', DocumentName: 'AWS-StartSSHSession', Parameters: { host: ['x'] } }));
    expect(await failure(unknown)).toMatchObject({ name: 'InvalidParameters', message: 'Parameter "host" is not defined in document AWS-StartSSHSession.' });
  });

  it('refuses a bad signature with the JSON protocol error', async () => {
    const forged = new SSMClient({ endpoint: api.url, region: 'us-east-1', credentials: { ...BOB, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    expect(await failure(forged.send(new StartSessionCommand({ Target: 'i-0c0ffee0000000001', DocumentName: 'AWS-StartSSHSession' })))).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
    forged.destroy();
    expect(world.ssmSessions.size).toBe(0);
  });
});

describe('ResumeSession and TerminateSession', () => {
  it('hands out a fresh token and the same StreamUrl for a live session', async () => {
    const started = await startSsh();
    const resumed = await ssm.send(new ResumeSessionCommand({ SessionId: started.SessionId }));
    expect(resumed.SessionId).toBe(started.SessionId);
    expect(resumed.StreamUrl).toBe(started.StreamUrl);
    expect(resumed.TokenValue).toBeTruthy();
    expect(resumed.TokenValue).not.toBe(started.TokenValue);
    expect(world.ssmSessions.get(started.SessionId!)!.tokens.size).toBe(2);
  });

  it('answers DoesNotExistException for an unknown session', async () => {
    expect(await failure(ssm.send(new ResumeSessionCommand({ SessionId: 'bob-0123456789abcdef0' })))).toMatchObject({ name: 'DoesNotExistException', status: 400 });
  });

  it('terminates a session (event for the data channel) and then resumes without a token', async () => {
    const started = await startSsh();
    const terminated: string[] = [];
    world.events.on('ssmTerminate', (s) => terminated.push(s.sessionId));
    const out = await ssm.send(new TerminateSessionCommand({ SessionId: started.SessionId }));
    expect(out.SessionId).toBe(started.SessionId);
    expect(terminated).toEqual([started.SessionId]);
    expect(world.ssmSessions.get(started.SessionId!)!.status).toBe('Terminated');
    // §3.2: a missing TokenValue means the session is over.
    const resumed = await ssm.send(new ResumeSessionCommand({ SessionId: started.SessionId }));
    expect(resumed.TokenValue).toBeUndefined();
    // Idempotent, also for ids it never knew.
    await ssm.send(new TerminateSessionCommand({ SessionId: started.SessionId }));
    expect(terminated).toHaveLength(1);
    expect((await ssm.send(new TerminateSessionCommand({ SessionId: 'bob-00000000000000000' }))).SessionId).toBe('bob-00000000000000000');
  });

  it('refuses the next N ResumeSession calls with AccessDeniedException (knob)', async () => {
    const started = await startSsh();
    world.knobs.ssmRefuseNextResumes = 1;
    expect(await failure(ssm.send(new ResumeSessionCommand({ SessionId: started.SessionId })))).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    expect((await ssm.send(new ResumeSessionCommand({ SessionId: started.SessionId }))).TokenValue).toBeTruthy();
  });
});

describe('DescribeInstanceInformation', () => {
  it('lists the managed nodes with ping status, agent version and platform', async () => {
    const out = await ssm.send(new DescribeInstanceInformationCommand({}));
    const byId = new Map(out.InstanceInformationList!.map((i) => [i.InstanceId, i]));
    expect([...byId.keys()].sort()).toEqual(['i-0c0ffee0000000001', 'i-0c0ffee0000000003', 'i-0c0ffee0000000004', 'i-0c0ffee0000000005']);
    expect(byId.get('i-0c0ffee0000000001')).toMatchObject({ PingStatus: 'Online', AgentVersion: '3.3.1000.0', PlatformType: 'Linux', PlatformName: 'Amazon Linux', ResourceType: 'EC2Instance', IPAddress: '127.100.17.1' });
    expect(byId.get('i-0c0ffee0000000001')!.LastPingDateTime).toBeInstanceOf(Date);
    expect(byId.get('i-0c0ffee0000000003')!.PingStatus).toBe('ConnectionLost'); // stopped
    expect(out.NextToken).toBeUndefined();
  });

  it('filters by InstanceIds, PingStatus and tags in both filter forms', async () => {
    const ids = (r: { InstanceInformationList?: Array<{ InstanceId?: string }> }) => r.InstanceInformationList!.map((i) => i.InstanceId).sort();
    expect(ids(await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ['i-0c0ffee0000000001', 'i-0c0ffee0000000002'] }] })))).toEqual(['i-0c0ffee0000000001']);
    expect(ids(await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'PingStatus', Values: ['Online'] }] })))).toEqual(['i-0c0ffee0000000001', 'i-0c0ffee0000000005']);
    expect(ids(await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:team', Values: ['data'] }] })))).toEqual(['i-0c0ffee0000000005']);
    const old = await ssm.send(new DescribeInstanceInformationCommand({ InstanceInformationFilterList: [{ key: 'PingStatus', valueSet: ['ConnectionLost'] }] }));
    expect(ids(old)).toEqual(['i-0c0ffee0000000003', 'i-0c0ffee0000000004']);
  });

  it('answers InvalidFilterKey, InvalidInstanceId and InvalidNextToken', async () => {
    expect(await failure(ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'Colour', Values: ['x'] }] })))).toMatchObject({ name: 'InvalidFilterKey', status: 400 });
    expect(await failure(ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ['web-1'] }] })))).toMatchObject({ name: 'InvalidInstanceId', status: 400 });
    expect(await failure(ssm.send(new DescribeInstanceInformationCommand({ NextToken: 'not-a-token' })))).toMatchObject({ name: 'InvalidNextToken', status: 400 });
  });

  it('pages with MaxResults and NextToken', async () => {
    for (let n = 6; n <= 9; n++) world.addInstance(instance(n));
    const first = await ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5 }));
    expect(first.InstanceInformationList).toHaveLength(5);
    expect(first.NextToken).toBeTruthy();
    const second = await ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5, NextToken: first.NextToken }));
    expect(second.InstanceInformationList).toHaveLength(3);
    expect(second.NextToken).toBeUndefined();
    const all = [...first.InstanceInformationList!, ...second.InstanceInformationList!].map((i) => i.InstanceId);
    expect(new Set(all).size).toBe(8);
  });
});
