// DescribeImages in EC2's XML (EC2 API reference "DescribeImages"): ImageId.N, Owner.N,
// the filters image-id, name, owner-id, owner-alias, platform-details, description, and
// MaxResults/NextToken paging. An unknown well-formed id is InvalidAMIID.NotFound, a
// malformed one InvalidAMIID.Malformed, as EC2 answers.
import type { ApiCall, ApiReply } from './http-api.js';
import { compact, dryRun, ec2Reply, pageOf } from './ec2-common.js';
import { SANDBOX_IMAGES, type SandboxImage } from './images.js';
import { globToRegExp, QueryError, type QueryParams } from './query.js';
import { leaf, type XmlChild, itemList } from './xml.js';

type ValuesOf = (i: SandboxImage) => string[];

const FILTERS: Record<string, ValuesOf> = {
  'image-id': (i) => [i.imageId],
  name: (i) => [i.name],
  description: (i) => [i.description],
  'owner-id': (i) => [i.ownerId],
  'owner-alias': (i) => [i.ownerAlias],
  'platform-details': (i) => [i.platformDetails],
  state: () => ['available'],
};

const IMAGE_ID = /^ami-[0-9a-f]{8,17}$/;

export function describeImages(p: QueryParams, call: ApiCall): ApiReply {
  const ids = p.list('ImageId');
  const owners = p.list('Owner');
  const filters = p.filters();
  const maxResults = p.integer('MaxResults');
  const nextToken = p.get('NextToken');
  const dry = p.boolean('DryRun');
  const includeDeprecated = p.boolean('IncludeDeprecated');
  call.params = compact({
    ImageIds: ids.length ? ids : undefined,
    Owners: owners.length ? owners : undefined,
    Filters: filters.length ? filters : undefined,
    MaxResults: maxResults,
    NextToken: nextToken,
    IncludeDeprecated: includeDeprecated,
    DryRun: dry,
  });
  p.rejectUnknown();
  if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) {
    throw new QueryError('InvalidParameterValue', `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
  }
  const compiled = filters.map((f) => {
    const values = FILTERS[f.Name];
    if (!values) throw new QueryError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
    if (f.Values.length === 0) throw new QueryError('InvalidParameterValue', `The filter '${f.Name}' has no values`);
    return { values, patterns: f.Values.map(globToRegExp) };
  });
  const malformed = ids.find((id) => !IMAGE_ID.test(id));
  if (malformed !== undefined) throw new QueryError('InvalidAMIID.Malformed', `Invalid id: "${malformed}"`);
  const missing = ids.filter((id) => !SANDBOX_IMAGES.some((i) => i.imageId === id));
  if (missing.length > 0) throw new QueryError('InvalidAMIID.NotFound', `The image id '[${missing.join(', ')}]' does not exist`);
  dryRun(dry);
  const wanted = new Set(ids);
  const matching = SANDBOX_IMAGES.filter(
    (i) =>
      (wanted.size === 0 || wanted.has(i.imageId)) &&
      (owners.length === 0 || owners.some((o) => o === i.ownerId || o === i.ownerAlias || (o === 'self' && i.ownerId === call.world.accountId))) &&
      compiled.every((f) => f.values(i).some((v) => f.patterns.some((r) => r.test(v)))),
  );
  const { page, next } = pageOf(matching, filters, nextToken, maxResults ?? 1000);
  return ec2Reply(
    'DescribeImages',
    call.requestId,
    itemList('imagesSet', page, imageXml),
    next,
  );
}

function imageXml(i: SandboxImage): XmlChild[] {
  return [
    leaf('imageId', i.imageId),
    leaf('imageLocation', `${i.ownerAlias}/${i.name}`),
    leaf('imageState', 'available'),
    leaf('imageOwnerId', i.ownerId),
    leaf('creationDate', i.creationDate),
    leaf('isPublic', true),
    leaf('architecture', 'x86_64'),
    leaf('imageType', 'machine'),
    leaf('imageOwnerAlias', i.ownerAlias),
    leaf('name', i.name),
    leaf('description', i.description),
    leaf('rootDeviceType', 'ebs'),
    leaf('rootDeviceName', '/dev/xvda'),
    leaf('virtualizationType', 'hvm'),
    leaf('hypervisor', 'xen'),
    leaf('platformDetails', i.platformDetails),
    leaf('usageOperation', 'RunInstances'),
    leaf('enaSupport', true),
    leaf('bootMode', 'uefi-preferred'),
  ];
}
