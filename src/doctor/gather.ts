// Collects the doctor's facts through the `Aws` interface. Calls are independent and
// run together; a failing call (AccessDenied / UnauthorizedOperation, throttling)
// becomes a Fact that says why, never an exception: the doctor reports what it can.
import type { Aws } from '../aws/aws.js';
import { AwsCallError } from '../aws/aws-errors.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import { type DoctorFacts, type Fact, known, notKnown } from './facts.js';
import { simulatePermissions } from './permissions.js';

async function fact<T>(operation: string, run: () => Promise<T>): Promise<Fact<T>> {
  try {
    return known(await run());
  } catch (error) {
    const code = error instanceof AwsCallError ? error.awsCode : undefined;
    const message = error instanceof Error ? error.message : String(error);
    return notKnown(code ? `${operation} failed: ${code}` : `${operation} failed: ${message}`);
  }
}

function after<T, U>(input: Fact<T>, run: (value: T) => Promise<Fact<U>>): Promise<Fact<U>> {
  return input.ok ? run(input.value) : Promise.resolve(notKnown(input.error));
}

export async function gatherFacts(aws: Aws, instance: InstanceInfo, options: { callerAddress?: string; osUser: string }): Promise<DoctorFacts> {
  const { callerAddress, osUser } = options;
  const vpcId = instance.vpcId;
  const noVpc = <T>() => Promise.resolve(notKnown<T>('the instance reports no VPC'));
  const [identity, instanceGroups, routeTables, vpc, eiceEndpoints, ssm, profiles, vpcEndpoints, dnsSupport, dnsHostnames] = await Promise.all([
    fact('sts:GetCallerIdentity', () => aws.getCallerIdentity()),
    fact('ec2:DescribeSecurityGroups', async () => (instance.securityGroupIds?.length ? aws.describeSecurityGroups(instance.securityGroupIds) : [])),
    vpcId ? fact('ec2:DescribeRouteTables', () => aws.describeRouteTables(vpcId)) : noVpc<never>(),
    vpcId ? fact('ec2:DescribeVpcs', async () => (await aws.describeVpcs([vpcId]))[0]) : noVpc<never>(),
    vpcId ? fact('ec2:DescribeInstanceConnectEndpoints', () => aws.describeInstanceConnectEndpoints({ filters: [{ name: 'vpc-id', values: [vpcId] }] })) : noVpc<never>(),
    fact('ssm:DescribeInstanceInformation', async () => (await aws.describeSsmInstances([instance.instanceId])).find((m) => m.instanceId === instance.instanceId)),
    fact('ec2:DescribeIamInstanceProfileAssociations', () => aws.describeIamInstanceProfileAssociations(instance.instanceId)),
    vpcId ? fact('ec2:DescribeVpcEndpoints', () => aws.describeVpcEndpoints(vpcId)) : noVpc<never>(),
    vpcId ? fact('ec2:DescribeVpcAttribute', () => aws.describeVpcAttribute(vpcId, 'enableDnsSupport')) : noVpc<never>(),
    vpcId ? fact('ec2:DescribeVpcAttribute', () => aws.describeVpcAttribute(vpcId, 'enableDnsHostnames')) : noVpc<never>(),
  ]);
  const [eiceGroups, vpcEndpointGroups, rolePolicies, permissions] = await Promise.all([
    after(eiceEndpoints, (list) => groups(aws, list.flatMap((e) => e.securityGroupIds ?? []))),
    after(vpcEndpoints, (list) => groups(aws, list.flatMap((e) => e.groupIds))),
    after(profiles, (list) => policiesOf(aws, list.find((a) => a.state === undefined || a.state === 'associated')?.instanceProfileArn)),
    after(identity, (who) =>
      fact('iam:SimulatePrincipalPolicy', () =>
        simulatePermissions(aws, who, { region: aws.region, instance, osUser, endpointIds: eiceEndpoints.ok ? eiceEndpoints.value.map((e) => e.endpointId) : [] }),
      ),
    ),
  ]);
  return {
    region: aws.region,
    callerAddress,
    identity,
    instance,
    instanceGroups,
    routeTables,
    vpc,
    eiceEndpoints,
    eiceGroups,
    ssm,
    profiles,
    vpcEndpoints,
    vpcEndpointGroups,
    dnsSupport,
    dnsHostnames,
    rolePolicies,
    permissions,
  };
}

async function policiesOf(aws: Aws, profileArn: string | undefined) {
  if (profileArn === undefined) return known(undefined);
  const roles = await fact('iam:GetInstanceProfile', () => aws.instanceProfileRoles(profileArn));
  return after(roles, (names) =>
    fact('iam:ListAttachedRolePolicies', async () => ({ roles: names, policyArns: (await Promise.all(names.map((n) => aws.listAttachedRolePolicies(n)))).flat() })),
  );
}

function groups(aws: Aws, ids: string[]) {
  const unique = [...new Set(ids)];
  return fact('ec2:DescribeSecurityGroups', async () => (unique.length ? aws.describeSecurityGroups(unique) : []));
}
