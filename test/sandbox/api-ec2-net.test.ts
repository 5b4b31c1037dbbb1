// The sandbox's network describe calls (ec2-net-api.ts) and IAM calls (iam-api.ts)
// driven by the real SDK clients: the fields the SDK parses, filters, errors by their
// SDK name and status, and the denial knobs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, IAMClient, ListAttachedRolePoliciesCommand, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { startApiServer, type ApiServer } from '../../src/sandbox/http-api.js';
import { defaultNetwork, INSTANCE_SG, SSM_MANAGED_POLICY } from '../../src/sandbox/network.js';
import { World } from '../../src/sandbox/world.js';

const ALICE = { accessKeyId: 'AKIASANDBOXALICE0001', secretAccessKey: 'alice-secret', arn: 'arn:aws:iam::111122223333:user/alice', userId: 'AIDAALICE0001' };
const VPC = 'vpc-0123456789abcdef0';
const WEB = 'i-0a1b2c3d4e5f60001';

let world: World;
let server: ApiServer;
let ec2: EC2Client;
let iam: IAMClient;

beforeEach(async () => {
  world = new World('us-east-1', '111122223333');
  world.principals.push(ALICE);
  world.addInstance({
    instanceId: WEB, tags: { Name: 'web-1' }, state: 'running', imageId: 'ami-1', platformDetails: 'Linux/UNIX', instanceType: 't3.micro', az: 'us-east-1a',
    vpcId: VPC, subnetId: 'subnet-0aaaaaaaaaaaaaaa1', privateIp: '127.100.7.10', privateDnsName: 'ip-127-100-7-10.ec2.internal', hostAddress: '127.100.8.10',
    sshPort: 22, imdsPort: 8080, osUsers: ['ec2-user'], launchTime: new Date('2025-03-01T10:00:00.000Z'), hostKeys: [], metadataHttpEndpoint: 'enabled', clockSkewSeconds: 0,
  });
  Object.assign(world.network, defaultNetwork({ region: 'us-east-1', accountId: '111122223333', vpcId: VPC, vpcCidr: '127.100.7.0/24', instanceIds: [WEB], endpointGroupIds: ['sg-0eeeeeeeeeeeeeee1'] }));
  server = await startApiServer(world);
  ec2 = new EC2Client({ endpoint: server.url, region: 'us-east-1', credentials: ALICE, maxAttempts: 1 });
  iam = new IAMClient({ endpoint: server.url, region: 'us-east-1', credentials: ALICE, maxAttempts: 1 });
});

afterEach(async () => {
  ec2.destroy();
  iam.destroy();
  await server.close();
});

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected a failure');
}

