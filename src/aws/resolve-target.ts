// Turns what the user typed as TARGET into exactly one instance: an instance id, an
// IPv4 address (private or public), a DNS name (public or private), or a Name tag.
// An ambiguous name lists its matches instead of guessing.
import { EicError } from '../errors.js';
import type { Aws, Ec2Filter } from './aws.js';
import { describeInstance, type InstanceInfo } from './instance-info.js';

export type TargetQuery =
  | { kind: 'id'; instanceId: string }
  | { kind: 'ip'; address: string }
  | { kind: 'dns'; hostname: string }
  | { kind: 'name'; name: string };

const INSTANCE_ID = /^i-[0-9a-f]{8,32}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?$/i;

// Pure: decides how TARGET will be looked up.
export function parseTarget(target: string): TargetQuery {
  if (INSTANCE_ID.test(target)) return { kind: 'id', instanceId: target };
  if (IPV4.test(target)) return { kind: 'ip', address: target };
  if (DNS_NAME.test(target) && target.includes('.')) return { kind: 'dns', hostname: target.replace(/\.$/, '').toLowerCase() };
  return { kind: 'name', name: target };
}

// Instances that still exist; a terminated one lingers in DescribeInstances for a while.
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

export async function resolveTarget(aws: Aws, target: string): Promise<InstanceInfo> {
  const query = parseTarget(target);
  const found = await lookup(aws, query);
  return pickOne(target, query, found, aws.region);
}

async function lookup(aws: Aws, query: TargetQuery): Promise<InstanceInfo[]> {
  const live: Ec2Filter = { name: 'instance-state-name', values: LIVE_STATES };
  switch (query.kind) {
    case 'id':
      try {
        return await aws.describeInstances({ instanceIds: [query.instanceId] });
      } catch (error) {
        if ((error as { awsCode?: string }).awsCode === 'InvalidInstanceID.NotFound') return [];
        throw error;
      }
    case 'ip':
      return unique(
        await Promise.all([
          aws.describeInstances({ filters: [{ name: 'private-ip-address', values: [query.address] }, live] }),
          aws.describeInstances({ filters: [{ name: 'ip-address', values: [query.address] }, live] }),
        ]),
      );
    case 'dns':
      return unique(
        await Promise.all([
          aws.describeInstances({ filters: [{ name: 'dns-name', values: [query.hostname] }, live] }),
          aws.describeInstances({ filters: [{ name: 'private-dns-name', values: [query.hostname] }, live] }),
        ]),
      );
    case 'name':
      return aws.describeInstances({ filters: [{ name: 'tag:Name', values: [query.name] }, live] });
  }
}

function pickOne(target: string, query: TargetQuery, found: InstanceInfo[], region: string): InstanceInfo {
  if (found.length === 0) {
    return notFound(target, query, region);
  }
  if (found.length === 1) return found[0];
  // Several matches: a single running one is what the user means (stopped twins are
  // common after a replacement); otherwise refuse to guess.
  const running = found.filter((i) => i.state === 'running');
  if (running.length === 1) return running[0];
  throw new EicError('TARGET_AMBIGUOUS', `'${target}' matches ${found.length} instances`, {
    details: found.map((i) => `${describeInstance(i)}  ${i.state}  ${i.privateIp ?? '-'}  ${i.publicIp ?? '-'}`),
    hint: 'connect by instance id instead (eic-ssh user@i-…)',
  });
}

function notFound(target: string, query: TargetQuery, region: string): never {
  const message = {
    id: `instance ${target} does not exist in ${region}`,
    ip: `no instance has the address ${target} in ${region}`,
    dns: `no instance has the DNS name ${target} in ${region}`,
    name: `no instance has the Name tag '${target}' in ${region}`,
  }[query.kind];
  throw new EicError('TARGET_NOT_FOUND', message, {
    hint: 'check --region and --profile; a target is an instance id, a Name tag, an IPv4 address or an EC2 DNS name',
  });
}

function unique(lists: InstanceInfo[][]): InstanceInfo[] {
  const byId = new Map<string, InstanceInfo>();
  for (const list of lists) for (const instance of list) byId.set(instance.instanceId, instance);
  return [...byId.values()];
}
