// `eic-ssh ls [SELECTOR] [--json]`: the instances a selector matches (every running
// one by default), with their state, addresses, zone and the routes that can reach
// them. An aligned table on a terminal, tab-separated lines when piped (one instance a
// line, for cut/awk), JSON with --json.
import { Command } from 'commander';
import type { Aws } from '../aws/aws.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import { selectInstances } from '../aws/select-instances.js';
import { parseFilterOption, parseSelector } from '../aws/selector.js';
import type { Deps } from '../deps.js';
import type { Io } from '../io.js';
import { parseWithCommander } from './commander-parse.js';
import { availableRoutes, type RouteAvailability } from './instance-routes.js';

export interface LsOptions {
  selector: string;
  json: boolean;
  allStates: boolean;
  filters: string[];
  profile?: string;
  region?: string;
}

export function parseLsArgs(argv: string[], io: Io): LsOptions | 'help-shown' {
  const program = new Command('eic-ssh ls')
    .description('List the instances a SELECTOR matches (every running instance by default) and the routes that reach them')
    .usage('[SELECTOR] [--json] [--all-states] [--filter Name=…,Values=…] [--profile P] [--region R]')
    .argument('[selector]', "'*', or TERMs separated by ',': an instance id, IPv4 address, DNS name, Name or glob (web-*), tag:KEY=VALUE; join conditions with '+'")
    .option('--json', 'print a JSON array (for machines)')
    .option('--all-states', 'also list instances that are not running')
    .option('--filter <Name=…,Values=…>', 'an EC2 DescribeInstances filter, ANDed (repeatable)', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .addHelpText('after', '\nColumns: ID, NAME, STATE, PRIVATE-IP, PUBLIC-IP, AZ, ROUTES (direct: public address; eice: an endpoint in the VPC;\nssm: a managed node whose agent is Online; "?" = not allowed to ask). Piped output is tab-separated.\n');
  const o = parseWithCommander<{ json?: boolean; allStates?: boolean; filter?: string[]; profile?: string; region?: string }>(program, argv, io, 'ls');
  if (o === 'help-shown') return o;
  return { selector: program.args[0] ?? '*', json: Boolean(o.json), allStates: Boolean(o.allStates), filters: o.filter ?? [], profile: o.profile, region: o.region };
}

export interface ListedInstance {
  instanceId: string;
  name: string | null;
  state: string;
  privateIp: string | null;
  publicIp: string | null;
  availabilityZone: string | null;
  routes: RouteAvailability[];
}

export async function lsCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  const options = parseLsArgs(argv, io);
  if (options === 'help-shown') return 0;
  const selector = parseSelector(options.selector);
  const filters = options.filters.map(parseFilterOption);
  const aws = await deps.createAws({ region: options.region, profile: options.profile, env: io.env });
  const listed = await listInstances(aws, await selectInstances(aws, selector, { filters, allStates: options.allStates }));
  if (options.json) {
    io.stdout.write(JSON.stringify(listed, null, 2) + '\n');
    return 0;
  }
  if (listed.length === 0) {
    io.stderr.write(`eic-ssh: no ${options.allStates ? '' : 'running '}instances in ${aws.region}\n`);
    return 0;
  }
  io.stdout.write(io.stdoutIsTTY ? alignedTable(listed) : tabSeparated(listed));
  return 0;
}

export async function listInstances(aws: Aws, instances: InstanceInfo[]): Promise<ListedInstance[]> {
  const routes = await availableRoutes(aws, instances);
  return instances.map((i) => ({
    instanceId: i.instanceId,
    name: i.name ?? null,
    state: i.state,
    privateIp: i.privateIp ?? null,
    publicIp: i.publicIp ?? null,
    availabilityZone: i.availabilityZone ?? null,
    routes: routes.get(i.instanceId) ?? [],
  }));
}

const HEADER = ['ID', 'NAME', 'STATE', 'PRIVATE-IP', 'PUBLIC-IP', 'AZ', 'ROUTES'];

function cells(i: ListedInstance): string[] {
  return [i.instanceId, i.name ?? '-', i.state, i.privateIp ?? '-', i.publicIp ?? '-', i.availabilityZone ?? '-', i.routes.join(',') || '-'];
}

export function alignedTable(listed: ListedInstance[]): string {
  const rows = [HEADER, ...listed.map(cells)];
  const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}

export function tabSeparated(listed: ListedInstance[]): string {
  return listed.map((i) => cells(i).join('\t') + '\n').join('');
}
