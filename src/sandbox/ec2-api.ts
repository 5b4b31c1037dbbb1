// The sandbox's EC2 Query API: DescribeInstances and GetConsoleOutput, answered in the
// EC2 XML dialect (namespace 2016-11-15, element names of eice.md §2.2, error document of
// eice.md §2.1). Instances are shown the way EC2 shows them in each state: stopped ones
// lose their public address, terminated ones stay visible (EC2 lists them for about an
// hour) but without any network details.
import { createHash } from 'node:crypto';
import { INSTANCE_STATE_CODES, type SandboxInstance, type World } from './world.js';
import { globToRegExp, lowerFirst, QueryError, type QueryFilter, type QueryParams } from './query.js';
import { el, itemList, leaf, type XmlChild, type XmlElement } from './xml.js';
import type { ApiCall, ApiReply, QueryService } from './http-api.js';
import { describeInstanceConnectEndpoints } from './ec2-eice-api.js';
import { describeImages } from './ec2-images-api.js';
import * as net from './ec2-net-api.js';
import { compact, dryRun, ec2ErrorReply, ec2Reply, pageOf } from './ec2-common.js';

// Runs an action; parameter errors thrown while parsing become EC2 error documents.
export function action(run: (params: QueryParams, call: ApiCall) => ApiReply) {
  return (params: QueryParams, call: ApiCall): ApiReply => {
    const knobs = call.world.knobs;
    if (knobs.throttleNextEc2Calls > 0) {
      knobs.throttleNextEc2Calls--;
      return ec2ErrorReply('RequestLimitExceeded', 'Request limit exceeded.', call.requestId);
    }
    try {
      return run(params, call);
    } catch (error) {
      if (error instanceof QueryError) return ec2ErrorReply(error.code, error.message, call.requestId);
      throw error;
    }
  };
}

export const ec2Service: QueryService = {
  signingName: 'ec2',
  protocol: 'ec2',
  actions: {
    DescribeInstances: action(describeInstances),
    GetConsoleOutput: action(getConsoleOutput),
    DescribeInstanceConnectEndpoints: action(describeInstanceConnectEndpoints),
    DescribeImages: action(describeImages),
    DescribeSecurityGroups: action(net.describeSecurityGroups),
    DescribeRouteTables: action(net.describeRouteTables),
    DescribeVpcs: action(net.describeVpcs),
    DescribeVpcAttribute: action(net.describeVpcAttribute),
    DescribeVpcEndpoints: action(net.describeVpcEndpoints),
    DescribeIamInstanceProfileAssociations: action(net.describeIamInstanceProfileAssociations),
  },
  errorReply: ec2ErrorReply,
  unknownAction: (name, requestId) => ec2ErrorReply('InvalidAction', `The action ${name} is not valid for this web service.`, requestId),
};

// Current EC2 ids carry 17 hex digits, older ones 8.
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

function checkInstanceIds(ids: string[], world: World): void {
  const malformed = ids.find((id) => !INSTANCE_ID.test(id));
  if (malformed !== undefined) throw new QueryError('InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`);
  const missing = [...new Set(ids)].filter((id) => !world.instances.has(id));
  if (missing.length === 1) throw new QueryError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1) throw new QueryError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
}

// ---- DescribeInstances ----

// What DescribeInstances reports for an instance in its current state.
interface InstanceView {
  instance: SandboxInstance;
  reservationId: string;
  networkInterfaceId: string;
  attached: boolean; // has its network interface (everything but terminated)
  privateDnsName: string;
  publicDnsName: string;
  privateIp?: string;
  publicIp?: string;
  ipv6?: string;
}

// Stable ids derived from the instance id, so repeated calls agree.
function derivedId(prefix: string, seed: string): string {
  return `${prefix}-${createHash('sha256').update(seed).digest('hex').slice(0, 17)}`;
}

function viewOf(instance: SandboxInstance): InstanceView {
  const attached = instance.state !== 'terminated';
  // A public IPv4 address is released when the instance stops (no Elastic IPs here).
  const hasPublic = attached && instance.state !== 'stopped';
  return {
    instance,
    reservationId: derivedId('r', instance.instanceId),
    networkInterfaceId: derivedId('eni', instance.instanceId),
    attached,
    privateDnsName: attached ? instance.privateDnsName : '',
    publicDnsName: hasPublic ? (instance.publicDnsName ?? '') : '',
    privateIp: attached ? instance.privateIp : undefined,
    publicIp: hasPublic ? instance.publicIp : undefined,
    ipv6: attached ? instance.ipv6Address : undefined,
  };
}

type ValuesOf = (v: InstanceView, world: World) => Array<string | undefined>;

