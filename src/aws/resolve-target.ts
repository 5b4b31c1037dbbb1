// Turns what the user typed as TARGET into exactly one instance: an instance id, an
// IPv4 address (private or public), a DNS name (public or private), a Name tag (exact
// or glob), tag:KEY=VALUE, several of them joined by '+' (selector.ts), and --filter.
// An ambiguous name lists its matches instead of guessing.
import { EicError } from '../errors.js';
import type { Aws, Ec2Filter } from './aws.js';
import { describeInstance, type InstanceInfo } from './instance-info.js';
import { hasGlob, parseCondition, parseTerm, termQueries, type Condition, type SelectorTerm } from './selector.js';

// A single TARGET is one selector TERM (selector.ts): conditions joined by '+'.
export type TargetQuery = Condition;

// Pure: decides how one condition of TARGET will be looked up.
export function parseTarget(target: string): TargetQuery {
  return parseCondition(target);
}

// Instances that still exist; a terminated one lingers in DescribeInstances for a while.
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

export interface ResolveOptions {
  // --filter: EC2 filters ANDed with TARGET (or alone when TARGET is absent).
  filters?: Ec2Filter[];
}

export async function resolveTarget(aws: Aws, target: string | undefined, options: ResolveOptions = {}): Promise<InstanceInfo> {
  const filters = options.filters ?? [];
  const term: SelectorTerm | undefined = target === undefined ? undefined : parseTerm(target);
  const found = await lookup(aws, term, filters);
  const shown = target ?? filters.map((f) => `${f.name}=${f.values.join(',')}`).join(' ');
  return pickOne(shown, term, found, aws.region, filters.length > 0);
}

async function lookup(aws: Aws, term: SelectorTerm | undefined, filters: Ec2Filter[]): Promise<InstanceInfo[]> {
  const live: Ec2Filter = { name: 'instance-state-name', values: LIVE_STATES };
  const only = term?.conditions.length === 1 ? term.conditions[0] : undefined;
  if (only?.kind === 'id' && filters.length === 0) {
    try {
      return await aws.describeInstances({ instanceIds: [only.instanceId] });
    } catch (error) {
      if ((error as { awsCode?: string }).awsCode === 'InvalidInstanceID.NotFound') return [];
      throw error;
    }
  }
  const queries = term ? termQueries(term) : [[]];
  return unique(await Promise.all(queries.map((q) => aws.describeInstances({ filters: [...q, ...filters, live] }))));
}

function pickOne(target: string, term: SelectorTerm | undefined, found: InstanceInfo[], region: string, filtered: boolean): InstanceInfo {
  if (found.length === 0) {
    const only = term?.conditions.length === 1 && !filtered ? term.conditions[0] : undefined;
    return notFound(target, only, region);
  }
  if (found.length === 1) return found[0];
  // Several matches: a single running one is what the user means (stopped twins are
  // common after a replacement); otherwise refuse to guess.
  const running = found.filter((i) => i.state === 'running');
  if (running.length === 1) return running[0];
  throw new EicError('TARGET_AMBIGUOUS', `'${target}' matches ${found.length} instances`, {
    details: found.map((i) => `${describeInstance(i)}  ${i.state}  ${i.privateIp ?? '-'}  ${i.publicIp ?? '-'}`),
    hint: 'connect by instance id instead (eic-ssh user@i-…), or run on all of them with eic-ssh run',
  });
}

function notFound(target: string, only: Condition | undefined, region: string): never {
  const glob = only?.kind === 'name' && hasGlob(only.name);
  const message = !only || glob || only.kind === 'tag'
    ? `no instance matches '${target}' in ${region}`
    : {
        id: `instance ${target} does not exist in ${region}`,
        ip: `no instance has the address ${target} in ${region}`,
        dns: `no instance has the DNS name ${target} in ${region}`,
        name: `no instance has the Name tag '${target}' in ${region}`,
      }[only.kind];
  throw new EicError('TARGET_NOT_FOUND', message, {
    hint: 'check --region and --profile; a target is an instance id, a Name tag or glob (web-*), tag:KEY=VALUE, an IPv4 address or an EC2 DNS name',
  });
}

function unique(lists: InstanceInfo[][]): InstanceInfo[] {
  const byId = new Map<string, InstanceInfo>();
  for (const list of lists) for (const instance of list) byId.set(instance.instanceId, instance);
  return [...byId.values()];
}
