// The sandbox's EC2 Query API driven by the real @aws-sdk/client-ec2: every field the SDK
// parses, every filter, pagination, errors by their SDK name, and the call log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DescribeInstancesCommand, EC2Client, GetConsoleOutputCommand, paginateDescribeInstances, type Filter } from '@aws-sdk/client-ec2';
import { World, type SandboxInstance } from '../../src/sandbox/world.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/http-api.js';
import { testInstance } from '../support/sandbox-records.js';

const ALICE = { accessKeyId: 'AKIASANDBOXALICE0001', secretAccessKey: 'alice-secret', arn: 'arn:aws:iam::111122223333:user/alice', userId: 'AIDAALICE0001' };

const WEB = 'i-0a1b2c3d4e5f60001';
const DB = 'i-0a1b2c3d4e5f60002';
const OLD = 'i-0a1b2c3d4e5f60003';
const IDLE = 'i-0a1b2c3d4e5f60004';

function instance(instanceId: string, n: number, overrides: Partial<SandboxInstance> = {}): SandboxInstance {
  return testInstance({ instanceId, privateIp: `127.100.7.${n}`, hostAddress: `127.100.8.${n}`, ...overrides });
}

function buildWorld(): World {
  const world = new World('us-east-1', '111122223333');
  world.principals.push(ALICE);
  world.addInstance(
    instance(WEB, 10, {
      tags: { Name: 'web-1', Env: 'prod' },
      publicIp: '127.100.9.10',
      publicDnsName: 'ec2-127-100-9-10.compute-1.amazonaws.com',
      ipv6Address: '2600:1f18:aaaa:bbbb::10',
      platformDetails: 'Linux/UNIX',
      consoleOutput: 'ec2: #############\nec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----\n',
    }),
  );
  world.addInstance(instance(DB, 11, { tags: { Name: 'db*1', Env: 'prod' }, subnetId: 'subnet-0bbbbbbbbbbbbbbb2', az: 'us-east-1b', instanceType: 'r6g.large' }));
  world.addInstance(instance(OLD, 12, { tags: { Name: 'web-2' }, state: 'terminated', publicIp: '127.100.9.12', publicDnsName: 'ec2-127-100-9-12.compute-1.amazonaws.com' }));
  world.addInstance(instance(IDLE, 13, { state: 'stopped', publicIp: '127.100.9.13', publicDnsName: 'ec2-127-100-9-13.compute-1.amazonaws.com', vpcId: 'vpc-0fffffffffffffff9' }));
  return world;
}

let world: World;
let server: ApiServer;
let ec2: EC2Client;

beforeEach(async () => {
  world = buildWorld();
  server = await startApiServer(world);
  ec2 = new EC2Client({ endpoint: server.url, region: 'us-east-1', credentials: ALICE, maxAttempts: 1 });
});

afterEach(async () => {
  ec2.destroy();
  await server.close();
});