// The DescribeInstances filters the sandbox answers (AWS "DescribeInstances" filter list).
const FILTERS: Record<string, ValuesOf> = {
  'instance-id': (v) => [v.instance.instanceId],
  'instance-state-name': (v) => [v.instance.state],
  'instance-state-code': (v) => [String(INSTANCE_STATE_CODES[v.instance.state])],
  'instance-type': (v) => [v.instance.instanceType],
  'image-id': (v) => [v.instance.imageId],
  'availability-zone': (v) => [v.instance.az],
  'platform-details': (v) => [v.instance.platformDetails],
  'reservation-id': (v) => [v.reservationId],
  'owner-id': (_v, world) => [world.accountId],
  'vpc-id': (v) => [v.attached ? v.instance.vpcId : undefined],
  'subnet-id': (v) => [v.attached ? v.instance.subnetId : undefined],
  'private-ip-address': (v) => [v.privateIp],
  'ip-address': (v) => [v.publicIp],
  'ipv6-address': (v) => [v.ipv6],
  'dns-name': (v) => [v.publicDnsName],
  'private-dns-name': (v) => [v.privateDnsName],
  'network-interface.addresses.private-ip-address': (v) => [v.privateIp],
  'tag-key': (v) => Object.keys(v.instance.tags),
  'tag-value': (v) => Object.values(v.instance.tags),
};

function filterValues(name: string): ValuesOf | undefined {
  if (name.startsWith('tag:') && name.length > 4) return (v) => [v.instance.tags[name.slice(4)]];
  return FILTERS[name];
}

interface CompiledFilter {
  values: ValuesOf;
  patterns: RegExp[];
}

// Limits from EC2's FilterLimitExceeded answers.
function compileFilters(filters: QueryFilter[]): CompiledFilter[] {
  return filters.map((f) => {
    const values = filterValues(f.Name);
    if (!values) throw new QueryError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
    // Choice: AWS's answer to a filter without values is not documented; we refuse it.
    if (f.Values.length === 0) throw new QueryError('InvalidParameterValue', `The filter '${f.Name}' has no values`);
    if (f.Values.length > 200) throw new QueryError('FilterLimitExceeded', 'The maximum number of filter values specified on a single call is 200');
    if (f.Values.some((x) => x.length > 255)) throw new QueryError('FilterLimitExceeded', 'The maximum length for a filter value is 255 characters');
    return { values, patterns: f.Values.map(globToRegExp) };
  });
}

// Filters are ANDed; the values of one filter are ORed.
function matches(view: InstanceView, filters: CompiledFilter[], world: World): boolean {
  return filters.every((f) => {
    const present = f.values(view, world).filter((x): x is string => x !== undefined && x !== '');
    return present.some((value) => f.patterns.some((p) => p.test(value)));
  });
}

function describeInstances(p: QueryParams, call: ApiCall): ApiReply {
  const { world } = call;
  const ids = p.list('InstanceId');
  const filters = p.filters();
  const maxResults = p.integer('MaxResults');
  const nextToken = p.get('NextToken');
  const dry = p.boolean('DryRun');
  p.boolean('IncludeManagedResources'); // accepted; the sandbox has no managed instances
  call.params = compact({ InstanceIds: ids.length ? ids : undefined, Filters: filters.length ? filters : undefined, MaxResults: maxResults, NextToken: nextToken, DryRun: dry });
  p.rejectUnknown();
  if (maxResults !== undefined) {
    if (ids.length > 0) throw new QueryError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    if (maxResults < 5) throw new QueryError('InvalidParameterValue', `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value greater than 5.`);
    if (maxResults > 1000) throw new QueryError('InvalidParameterValue', `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value less than 1000.`);
  }
  const compiled = compileFilters(filters);
  checkInstanceIds(ids, world);
  dryRun(dry);
  const wanted = new Set(ids);
  const views = [...world.instances.values()]
    .filter((i) => wanted.size === 0 || wanted.has(i.instanceId))
    .map(viewOf)
    .filter((v) => matches(v, compiled, world));
  // Lookups by id are never paged; listings page at MaxResults (or the default page size).
  const { page, next } = pageOf(views, filters, nextToken, ids.length > 0 ? views.length : (maxResults ?? world.knobs.defaultPageSize));
  return ec2Reply(
    'DescribeInstances',
    call.requestId,
    itemList('reservationSet', page, (v) => reservation(v, world)),
    next,
  );
}

function reservation(v: InstanceView, world: World): XmlChild[] {
  return [
    leaf('reservationId', v.reservationId),
    leaf('ownerId', world.accountId),
    el('groupSet'),
    itemList('instancesSet', [v], (x) => instanceXml(x, world)),
  ];
}

function stateReason(v: InstanceView): string {
  // EC2 explains stopped/terminated states in `reason`; running instances have ''.
  const when = v.instance.launchTime.toISOString().replace('T', ' ').slice(0, 19);
  return v.instance.state === 'stopped' || v.instance.state === 'terminated' ? `User initiated (${when} GMT)` : '';
}

