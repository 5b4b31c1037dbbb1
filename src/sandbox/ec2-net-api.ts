// The EC2 describe calls of the network model (network.ts), in EC2's XML (namespace
// 2016-11-15; element names as in the EC2 API reference response elements):
// DescribeSecurityGroups, DescribeRouteTables, DescribeVpcs, DescribeVpcAttribute,
// DescribeVpcEndpoints and DescribeIamInstanceProfileAssociations. Supports the ids and
// the filters `eic-ssh doctor` sends; other filters are refused (never silently ignored).
import type { ApiCall, ApiReply } from './http-api.js';
import { compact, dryRun, ec2Reply } from './ec2-common.js';
import { globToRegExp, QueryError, type QueryFilter, type QueryParams } from './query.js';
import type { SgRule } from './network.js';
import { el, itemList, leaf, type XmlChild } from './xml.js';

type Getters<T> = Record<string, (item: T) => (string | undefined)[]>;

// Shared request handling: ids, filters, DryRun, the denied-action knob.
function select<T>(p: QueryParams, call: ApiCall, action: string, idParam: string, idOf: (t: T) => string, items: T[], filters: Getters<T>): T[] {
  const ids = p.list(idParam);
  const given = p.filters();
  const dry = p.boolean('DryRun');
  call.params = compact({ [`${idParam}s`]: ids.length ? ids : undefined, Filters: given.length ? given : undefined, DryRun: dry });
  p.rejectUnknown();
  denied(call, action);
  const compiled = given.map((f: QueryFilter) => {
    const get = filters[f.Name];
    if (!get) throw new QueryError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
    return { get, patterns: f.Values.map(globToRegExp) };
  });
  dryRun(dry);
  const wanted = new Set(ids);
  return items.filter((t) => (wanted.size === 0 || wanted.has(idOf(t))) && compiled.every((f) => f.get(t).some((v) => v !== undefined && f.patterns.some((r) => r.test(v)))));
}

function denied(call: ApiCall, action: string): void {
  if (call.world.network.deniedActions.has(action)) {
    throw new QueryError('UnauthorizedOperation', `You are not authorized to perform this operation. User: ${call.principal.arn} is not authorized to perform: ec2:${action}`);
  }
}

function ruleXml(rule: SgRule, accountId: string): XmlChild[] {
  return [
    leaf('ipProtocol', rule.protocol),
    leaf('fromPort', rule.fromPort),
    leaf('toPort', rule.toPort),
    itemList('groups', rule.groupIds, (g) => [leaf('userId', accountId), leaf('groupId', g)]),
    itemList('ipRanges', rule.cidrs, (c) => [leaf('cidrIp', c)]),
    el('ipv6Ranges'),
    el('prefixListIds'),
  ];
}

export function describeSecurityGroups(p: QueryParams, call: ApiCall): ApiReply {
  const { world } = call;
  const groups = select(p, call, 'DescribeSecurityGroups', 'GroupId', (g) => g.groupId, [...world.network.securityGroups.values()], {
    'group-id': (g) => [g.groupId],
    'vpc-id': (g) => [g.vpcId],
  });
  const missing = p.list('GroupId').filter((id) => !world.network.securityGroups.has(id));
  if (missing.length) throw new QueryError('InvalidGroup.NotFound', `The security group '${missing[0]}' does not exist`);
  return ec2Reply(
    'DescribeSecurityGroups',
    call.requestId,
    itemList('securityGroupInfo', groups, (g) => [
      leaf('ownerId', world.accountId),
      leaf('groupId', g.groupId),
      leaf('groupName', g.groupName),
      leaf('groupDescription', g.description),
      leaf('vpcId', g.vpcId),
      itemList('ipPermissions', g.inbound, (r) => ruleXml(r, world.accountId)),
      itemList('ipPermissionsEgress', g.outbound, (r) => ruleXml(r, world.accountId)),
      leaf('securityGroupArn', `arn:aws:ec2:${world.region}:${world.accountId}:security-group/${g.groupId}`),
    ]),
  );
}

export function describeRouteTables(p: QueryParams, call: ApiCall): ApiReply {
  const { world } = call;
  const tables = select(p, call, 'DescribeRouteTables', 'RouteTableId', (t) => t.routeTableId, world.network.routeTables, {
    'vpc-id': (t) => [t.vpcId],
    'association.subnet-id': (t) => t.subnetIds,
    'association.main': (t) => [String(t.main)],
    'route-table-id': (t) => [t.routeTableId],
  });
  return ec2Reply(
    'DescribeRouteTables',
    call.requestId,
    itemList('routeTableSet', tables, (t) => [
      leaf('routeTableId', t.routeTableId),
      leaf('vpcId', t.vpcId),
      leaf('ownerId', world.accountId),
      itemList('routeSet', t.routes, (r) => [
        leaf('destinationCidrBlock', r.destination),
        leaf('gatewayId', r.gatewayId),
        leaf('natGatewayId', r.natGatewayId),
        leaf('state', 'active'),
        leaf('origin', r.gatewayId === 'local' ? 'CreateRouteTable' : 'CreateRoute'),
      ]),
      itemList('associationSet', [...(t.main ? [undefined] : []), ...t.subnetIds], (subnetId) => [
        leaf('routeTableAssociationId', `rtbassoc-${t.routeTableId.slice(4)}${subnetId ? subnetId.slice(-4) : 'main'}`),
        leaf('routeTableId', t.routeTableId),
        leaf('main', subnetId === undefined),
        leaf('subnetId', subnetId),
        el('associationState', leaf('state', 'associated')),
      ]),
      el('propagatingVgwSet'),
      el('tagSet'),
    ]),
  );
}