async function idsFor(filters: Filter[]): Promise<string[]> {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: filters }));
  return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId!));
}

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('DescribeInstances', () => {
  it('returns every field eic-ssh reads, parsed by the SDK', async () => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [WEB] }));
    expect(out.Reservations).toHaveLength(1);
    expect(out.Reservations![0]!.OwnerId).toBe('111122223333');
    expect(out.Reservations![0]!.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    const i = out.Reservations![0]!.Instances![0]!;
    expect(i).toMatchObject({
      InstanceId: WEB,
      ImageId: 'ami-0fedcba9876543210',
      InstanceType: 't3.micro',
      State: { Code: 16, Name: 'running' },
      VpcId: 'vpc-0123456789abcdef0',
      SubnetId: 'subnet-0aaaaaaaaaaaaaaa1',
      PrivateIpAddress: '127.100.7.10',
      PrivateDnsName: 'ip-127-100-7-10.ec2.internal',
      PublicIpAddress: '127.100.9.10',
      PublicDnsName: 'ec2-127-100-9-10.compute-1.amazonaws.com',
      Ipv6Address: '2600:1f18:aaaa:bbbb::10',
      Placement: { AvailabilityZone: 'us-east-1a', Tenancy: 'default' },
      PlatformDetails: 'Linux/UNIX',
      MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
      Tags: [
        { Key: 'Name', Value: 'web-1' },
        { Key: 'Env', Value: 'prod' },
      ],
    });
    expect(i.LaunchTime).toEqual(new Date('2025-03-01T10:00:00.000Z'));
    const eni = i.NetworkInterfaces![0]!;
    expect(eni.PrivateIpAddresses![0]).toMatchObject({ PrivateIpAddress: '127.100.7.10', Primary: true, Association: { PublicIp: '127.100.9.10' } });
    expect(eni.Ipv6Addresses).toEqual([{ Ipv6Address: '2600:1f18:aaaa:bbbb::10' }]);
    expect(out.NextToken).toBeUndefined();
  });

  it('reports a private instance without public address and with an empty public DNS name', async () => {
    const i = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [DB] }))).Reservations![0]!.Instances![0]!;
    expect(i.PublicIpAddress).toBeUndefined();
    expect(i.PublicDnsName).toBe('');
    expect(i.Ipv6Address).toBeUndefined();
    expect(i.Placement!.AvailabilityZone).toBe('us-east-1b');
  });

  it('keeps terminated instances visible, without network details, and drops the public address of stopped ones', async () => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [OLD, IDLE] }));
    const byId = new Map(out.Reservations!.flatMap((r) => r.Instances!).map((i) => [i.InstanceId, i]));
    expect(byId.get(OLD)).toMatchObject({ State: { Code: 48, Name: 'terminated' }, PrivateDnsName: '', PublicDnsName: '', NetworkInterfaces: [] });
    expect(byId.get(OLD)!.VpcId).toBeUndefined();
    expect(byId.get(OLD)!.PrivateIpAddress).toBeUndefined();
    expect(byId.get(IDLE)).toMatchObject({ State: { Code: 80, Name: 'stopped' }, PrivateIpAddress: '127.100.7.13', PublicDnsName: '' });
    expect(byId.get(IDLE)!.PublicIpAddress).toBeUndefined();
    expect(byId.get(IDLE)!.StateTransitionReason).toMatch(/^User initiated \(/);
  });

  it.each<[string, Filter[], string[]]>([
    ['instance-id', [{ Name: 'instance-id', Values: [DB] }], [DB]],
    ['tag:Name exact', [{ Name: 'tag:Name', Values: ['web-1'] }], [WEB]],
    ['tag:Name with *', [{ Name: 'tag:Name', Values: ['web-*'] }], [WEB, OLD]],
    ['tag:Name with ?', [{ Name: 'tag:Name', Values: ['web-?'] }], [WEB, OLD]],
    ['tag:Name with an escaped *', [{ Name: 'tag:Name', Values: ['db\\*1'] }], [DB]],
    ['tag values are case-sensitive', [{ Name: 'tag:Name', Values: ['WEB-1'] }], []],
    ['tag-key', [{ Name: 'tag-key', Values: ['Env'] }], [WEB, DB]],
    ['instance-state-name', [{ Name: 'instance-state-name', Values: ['running'] }], [WEB, DB]],
    ['instance-state-name, two values', [{ Name: 'instance-state-name', Values: ['stopped', 'terminated'] }], [OLD, IDLE]],
    ['private-ip-address', [{ Name: 'private-ip-address', Values: ['127.100.7.11'] }], [DB]],
    ['ip-address', [{ Name: 'ip-address', Values: ['127.100.9.10'] }], [WEB]],
    ['ip-address of a stopped instance', [{ Name: 'ip-address', Values: ['127.100.9.13'] }], []],
    ['dns-name', [{ Name: 'dns-name', Values: ['ec2-127-100-9-10.compute-1.amazonaws.com'] }], [WEB]],
    ['private-dns-name', [{ Name: 'private-dns-name', Values: ['ip-127-100-7-13.ec2.internal'] }], [IDLE]],
    ['vpc-id', [{ Name: 'vpc-id', Values: ['vpc-0fffffffffffffff9'] }], [IDLE]],
    ['subnet-id', [{ Name: 'subnet-id', Values: ['subnet-0bbbbbbbbbbbbbbb2'] }], [DB]],
    ['network-interface.addresses.private-ip-address', [{ Name: 'network-interface.addresses.private-ip-address', Values: ['127.100.7.1*'] }], [WEB, DB, IDLE]],
    ['two filters are ANDed', [{ Name: 'tag:Env', Values: ['prod'] }, { Name: 'availability-zone', Values: ['us-east-1b'] }], [DB]],
  ])('filters by %s', async (_name, filters, expected) => {
    expect(await idsFor(filters)).toEqual(expected);
  });

  it('answers InvalidParameterValue for a filter EC2 does not have', async () => {
    const e = await errorOf(idsFor([{ Name: 'public-ip', Values: ['1.2.3.4'] }]));
    expect(e).toEqual({ name: 'InvalidParameterValue', message: "The filter 'public-ip' is invalid", status: 400 });
  });

  it('answers InvalidInstanceID.NotFound with the exact message, singular and plural', async () => {
    expect(await errorOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: [WEB, 'i-0123456789abcdef0'] })))).toEqual({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance ID 'i-0123456789abcdef0' does not exist",
      status: 400,
    });
    const plural = await errorOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0', 'i-0123456789abcdef1'] })));
    expect(plural.message).toBe("The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist");
  });

  it('answers InvalidInstanceID.Malformed for an id that is not an instance id', async () => {
    expect(await errorOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['web-1'] })))).toEqual({ name: 'InvalidInstanceID.Malformed', message: 'Invalid id: "web-1"', status: 400 });
  });

  it('refuses MaxResults together with InstanceIds, and MaxResults below 5', async () => {
    const both = await errorOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: [WEB], MaxResults: 5 })));
    expect(both).toMatchObject({ name: 'InvalidParameterCombination', message: 'The parameter instancesSet cannot be used with the parameter maxResults' });
    const small = await errorOf(ec2.send(new DescribeInstancesCommand({ MaxResults: 4 })));
    expect(small).toMatchObject({ name: 'InvalidParameterValue', message: 'Value ( 4 ) for parameter maxResults is invalid. Expecting a value greater than 5.' });
  });

  it('answers DryRunOperation for a permitted DryRun call', async () => {
    expect(await errorOf(ec2.send(new DescribeInstancesCommand({ DryRun: true })))).toMatchObject({ name: 'DryRunOperation', status: 412 });
  });
});