function instanceXml(v: InstanceView, world: World): XmlChild[] {
  const i = v.instance;
  const tags = Object.entries(i.tags);
  return [
    leaf('instanceId', i.instanceId),
    leaf('imageId', i.imageId),
    el('instanceState', leaf('code', INSTANCE_STATE_CODES[i.state]), leaf('name', i.state)),
    leaf('privateDnsName', v.privateDnsName),
    leaf('dnsName', v.publicDnsName),
    leaf('reason', stateReason(v)),
    leaf('amiLaunchIndex', 0),
    el('productCodes'),
    leaf('instanceType', i.instanceType),
    leaf('launchTime', i.launchTime.toISOString()),
    el('placement', leaf('availabilityZone', i.az), leaf('groupName', ''), leaf('tenancy', 'default')),
    leaf('subnetId', v.attached ? i.subnetId : undefined),
    leaf('vpcId', v.attached ? i.vpcId : undefined),
    leaf('privateIpAddress', v.privateIp),
    leaf('ipAddress', v.publicIp),
    groupSetXml(world, i.instanceId),
    tags.length > 0 ? itemList('tagSet', tags, ([key, value]) => [leaf('key', key), leaf('value', value)]) : undefined,
    itemList('networkInterfaceSet', v.attached ? [v] : [], (x) => networkInterfaceXml(x, world)),
    metadataOptions(i),
    leaf('platformDetails', i.platformDetails),
    leaf('ipv6Address', v.ipv6),
  ];
}

function association(v: InstanceView): XmlElement | undefined {
  if (v.publicIp === undefined) return undefined;
  return el('association', leaf('publicIp', v.publicIp), leaf('publicDnsName', v.publicDnsName), leaf('ipOwnerId', 'amazon'));
}

function networkInterfaceXml(v: InstanceView, world: World): XmlChild[] {
  const i = v.instance;
  return [
    leaf('networkInterfaceId', v.networkInterfaceId),
    leaf('subnetId', i.subnetId),
    leaf('vpcId', i.vpcId),
    leaf('ownerId', world.accountId),
    leaf('status', 'in-use'),
    leaf('privateIpAddress', v.privateIp),
    leaf('privateDnsName', v.privateDnsName),
    groupSetXml(world, i.instanceId),
    el('attachment', leaf('attachmentId', derivedId('eni-attach', i.instanceId)), leaf('deviceIndex', 0), leaf('status', 'attached'), leaf('attachTime', i.launchTime.toISOString()), leaf('deleteOnTermination', true)),
    association(v),
    itemList('privateIpAddressesSet', [v], (x) => [leaf('privateIpAddress', x.privateIp), leaf('privateDnsName', x.privateDnsName), leaf('primary', true), association(x)]),
    itemList('ipv6AddressesSet', v.ipv6 ? [v.ipv6] : [], (ip) => [leaf('ipv6Address', ip)]),
    leaf('interfaceType', 'interface'),
  ];
}

// The instance's security groups from the network model (network.ts).
function groupSetXml(world: World, instanceId: string): XmlElement {
  const ids = world.network.instanceGroups.get(instanceId) ?? [];
  return itemList('groupSet', ids, (id) => [leaf('groupId', id), leaf('groupName', world.network.securityGroups.get(id)?.groupName ?? id)]);
}

// Only httpEndpoint is modelled; the rest are the defaults of current Amazon Linux AMIs.
function metadataOptions(i: SandboxInstance): XmlElement {
  return el(
    'metadataOptions',
    leaf('state', 'applied'),
    leaf('httpTokens', 'required'),
    leaf('httpPutResponseHopLimit', 2),
    leaf('httpEndpoint', i.metadataHttpEndpoint),
    leaf('httpProtocolIpv6', 'disabled'),
    leaf('instanceMetadataTags', 'disabled'),
  );
}

// ---- GetConsoleOutput ----

// "Only the most recent 64 KB of console output is available" (GetConsoleOutput docs).
const CONSOLE_TAIL_BYTES = 64 * 1024;

function getConsoleOutput(p: QueryParams, call: ApiCall): ApiReply {
  const id = p.get('InstanceId');
  const latest = p.boolean('Latest');
  const dry = p.boolean('DryRun');
  call.params = compact({ InstanceId: id, Latest: latest, DryRun: dry });
  p.rejectUnknown();
  if (id === undefined) throw new QueryError('MissingParameter', `The request must contain the parameter ${lowerFirst('InstanceId')}`);
  checkInstanceIds([id], call.world);
  dryRun(dry);
  // Latest=true asks Nitro instances for the live buffer; the sandbox has a single buffer.
  const text = call.world.instances.get(id)!.consoleOutput;
  const bytes = text === undefined ? undefined : Buffer.from(text, 'utf8');
  const tail = bytes && bytes.length > CONSOLE_TAIL_BYTES ? bytes.subarray(bytes.length - CONSOLE_TAIL_BYTES) : bytes;
  return ec2Reply(
    'GetConsoleOutput',
    call.requestId,
    leaf('instanceId', id),
    leaf('timestamp', call.world.clock.date().toISOString()),
    leaf('output', tail?.toString('base64')),
  );
}
