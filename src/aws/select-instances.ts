// Every instance a SELECTOR (selector.ts) matches, for `eic-ssh ls` and `eic-ssh run`.
// Only running instances are candidates unless --all-states asks for every state.
// A term that matches nothing is an error naming it: a typo in a list of hosts
// must not silently shrink a fleet run.
import { EicError } from '../errors.js';
import type { Aws, Ec2Filter } from './aws.js';
import type { InstanceInfo } from './instance-info.js';
import { termQueries, type Selector } from './selector.js';

export interface SelectOptions {
  filters?: Ec2Filter[];
  allStates?: boolean;
}

export async function selectInstances(aws: Aws, selector: Selector, options: SelectOptions = {}): Promise<InstanceInfo[]> {
  const extra: Ec2Filter[] = [...(options.filters ?? [])];
  if (!options.allStates) extra.push({ name: 'instance-state-name', values: ['running'] });
  const candidates = options.allStates ? 'instance' : 'running instance';
  if (selector.kind === 'all') return sortInstances(await aws.describeInstances({ filters: extra.length ? extra : undefined }));

  const perTerm = await Promise.all(
    selector.terms.map(async (term) => {
      const lists = await Promise.all(termQueries(term).map((q) => aws.describeInstances({ filters: [...q, ...extra] })));
      return { term, found: lists.flat() };
    }),
  );
  const empty = perTerm.filter((t) => t.found.length === 0).map((t) => t.term.text);
  if (empty.length > 0) {
    const what = empty.map((t) => `'${t}'`).join(', ');
    throw new EicError('TARGET_NOT_FOUND', `${what} ${empty.length === 1 ? 'matches' : 'match'} no ${candidates} in ${aws.region}`, {
      hint: options.allStates
        ? 'check --region and --profile, and the selector (eic-ssh ls lists what there is)'
        : 'eic-ssh ls lists the running instances; --all-states also considers stopped ones',
    });
  }
  const byId = new Map<string, InstanceInfo>();
  for (const { found } of perTerm) for (const instance of found) byId.set(instance.instanceId, instance);
  return sortInstances([...byId.values()]);
}

// By Name, then id: a stable order for tables and summaries.
export function sortInstances(instances: InstanceInfo[]): InstanceInfo[] {
  return [...instances].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.instanceId.localeCompare(b.instanceId));
}

// What a fleet run calls each host: its Name when no other selected host shares it, else its id.
export function hostLabels(instances: InstanceInfo[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const i of instances) if (i.name) counts.set(i.name, (counts.get(i.name) ?? 0) + 1);
  return new Map(instances.map((i) => [i.instanceId, i.name && counts.get(i.name) === 1 ? i.name : i.instanceId]));
}
