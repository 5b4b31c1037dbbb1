// DescribeInstanceConnectEndpoints in EC2's XML (eice.md §2.3): ids, the documented
// filters (state, vpc-id, subnet-id, instance-connect-endpoint-id, tag:*, tag-key,
// tag-value), every state value, and MaxResults/NextToken paging.
import type { ApiCall, ApiReply } from './http-api.js';
import { compact, dryRun, ec2Reply, pageOf } from './ec2-common.js';
import { globToRegExp, QueryError, type QueryParams } from './query.js';
import type { SandboxEndpoint, World } from './world.js';
import { itemList, leaf, el, type XmlChild } from './xml.js';

type ValuesOf = (e: SandboxEndpoint) => string[];

const FILTERS: Record<string, ValuesOf> = {
  'instance-connect-endpoint-id': (e) => [e.endpointId],
  state: (e) => [e.state],
  'subnet-id': (e) => [e.subnetId],
  'vpc-id': (e) => [e.vpcId],
  'tag-key': (e) => Object.keys(e.tags),
  'tag-value': (e) => Object.values(e.tags),
};

function filterValues(name: string): ValuesOf | undefined {
  if (name.startsWith('tag:') && name.length > 4) return (e) => (e.tags[name.slice(4)] === undefined ? [] : [e.tags[name.slice(4)]]);
  return FILTERS[name];
}

// The id syntax of EC2 endpoint ids (eice-<17 hex>); the not-found code is an inference (§2.1).
const ENDPOINT_ID = /^eice-[0-9a-zA-Z]+$/;

export function describeInstanceConnectEndpoints(p: QueryParams, call: ApiCall): ApiReply {
  const { world } = call;
  const ids = p.list('InstanceConnectEndpointId');
  const filters = p.filters();
  const maxResults = p.integer('MaxResults');
  const nextToken = p.get('NextToken');
  const dry = p.boolean('DryRun');
  call.params = compact({
    InstanceConnectEndpointIds: ids.length ? ids : undefined,
    Filters: filters.length ? filters : undefined,
    MaxResults: maxResults,
    NextToken: nextToken,
    DryRun: dry,
  });
  p.rejectUnknown();
  if (maxResults !== undefined && (maxResults < 1 || maxResults > 50)) {
    throw new QueryError('InvalidParameterValue', `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 1 and 50.`);
  }
  const compiled = filters.map((f) => {
    const values = filterValues(f.Name);
    if (!values) throw new QueryError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
    if (f.Values.length === 0) throw new QueryError('InvalidParameterValue', `The filter '${f.Name}' has no values`);
    return { values, patterns: f.Values.map(globToRegExp) };
  });
  const malformed = ids.find((id) => !ENDPOINT_ID.test(id));
  if (malformed !== undefined) throw new QueryError('InvalidInstanceConnectEndpointId.Malformed', `Invalid id: "${malformed}"`);
  const missing = ids.filter((id) => !world.endpoints.has(id));
  if (missing.length > 0) {
    throw new QueryError('InvalidInstanceConnectEndpointId.NotFound', `The instanceConnectEndpoint ID '${missing.join(', ')}' does not exist`);
  }
  dryRun(dry);
  const wanted = new Set(ids);
  const matching = [...world.endpoints.values()].filter(
    (e) => (wanted.size === 0 || wanted.has(e.endpointId)) && compiled.every((f) => f.values(e).some((v) => f.patterns.some((r) => r.test(v)))),
  );
  const { page, next } = pageOf(matching, filters, nextToken, maxResults ?? 50);
  return ec2Reply(
    'DescribeInstanceConnectEndpoints',
    call.requestId,
    itemList('instanceConnectEndpointSet', page, (e) => endpointXml(e, world)),
    next,
  );
}

function endpointXml(e: SandboxEndpoint, world: World): XmlChild[] {
  const tags = Object.entries(e.tags);
  return [
    leaf('ownerId', world.accountId),
    leaf('instanceConnectEndpointId', e.endpointId),
    leaf('instanceConnectEndpointArn', `arn:aws:ec2:${world.region}:${world.accountId}:instance-connect-endpoint/${e.endpointId}`),
    leaf('state', e.state),
    leaf('stateMessage', e.stateMessage),
    leaf('dnsName', e.dnsName),
    leaf('fipsDnsName', e.fipsDnsName),
    el('networkInterfaceIdSet', ...e.networkInterfaceIds.map((id) => leaf('item', id))),
    leaf('vpcId', e.vpcId),
    leaf('availabilityZone', e.az),
    leaf('createdAt', e.createdAt.toISOString()),
    leaf('subnetId', e.subnetId),
    leaf('preserveClientIp', false),
    el('securityGroupIdSet', ...e.securityGroupIds.map((id) => leaf('item', id))),
    tags.length > 0 ? itemList('tagSet', tags, ([key, value]) => [leaf('key', key), leaf('value', value)]) : el('tagSet'),
    leaf('ipAddressType', 'ipv4'),
  ];
}