describe('DescribeInstances pagination', () => {
  beforeEach(() => {
    for (let n = 20; n < 27; n++) world.addInstance(instance(`i-0b000000000000${n}0`, n, { tags: { Team: 'batch' } }));
  });

  it('pages with MaxResults and an opaque NextToken the SDK paginator follows', async () => {
    const pages: string[][] = [];
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, { Filters: [{ Name: 'tag:Team', Values: ['batch'] }] })) {
      pages.push(page.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)));
    }
    expect(pages.map((p) => p.length)).toEqual([5, 2]);
    expect(pages.flat()).toEqual(Array.from({ length: 7 }, (_, k) => `i-0b000000000000${20 + k}0`));
    const calls = world.calls.filter((c) => c.operation === 'DescribeInstances');
    expect(calls.map((c) => c.params.MaxResults)).toEqual([5, 5]);
    expect(calls[0]!.params.NextToken).toBeUndefined();
    expect(calls[1]!.params.NextToken).toEqual(expect.any(String));
  });

  it('pages at the default page size knob when no MaxResults is given', async () => {
    world.knobs.defaultPageSize = 6;
    const first = await ec2.send(new DescribeInstancesCommand({}));
    expect(first.Reservations).toHaveLength(6);
    const second = await ec2.send(new DescribeInstancesCommand({ NextToken: first.NextToken }));
    expect(second.Reservations).toHaveLength(5);
    expect(second.NextToken).toBeUndefined();
  });

  it('refuses a NextToken issued for other filters, and a made-up one', async () => {
    const first = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    const other = ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: first.NextToken, Filters: [{ Name: 'tag:Team', Values: ['batch'] }] }));
    expect(await errorOf(other)).toMatchObject({ name: 'InvalidPaginationToken', status: 400 });
    expect(await errorOf(ec2.send(new DescribeInstancesCommand({ NextToken: 'bm9wZQ' })))).toMatchObject({ name: 'InvalidPaginationToken' });
  });
});

