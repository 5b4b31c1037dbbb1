// `eic-ssh doctor TARGET`: checks every prerequisite of each route against the account
// and prints a checklist grouped by route (✓/✗/?), a verdict line and, for each ✗, the
// fix. Exit status: 0 when at least one route can work, 1 when none can, 255 when the
// doctor itself fails (bad usage, the target cannot be resolved).
import { Command } from 'commander';
import { resolveTarget } from '../aws/resolve-target.js';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { gatherFacts } from '../doctor/gather.js';
import { buildReport, renderReport, runChecks } from '../doctor/report.js';
import { parseWithCommander } from './commander-parse.js';
import { DEFAULT_OS_USER } from './reach-instance.js';

export interface DoctorOptions {
  target: string;
  json: boolean;
  from?: string;
  // The OS user whose SendSSHPublicKey permission (ec2:osuser) is simulated.
  user: string;
  region?: string;
  profile?: string;
}

export function parseDoctorArgs(argv: string[], io: Io): DoctorOptions | 'help-shown' {
  const program = new Command('eic-ssh doctor')
    .description('Check every prerequisite of the direct, EICE and SSM routes to an instance, and say what to change')
    .usage('[--json] [--from <ip>] [-l <os-user>] [--region <region>] [--profile <name>] <target>')
    .argument('[target]', 'instance id, Name tag or selector')
    .option('--json', 'print the checks and the verdict as JSON')
    .option('--from <ip>', 'your public IPv4 address, to check the direct route\'s inbound rule against it')
    .option('-l, --user <os-user>', `OS user for the SendSSHPublicKey permission check (default: ${DEFAULT_OS_USER})`)
    .option('--region <region>', 'AWS region')
    .option('--profile <name>', 'AWS profile')
    .addHelpText('after', '\nExit status: 0 when at least one route can work, 1 when none can, 255 when the doctor itself fails.');
  const o = parseWithCommander<{ json?: boolean; from?: string; user?: string; region?: string; profile?: string }>(program, argv, io, 'doctor');
  if (o === 'help-shown') return o;
  const target = program.args[0];
  if (!target) throw new UsageError('doctor: no target given', 'usage: eic-ssh doctor [--json] <target>');
  if (o.from !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(o.from)) throw new UsageError(`doctor: --from wants an IPv4 address, got '${o.from}'`, 'e.g. --from 203.0.113.7');
  return { target, json: o.json === true, from: o.from, user: o.user ?? DEFAULT_OS_USER, region: o.region, profile: o.profile };
}

export async function doctorCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  const options = parseDoctorArgs(argv, io);
  if (options === 'help-shown') return 0;
  const aws = await deps.createAws({ region: options.region, profile: options.profile, env: io.env });
  const instance = await resolveTarget(aws, options.target);
  const facts = await gatherFacts(aws, instance, { callerAddress: options.from, osUser: options.user });
  const report = buildReport(instance.instanceId, runChecks(facts));
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return Object.values(report.routes).some((r) => r.usable) ? 0 : 1;
}