export function describeVpcs(p: QueryParams, call: ApiCall): ApiReply {
  const { world } = call;
  const vpcs = select(p, call, 'DescribeVpcs', 'VpcId', (v) => v.vpcId, [...world.network.vpcs.values()], { 'vpc-id': (v) => [v.vpcId] });
  const missing = p.list('VpcId').filter((id) => !world.network.vpcs.has(id));
  if (missing.length) throw new QueryError('InvalidVpcID.NotFound', `The vpc ID '${missing[0]}' does not exist`);
  return ec2Reply(
    'DescribeVpcs',
    call.requestId,
    itemList('vpcSet', vpcs, (v) => [
      leaf('vpcId', v.vpcId),
      leaf('ownerId', world.accountId),
      leaf('state', 'available'),
      leaf('cidrBlock', v.cidrBlock),
      leaf('dhcpOptionsId', 'dopt-0e1c5a4db0c0aa005'),
      leaf('instanceTenancy', 'default'),
      leaf('isDefault', false),
    ]),
  );
}

const VPC_ATTRIBUTES = ['enableDnsSupport', 'enableDnsHostnames'] as const;

export function describeVpcAttribute(p: QueryParams, call: ApiCall): ApiReply {
  const vpcId = p.get('VpcId');
  const attribute = p.get('Attribute');
  const dry = p.boolean('DryRun');
  call.params = compact({ VpcId: vpcId, Attribute: attribute, DryRun: dry });
  p.rejectUnknown();
  denied(call, 'DescribeVpcAttribute');
  if (vpcId === undefined) throw new QueryError('MissingParameter', 'The request must contain the parameter vpcId');
  if (attribute === undefined) throw new QueryError('MissingParameter', 'The request must contain the parameter attribute');
  const name = VPC_ATTRIBUTES.find((a) => a === attribute);
  if (!name) throw new QueryError('InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`);
  const vpc = call.world.network.vpcs.get(vpcId);
  if (!vpc) throw new QueryError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
  dryRun(dry);
  return ec2Reply('DescribeVpcAttribute', call.requestId, leaf('vpcId', vpcId), el(name, leaf('value', vpc[name])));
}

export function describeVpcEndpoints(p: QueryParams, call: ApiCall): ApiReply {
  const { world } = call;
  const endpoints = select(p, call, 'DescribeVpcEndpoints', 'VpcEndpointId', (e) => e.vpcEndpointId, world.network.vpcEndpoints, {
    'vpc-id': (e) => [e.vpcId],
    'service-name': (e) => [e.serviceName],
    'vpc-endpoint-state': (e) => [e.state],
    'vpc-endpoint-type': (e) => [e.type],
  });
  return ec2Reply(
    'DescribeVpcEndpoints',
    call.requestId,
    itemList('vpcEndpointSet', endpoints, (e) => [
      leaf('vpcEndpointId', e.vpcEndpointId),
      leaf('vpcEndpointType', e.type),
      leaf('vpcId', e.vpcId),
      leaf('serviceName', e.serviceName),
      leaf('state', e.state),
      el('routeTableIdSet'),
      el('subnetIdSet', ...e.subnetIds.map((s) => leaf('item', s))),
      itemList('groupSet', e.groupIds, (g) => [leaf('groupId', g), leaf('groupName', world.network.securityGroups.get(g)?.groupName ?? g)]),
      leaf('ipAddressType', 'ipv4'),
      leaf('privateDnsEnabled', e.privateDnsEnabled),
      leaf('requesterManaged', false),
      el('networkInterfaceIdSet'),
      el('dnsEntrySet'),
      leaf('ownerId', world.accountId),
    ]),
  );
}

export function describeIamInstanceProfileAssociations(p: QueryParams, call: ApiCall): ApiReply {
  const { world } = call;
  const all = [...world.network.instanceProfiles.entries()].map(([instanceId, profile]) => ({ instanceId, profile }));
  const found = select(p, call, 'DescribeIamInstanceProfileAssociations', 'AssociationId', (a) => a.profile.associationId, all, {
    'instance-id': (a) => [a.instanceId],
    state: () => ['associated'],
  });
  return ec2Reply(
    'DescribeIamInstanceProfileAssociations',
    call.requestId,
    itemList('iamInstanceProfileAssociationSet', found, (a) => [
      leaf('associationId', a.profile.associationId),
      leaf('instanceId', a.instanceId),
      el('iamInstanceProfile', leaf('arn', a.profile.arn), leaf('id', a.profile.profileId)),
      leaf('state', 'associated'),
    ]),
  );
}