describe('EC2 throttling', () => {
  it('answers RequestLimitExceeded (503) for the next N calls, then recovers', async () => {
    world.knobs.throttleNextEc2Calls = 1;
    expect(await errorOf(ec2.send(new DescribeInstancesCommand({})))).toMatchObject({ name: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 });
    expect(world.knobs.throttleNextEc2Calls).toBe(0);
    await expect(ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('is retried by the SDK like the real throttling error', async () => {
    world.knobs.throttleNextEc2Calls = 1;
    const retrying = new EC2Client({ endpoint: server.url, region: 'us-east-1', credentials: ALICE, maxAttempts: 2 });
    await retrying.send(new DescribeInstancesCommand({ InstanceIds: [WEB] }));
    retrying.destroy();
    expect(world.calls.map((c) => [c.operation, c.status, c.errorCode])).toEqual([
      ['DescribeInstances', 503, 'RequestLimitExceeded'],
      ['DescribeInstances', 200, undefined],
    ]);
  });
});

describe('GetConsoleOutput', () => {
  it('returns the console text base64-encoded', async () => {
    const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: WEB, Latest: true }));
    expect(out.InstanceId).toBe(WEB);
    expect(Buffer.from(out.Output!, 'base64').toString('utf8')).toBe(world.instances.get(WEB)!.consoleOutput);
    expect(out.Timestamp).toBeInstanceOf(Date);
  });

  it('returns only the last 64 KiB', async () => {
    world.instances.get(WEB)!.consoleOutput = `${'a'.repeat(10)}${'b'.repeat(64 * 1024)}`;
    const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: WEB }));
    expect(Buffer.from(out.Output!, 'base64').toString('utf8')).toBe('b'.repeat(64 * 1024));
  });

  it('omits Output when the instance has posted nothing yet', async () => {
    const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: DB }));
    expect(out.InstanceId).toBe(DB);
    expect(out.Output).toBeUndefined();
  });

  it('answers InvalidInstanceID.NotFound for an unknown instance', async () => {
    expect(await errorOf(ec2.send(new GetConsoleOutputCommand({ InstanceId: 'i-0123456789abcdef0' })))).toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  });
});

describe('the EC2 call log', () => {
  it('records operation, parsed parameters, caller, status and the request id the SDK saw', async () => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [WEB], Filters: [{ Name: 'tag:Env', Values: ['prod', 'dev'] }] }));
    await errorOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
    expect(world.calls).toHaveLength(2);
    expect(world.calls[0]).toMatchObject({
      service: 'ec2',
      operation: 'DescribeInstances',
      params: { InstanceIds: [WEB], Filters: [{ Name: 'tag:Env', Values: ['prod', 'dev'] }] },
      caller: ALICE.arn,
      status: 200,
      requestId: out.$metadata.requestId,
    });
    expect(world.calls[0]!.errorCode).toBeUndefined();
    expect(world.calls[1]).toMatchObject({ status: 400, errorCode: 'InvalidInstanceID.NotFound', caller: ALICE.arn });
    expect(world.calls[1]!.requestId).not.toBe(world.calls[0]!.requestId);
  });
});
