// DescribeInstanceConnectEndpoints (eice.md §2.3) driven by the real @aws-sdk/client-ec2:
// every field the SDK parses from the XML, the filters, all states, paging, errors.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DescribeInstanceConnectEndpointsCommand, EC2Client, paginateDescribeInstanceConnectEndpoints } from '@aws-sdk/client-ec2';
import { World, type EndpointState } from '../../src/sandbox/world.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/http-api.js';
import { buildEndpoint } from '../../src/sandbox/eice-fleet.js';

const ALICE = { accessKeyId: 'AKIASANDBOXALICE0001', secretAccessKey: 'alice-secret', arn: 'arn:aws:iam::111122223333:user/alice', userId: 'AIDAALICE0001' };
const CREATED = new Date('2023-02-07T12:05:37.000Z');
const STATES: EndpointState[] = ['create-complete', 'update-in-progress', 'create-in-progress', 'delete-complete'];

let world: World;
let server: ApiServer;
let ec2: EC2Client;

beforeEach(async () => {
  world = new World('us-east-1', '111122223333');
  world.principals.push(ALICE);
  STATES.forEach((state, i) => world.addEndpoint(buildEndpoint({ state, subnet: i % 2 ? 'b' : 'a', vpcId: i < 3 ? 'vpc-0e1c5a4db0c0ffee1' : 'vpc-0other' }, i, 'us-east-1', CREATED)));
  world.endpoints.get('eice-0e1c5a4db0c0e1c01')!.tags = { team: 'db', Name: 'main' };
  server = await startApiServer(world);
  ec2 = new EC2Client({ endpoint: server.url, region: 'us-east-1', credentials: ALICE, maxAttempts: 1 });
});

afterEach(async () => {
  ec2.destroy();
  await server.close();
});

const ids = (out: { InstanceConnectEndpoints?: Array<{ InstanceConnectEndpointId?: string }> }) => (out.InstanceConnectEndpoints ?? []).map((e) => e.InstanceConnectEndpointId);

describe('DescribeInstanceConnectEndpoints', () => {
  it('returns every member the SDK reads, with the real element names', async () => {
    const out = await ec2.send(new DescribeInstanceConnectEndpointsCommand({ InstanceConnectEndpointIds: ['eice-0e1c5a4db0c0e1c01'] }));
    expect(out.$metadata.requestId).toMatch(/[0-9a-f-]{36}/);
    const [e] = out.InstanceConnectEndpoints!;
    expect(e).toMatchObject({
      OwnerId: '111122223333',
      InstanceConnectEndpointId: 'eice-0e1c5a4db0c0e1c01',
      InstanceConnectEndpointArn: 'arn:aws:ec2:us-east-1:111122223333:instance-connect-endpoint/eice-0e1c5a4db0c0e1c01',
      State: 'create-complete',
      VpcId: 'vpc-0e1c5a4db0c0ffee1',
      SubnetId: 'subnet-0e1c5a4db0c0aaaa1',
      AvailabilityZone: 'us-east-1a',
      PreserveClientIp: false,
      IpAddressType: 'ipv4',
      Tags: [
        { Key: 'team', Value: 'db' },
        { Key: 'Name', Value: 'main' },
      ],
    });
    expect(e.DnsName).toMatch(/^eice-0e1c5a4db0c0e1c01\.[0-9a-f]{8}\.ec2-instance-connect-endpoint\.us-east-1\.amazonaws\.com$/);
    expect(e.FipsDnsName).toBe('eice-0e1c5a4db0c0e1c01.fips.ec2-instance-connect-endpoint.us-east-1.amazonaws.com');
    expect(e.CreatedAt?.toISOString()).toBe('2023-02-07T12:05:37.000Z');
    expect(e.SecurityGroupIds).toHaveLength(1);
    expect(e.NetworkInterfaceIds).toHaveLength(1);
  });

  it('filters by state (several values ORed) and vpc-id (ANDed), like aws-cli', async () => {
    const out = await ec2.send(
      new DescribeInstanceConnectEndpointsCommand({
        Filters: [
          { Name: 'state', Values: ['create-complete', 'update-in-progress', 'update-failed', 'update-complete'] },
          { Name: 'vpc-id', Values: ['vpc-0e1c5a4db0c0ffee1'] },
        ],
      }),
    );
    expect(ids(out)).toEqual(['eice-0e1c5a4db0c0e1c01', 'eice-0e1c5a4db0c0e1c02']);
  });

  it.each([
    [{ Name: 'subnet-id', Values: ['subnet-0e1c5a4db0c0bbbb2'] }, ['eice-0e1c5a4db0c0e1c02', 'eice-0e1c5a4db0c0e1c04']],
    [{ Name: 'instance-connect-endpoint-id', Values: ['eice-0e1c5a4db0c0e1c03'] }, ['eice-0e1c5a4db0c0e1c03']],
    [{ Name: 'tag:team', Values: ['db'] }, ['eice-0e1c5a4db0c0e1c01']],
    [{ Name: 'tag-key', Values: ['Name'] }, ['eice-0e1c5a4db0c0e1c01']],
    [{ Name: 'tag-value', Values: ['ma*'] }, ['eice-0e1c5a4db0c0e1c01']],
    [{ Name: 'state', Values: ['create-in-progress'] }, ['eice-0e1c5a4db0c0e1c03']],
  ])('filter %o', async (filter, expected) => {
    expect(ids(await ec2.send(new DescribeInstanceConnectEndpointsCommand({ Filters: [filter] })))).toEqual(expected);
  });

  it('pages with MaxResults and NextToken', async () => {
    const pages: string[][] = [];
    for await (const page of paginateDescribeInstanceConnectEndpoints({ client: ec2, pageSize: 3 }, {})) pages.push(ids(page) as string[]);
    expect(pages.map((p) => p.length)).toEqual([3, 1]);
    expect(pages.flat()).toHaveLength(4);
  });

  it.each([
    [{ InstanceConnectEndpointIds: ['eice-0000000000000dead'] }, 'InvalidInstanceConnectEndpointId.NotFound'],
    [{ InstanceConnectEndpointIds: ['vpc-1'] }, 'InvalidInstanceConnectEndpointId.Malformed'],
    [{ Filters: [{ Name: 'color', Values: ['red'] }] }, 'InvalidParameterValue'],
    [{ MaxResults: 51 }, 'InvalidParameterValue'],
  ])('answers %o with %s', async (input, name) => {
    await expect(ec2.send(new DescribeInstanceConnectEndpointsCommand(input))).rejects.toMatchObject({ name });
  });

  it('records the call with its parsed parameters', async () => {
    await ec2.send(new DescribeInstanceConnectEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-0other'] }] }));
    expect(world.calls.at(-1)).toMatchObject({ operation: 'DescribeInstanceConnectEndpoints', status: 200, params: { Filters: [{ Name: 'vpc-id', Values: ['vpc-0other'] }] } });
  });
});
