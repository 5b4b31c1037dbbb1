// SSM DescribeInstanceInformation (ssm.md §3.4): the managed nodes of the sandbox (the
// instances with an `ssm` record), filtered by either of the API's two filter forms
// (`InstanceInformationFilterList` with key/valueSet, or `Filters` with Key/Values) and
// paginated with MaxResults/NextToken.
//
// Choices (not public): ids that are not managed are simply absent (no error); a managed
// instance that is not running reports PingStatus ConnectionLost; NextToken is an opaque
// base64 offset.
import type { SandboxInstance, World } from './world.js';
import type { ApiCall, JsonOutcome } from './http-api.js';

type Input = Record<string, unknown>;

const err = (type: string, status: number, message: string): JsonOutcome => ({ error: { type, status, message } });

type Predicate = (instance: SandboxInstance, ping: string) => boolean;

// Keys of InstanceInformationFilterList (enum InstanceInformationFilterKey) and of Filters
// (InstanceInformationStringFilter; also accepts tag:<k> and tag-key).
const KEYS: Record<string, (values: string[]) => Predicate> = {
  InstanceIds: (v) => (i) => v.includes(i.instanceId),
  AgentVersion: (v) => (i) => v.includes(i.ssm!.agentVersion),
  PingStatus: (v) => (_i, ping) => v.includes(ping),
  PlatformTypes: (v) => (i) => v.includes(i.ssm!.platformType),
  ResourceType: (v) => () => v.includes('EC2Instance'),
  ActivationIds: () => () => false, // EC2 instances have no activation
  IamRole: () => () => false, // no instance profiles in the sandbox
  AssociationStatus: (v) => () => v.includes('Success'),
};

function pingStatus(instance: SandboxInstance): string {
  return instance.state === 'running' ? instance.ssm!.pingStatus : 'ConnectionLost';
}

function filterPredicate(key: string, values: unknown, oldForm: boolean): Predicate | JsonOutcome {
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string')) {
    return err('InvalidInstanceInformationFilterValue', 400, `The filter ${key} needs at least one string value.`);
  }
  const strings = values as string[];
  if (!oldForm && key.startsWith('tag:')) return (i) => strings.includes(i.tags[key.slice(4)] ?? '\u0000');
  if (!oldForm && key === 'tag-key') return (i) => strings.some((k) => k in i.tags);
  const make = KEYS[key];
  if (!make) return err('InvalidFilterKey', 400, `The filter key ${key} is not valid.`);
  if (key === 'InstanceIds' && strings.some((v) => !/^(i|mi)-[0-9a-f]{8,17}$/.test(v))) {
    return err('InvalidInstanceId', 400, `Instance ids ${strings.join(', ')} are not valid.`);
  }
  return make(strings);
}

function filters(input: Input): Predicate[] | JsonOutcome {
  const out: Predicate[] = [];
  const oldList = input.InstanceInformationFilterList;
  const newList = input.Filters;
  for (const [list, oldForm] of [
    [oldList, true],
    [newList, false],
  ] as const) {
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) return err('SerializationException', 400, 'Filters must be a list');
    for (const entry of list as Array<Record<string, unknown>>) {
      const key = oldForm ? entry?.key : entry?.Key;
      if (typeof key !== 'string') return err('InvalidFilterKey', 400, 'A filter needs a key.');
      const predicate = filterPredicate(key, oldForm ? entry.valueSet : entry.Values, oldForm);
      if (typeof predicate !== 'function') return predicate;
      out.push(predicate);
    }
  }
  return out;
}

function describe(instance: SandboxInstance, world: World): Record<string, unknown> {
  const ssm = instance.ssm!;
  const ping = pingStatus(instance);
  // Agents ping about every 5 minutes; a lost agent was last heard from at launch.
  const lastPing = ping === 'Online' ? world.clock.now() - 60_000 : instance.launchTime.getTime();
  return {
    InstanceId: instance.instanceId,
    PingStatus: ping,
    LastPingDateTime: Math.floor(lastPing / 1000),
    AgentVersion: ssm.agentVersion,
    IsLatestVersion: false,
    PlatformType: ssm.platformType,
    PlatformName: ssm.platformName,
    PlatformVersion: ssm.platformVersion,
    ResourceType: 'EC2Instance',
    IPAddress: instance.privateIp,
    ComputerName: instance.privateDnsName,
    AssociationStatus: 'Success',
    SourceId: instance.instanceId,
    SourceType: 'AWS::EC2::Instance',
  };
}

export function describeInstanceInformation(input: Input, call: ApiCall): JsonOutcome {
  const { world } = call;
  const max = input.MaxResults ?? 50;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 5 || max > 50) {
    return err('ValidationException', 400, `1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 50`);
  }
  const predicates = filters(input);
  if (!Array.isArray(predicates)) return predicates;
  let offset = 0;
  if (input.NextToken !== undefined) {
    const decoded = typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64').toString('utf8')) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0) return err('InvalidNextToken', 400, 'The specified token is not valid.');
    offset = decoded;
  }
  const managed = [...world.instances.values()].filter(
    (i) => i.ssm !== undefined && i.state !== 'terminated' && predicates.every((p) => p(i, pingStatus(i))),
  );
  const page = managed.slice(offset, offset + max);
  const output: Record<string, unknown> = { InstanceInformationList: page.map((i) => describe(i, world)) };
  if (offset + max < managed.length) output.NextToken = Buffer.from(String(offset + max)).toString('base64');
  return { output };
}
