// The EC2 describe calls `eic-ssh doctor` makes about an instance's network. A module of
// its own so ssh/cp never load it; it shares the EC2 client package with ec2-calls.ts.
import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import type { Aws, AwsConfig } from './aws.js';
import { serviceEndpoint } from './endpoints.js';
import type { SgRuleInfo } from './network-info.js';
import { sdkCaller, sdkCommon } from './sdk-config.js';

export type Ec2NetCalls = Pick<
  Aws,
  'describeSecurityGroups' | 'describeRouteTables' | 'describeVpcs' | 'describeVpcAttribute' | 'describeVpcEndpoints' | 'describeIamInstanceProfileAssociations'
>;

// Paging is bounded: doctor asks about one instance's VPC, a handful of pages at most.
const MAX_PAGES = 20;

export function createEc2NetCalls(config: AwsConfig): Ec2NetCalls {
  const ec2 = new EC2Client({ ...sdkCommon(config), endpoint: serviceEndpoint(config.env, 'EC2') });
  const call = sdkCaller(config);
  async function pages<T>(fetch: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
    const all: T[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { items, next } = await fetch(token);
      all.push(...items);
      token = next;
      if (!token) break;
    }
    return all;
  }
  return {
    describeSecurityGroups: (ids) =>
      pages(async (NextToken) => {
        const out = await call('EC2', 'DescribeSecurityGroups', () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ids, NextToken })));
        const items = (out.SecurityGroups ?? []).map((g) => ({
          groupId: g.GroupId ?? '',
          groupName: g.GroupName,
          vpcId: g.VpcId,
          inbound: (g.IpPermissions ?? []).map(toRule),
          outbound: (g.IpPermissionsEgress ?? []).map(toRule),
        }));
        return { items, next: out.NextToken };
      }),
    describeRouteTables: (vpcId) =>
      pages(async (NextToken) => {
        const Filters = [{ Name: 'vpc-id', Values: [vpcId] }];
        const out = await call('EC2', 'DescribeRouteTables', () => ec2.send(new DescribeRouteTablesCommand({ Filters, NextToken })));
        const items = (out.RouteTables ?? []).map((t) => ({
          routeTableId: t.RouteTableId ?? '',
          main: (t.Associations ?? []).some((a) => a.Main === true),
          subnetIds: (t.Associations ?? []).flatMap((a) => (a.SubnetId ? [a.SubnetId] : [])),
          routes: (t.Routes ?? []).map((r) => ({ destination: r.DestinationCidrBlock, gatewayId: r.GatewayId, natGatewayId: r.NatGatewayId, state: r.State })),
        }));
        return { items, next: out.NextToken };
      }),
    async describeVpcs(ids) {
      const out = await call('EC2', 'DescribeVpcs', () => ec2.send(new DescribeVpcsCommand({ VpcIds: ids })));
      return (out.Vpcs ?? []).map((v) => ({
        vpcId: v.VpcId ?? '',
        cidrBlocks: [...new Set([v.CidrBlock, ...(v.CidrBlockAssociationSet ?? []).map((a) => a.CidrBlock)].filter((c): c is string => !!c))],
      }));
    },
    async describeVpcAttribute(vpcId, attribute) {
      const out = await call('EC2', 'DescribeVpcAttribute', () => ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: attribute })));
      return (attribute === 'enableDnsSupport' ? out.EnableDnsSupport?.Value : out.EnableDnsHostnames?.Value) === true;
    },
    describeVpcEndpoints: (vpcId) =>
      pages(async (NextToken) => {
        const Filters = [{ Name: 'vpc-id', Values: [vpcId] }];
        const out = await call('EC2', 'DescribeVpcEndpoints', () => ec2.send(new DescribeVpcEndpointsCommand({ Filters, NextToken })));
        const items = (out.VpcEndpoints ?? []).map((e) => ({
          vpcEndpointId: e.VpcEndpointId ?? '',
          serviceName: e.ServiceName ?? '',
          type: e.VpcEndpointType,
          state: String(e.State ?? 'unknown'),
          privateDnsEnabled: e.PrivateDnsEnabled === true,
          groupIds: (e.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
        }));
        return { items, next: out.NextToken };
      }),
    describeIamInstanceProfileAssociations: (instanceId) =>
      pages(async (NextToken) => {
        const Filters = [{ Name: 'instance-id', Values: [instanceId] }];
        const out = await call('EC2', 'DescribeIamInstanceProfileAssociations', () =>
          ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters, NextToken })),
        );
        const items = (out.IamInstanceProfileAssociations ?? []).map((a) => ({
          associationId: a.AssociationId ?? '',
          instanceProfileArn: a.IamInstanceProfile?.Arn,
          state: a.State,
        }));
        return { items, next: out.NextToken };
      }),
  };
}

function toRule(p: IpPermission): SgRuleInfo {
  return {
    protocol: p.IpProtocol ?? '-1',
    fromPort: p.FromPort,
    toPort: p.ToPort,
    cidrs: (p.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [r.CidrIp] : [])),
    groupIds: (p.UserIdGroupPairs ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
  };
}