describe('EC2 network describe calls', () => {
  it('DescribeInstances reports the instance security groups', async () => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [WEB] }));
    const i = out.Reservations![0].Instances![0];
    expect(i.SecurityGroups).toEqual([{ GroupId: INSTANCE_SG, GroupName: 'sandbox-instances' }]);
    expect(i.NetworkInterfaces![0].Groups).toEqual([{ GroupId: INSTANCE_SG, GroupName: 'sandbox-instances' }]);
  });

  it('DescribeSecurityGroups parses inbound and outbound rules, CIDRs and group pairs', async () => {
    const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [INSTANCE_SG, 'sg-0eeeeeeeeeeeeeee1'] }));
    const [inst, eice] = out.SecurityGroups!;
    expect(inst.GroupId).toBe(INSTANCE_SG);
    expect(inst.VpcId).toBe(VPC);
    expect(inst.IpPermissions).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }], UserIdGroupPairs: [{ UserId: '111122223333', GroupId: 'sg-0eeeeeeeeeeeeeee1' }] }),
    ]);
    expect(inst.IpPermissionsEgress).toEqual([expect.objectContaining({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] })]);
    expect(eice.IpPermissionsEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '127.100.7.0/24' }] })]);
    expect(await errorOf(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0000000000000dead'] })))).toMatchObject({ name: 'InvalidGroup.NotFound', status: 400 });
  });

  it('DescribeRouteTables by vpc-id: routes and the main association', async () => {
    const out = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [VPC] }] }));
    const [table] = out.RouteTables!;
    expect(table.Routes!.map((r) => [r.DestinationCidrBlock, r.GatewayId, r.State])).toEqual([
      ['127.100.7.0/24', 'local', 'active'],
      ['0.0.0.0/0', 'igw-0e1c5a4db0c0aa003', 'active'],
    ]);
    expect(table.Associations).toEqual([expect.objectContaining({ Main: true, AssociationState: { State: 'associated' } })]);
    expect((await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-other'] }] }))).RouteTables).toEqual([]);
    expect(await errorOf(ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.nat-gateway-id', Values: ['x'] }] })))).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('DescribeVpcs and DescribeVpcAttribute', async () => {
    const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: [VPC] }));
    expect(vpcs.Vpcs![0]).toMatchObject({ VpcId: VPC, CidrBlock: '127.100.7.0/24', State: 'available' });
    const dns = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: VPC, Attribute: 'enableDnsSupport' }));
    expect(dns).toMatchObject({ VpcId: VPC, EnableDnsSupport: { Value: true } });
    world.network.vpcs.get(VPC)!.enableDnsHostnames = false;
    const hostnames = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: VPC, Attribute: 'enableDnsHostnames' }));
    expect(hostnames.EnableDnsHostnames).toEqual({ Value: false });
    expect(await errorOf(ec2.send(new DescribeVpcAttributeCommand({ VpcId: 'vpc-0000000000000dead', Attribute: 'enableDnsSupport' })))).toMatchObject({ name: 'InvalidVpcID.NotFound' });
  });

  it('DescribeVpcEndpoints: service name, state, private DNS, groups', async () => {
    const out = await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [VPC] }] }));
    expect(out.VpcEndpoints!.map((e) => [e.ServiceName, e.State, e.PrivateDnsEnabled, e.VpcEndpointType, e.Groups![0].GroupId])).toEqual([
      ['com.amazonaws.us-east-1.ssm', 'available', true, 'Interface', 'sg-0e1c5a4db0c0aa002'],
      ['com.amazonaws.us-east-1.ssmmessages', 'available', true, 'Interface', 'sg-0e1c5a4db0c0aa002'],
      ['com.amazonaws.us-east-1.ec2messages', 'available', true, 'Interface', 'sg-0e1c5a4db0c0aa002'],
    ]);
    const one = await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'service-name', Values: ['*.ssmmessages'] }] }));
    expect(one.VpcEndpoints!.map((e) => e.ServiceName)).toEqual(['com.amazonaws.us-east-1.ssmmessages']);
  });

  it('DescribeIamInstanceProfileAssociations by instance-id', async () => {
    const out = await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [WEB] }] }));
    expect(out.IamInstanceProfileAssociations).toEqual([
      expect.objectContaining({ InstanceId: WEB, State: 'associated', IamInstanceProfile: expect.objectContaining({ Arn: 'arn:aws:iam::111122223333:instance-profile/SandboxSSMInstanceProfile' }) }),
    ]);
    world.network.instanceProfiles.delete(WEB);
    expect((await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [WEB] }] }))).IamInstanceProfileAssociations).toEqual([]);
  });

  it('deniedActions answers UnauthorizedOperation (403) and logs the call', async () => {
    world.network.deniedActions.add('DescribeSecurityGroups');
    expect(await errorOf(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [INSTANCE_SG] })))).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
    expect(world.calls.at(-1)).toMatchObject({ operation: 'DescribeSecurityGroups', errorCode: 'UnauthorizedOperation', caller: ALICE.arn });
  });
});

describe('IAM calls', () => {
  it('GetInstanceProfile and ListAttachedRolePolicies', async () => {
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'SandboxSSMInstanceProfile' }));
    expect(profile.InstanceProfile!.Roles!.map((r) => r.RoleName)).toEqual(['SandboxSSMRole']);
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'SandboxSSMRole' }));
    expect(attached.AttachedPolicies).toEqual([{ PolicyName: 'AmazonSSMManagedInstanceCore', PolicyArn: SSM_MANAGED_POLICY }]);
    expect(await errorOf(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'nope' })))).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
    expect(world.calls.at(-1)).toMatchObject({ service: 'iam', operation: 'GetInstanceProfile', errorCode: 'NoSuchEntity' });
  });

  it('SimulatePrincipalPolicy: allowed, denied by the permission knob and by the push knobs, only for the caller', async () => {
    const simulate = async (action: string, context?: string) =>
      (
        await iam.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: ALICE.arn,
            ActionNames: [action],
            ResourceArns: [`arn:aws:ec2:us-east-1:111122223333:instance/${WEB}`],
            ContextEntries: context ? [{ ContextKeyName: 'ec2:osuser', ContextKeyValues: [context], ContextKeyType: 'string' }] : undefined,
          }),
        )
      ).EvaluationResults!.map((r) => r.EvalDecision);
    expect(await simulate('ssm:StartSession')).toEqual(['allowed']);
    world.network.deniedPermissions.add('ssm:StartSession');
    expect(await simulate('ssm:StartSession')).toEqual(['implicitDeny']);
    world.knobs.deniedOsUsers.add('root');
    expect(await simulate('ec2-instance-connect:SendSSHPublicKey', 'root')).toEqual(['implicitDeny']);
    expect(await simulate('ec2-instance-connect:SendSSHPublicKey', 'ec2-user')).toEqual(['allowed']);
    const other = iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: 'arn:aws:iam::111122223333:user/bob', ActionNames: ['ssm:StartSession'] }));
    expect(await errorOf(other)).toMatchObject({ name: 'NoSuchEntityException' });
    world.network.deniedActions.add('SimulatePrincipalPolicy');
    expect(await errorOf(simulate('ssm:StartSession'))).toMatchObject({ name: 'AccessDenied', status: 403 });
  });
});
