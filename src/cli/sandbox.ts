// `eic-ssh sandbox`: runs the AWS emulator with real OpenSSH instances on loopback,
// so anyone can try eic-ssh without an AWS account. This file is the only importer
// of src/sandbox/, and only through a dynamic import(): no other command loads it.
import { Command, InvalidArgumentError } from 'commander';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { parseWithCommander } from './commander-parse.js';
import { parseSshArgs } from './ssh-args.js';
import { runSsh } from './ssh.js';

export interface SandboxCommandOptions {
  mode: 'serve' | 'env' | 'demo';
  region: string;
  apiPort?: number;
  sshPort?: number;
  throttlePushes: number;
  unavailablePushes: number;
  pushesPerSecond?: number;
  denyUsers: string[];
  denyInstances: string[];
  keepState: boolean;
  // EICE tunnel server (eice.md §11): its port, instances its endpoint cannot reach, cap.
  eicePort?: number;
  eiceBlocked: string[];
  eiceMaxTunnels?: number;
  // Doctor misconfigurations (src/sandbox/network-faults.ts): 'fault' or 'fault=instance'.
  breaks?: string[];
}

export function parseSandboxArgs(argv: string[], io: Io): SandboxCommandOptions | 'help-shown' {
  const program = new Command('eic-ssh sandbox')
    .description('Run an emulated AWS account with real OpenSSH instances on loopback')
    .usage('[--env | --demo] [<options>]')
    .option('--env', 'print `export` lines for eic-ssh and the aws CLI, then keep serving')
    .option('--demo', 'start, connect to an instance, run a command, show the timings, stop')
    .option('--region <region>', 'region of the emulated account', 'us-east-1')
    .option('--api-port <port>', 'API port on 127.0.0.1 (default: any free port)', integer)
    .option('--ssh-port <port>', 'SSH port of every instance (default: 22 as root, else a free port)', integer)
    .option('--throttle-pushes <n>', 'answer ThrottlingException to the next <n> key pushes', integer, 0)
    .option('--pushes-per-second <n>', 'throttle key pushes above <n> per second', integer)
    .option('--unavailable-pushes <n>', 'answer EC2InstanceUnavailableException to the next <n> pushes', integer, 0)
    .option('--deny-user <user>', 'answer AuthException to pushes for this OS user (repeatable)', collect, [])
    .option('--deny-instance <id>', 'answer AuthException to pushes to this instance (repeatable)', collect, [])
    .option('--eice-port <port>', 'EC2 Instance Connect Endpoint port (default: 443 as root, else a free port)', integer)
    .option('--eice-block <id>', "the endpoint cannot reach this instance (security group; repeatable)", collect, [])
    .option('--eice-max-tunnels <n>', 'concurrent tunnels per endpoint (default: 20)', integer)
    .option('--break <fault[=instance]>', 'break one doctor prerequisite, e.g. no-eice or ssm-offline=db-1 (docs/sandbox.md; repeatable)', collect, [])
    .option('--keep-state', 'keep the state directory (sshd configs and logs) on exit');
  const o = parseWithCommander<Record<string, unknown>>(program, argv, io, 'sandbox');
  if (o === 'help-shown') return o;
  if (o.env && o.demo) throw new UsageError('sandbox: choose one of --env and --demo', 'see eic-ssh sandbox --help');
  return {
    mode: o.env ? 'env' : o.demo ? 'demo' : 'serve',
    region: o.region as string,
    apiPort: o.apiPort as number | undefined,
    sshPort: o.sshPort as number | undefined,
    throttlePushes: o.throttlePushes as number,
    unavailablePushes: o.unavailablePushes as number,
    pushesPerSecond: o.pushesPerSecond as number | undefined,
    denyUsers: o.denyUser as string[],
    denyInstances: o.denyInstance as string[],
    keepState: Boolean(o.keepState),
    eicePort: o.eicePort as number | undefined,
    eiceBlocked: o.eiceBlock as string[],
    eiceMaxTunnels: o.eiceMaxTunnels as number | undefined,
    breaks: o.break as string[],
  };
}

export async function sandboxCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  const options = parseSandboxArgs(argv, io);
  if (options === 'help-shown') return 0;
  const { startSandbox } = await import('../sandbox/sandbox.js');
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ region: options.region, apiPort: options.apiPort, sshPort: options.sshPort, keepState: options.keepState, eicePort: options.eicePort });
  } catch (error) {
    throw new EicError('SANDBOX', `the sandbox could not start: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'the sandbox needs OpenSSH sshd; as root run: bash .ci/setup.sh',
      cause: error,
    });
  }
  try {
    applyKnobs(sandbox, options);
    if (options.breaks?.length) await applyBreaks(sandbox, options.breaks);
    if (options.mode === 'demo') return await demo(sandbox, io, deps);
    io.stdout.write(options.mode === 'env' ? envText(sandbox) : humanText(sandbox));
    await untilInterrupted(io);
    return 0;
  } finally {
    await sandbox.close();
  }
}

function applyKnobs(sandbox: Sandbox, options: SandboxCommandOptions): void {
  const knobs = sandbox.world.knobs;
  knobs.throttleNextPushes = options.throttlePushes;
  knobs.unavailableNextPushes = options.unavailablePushes;
  knobs.pushesPerSecond = options.pushesPerSecond;
  for (const user of options.denyUsers) knobs.deniedOsUsers.add(user);
  for (const id of options.denyInstances) knobs.deniedInstances.add(id);
  for (const id of options.eiceBlocked) sandbox.world.eiceKnobs.blockedInstances.add(id);
  if (options.eiceMaxTunnels !== undefined) sandbox.world.eiceKnobs.maxTunnelsPerEndpoint = options.eiceMaxTunnels;
}

// --break: the doctor's misconfiguration knobs, by name, on an instance id or Name.
async function applyBreaks(sandbox: Sandbox, breaks: string[]): Promise<void> {
  const { applyNetworkFault, isNetworkFault, NETWORK_FAULTS } = await import('../sandbox/network-faults.js');
  for (const spec of breaks) {
    const [fault, target] = spec.split('=', 2);
    if (!isNetworkFault(fault)) throw new UsageError(`sandbox: unknown --break '${fault}'`, `one of: ${NETWORK_FAULTS.join(', ')}`);
    let instanceId: string | undefined;
    try {
      instanceId = target === undefined ? undefined : sandbox.instance(target).instanceId;
      applyNetworkFault(sandbox.world, fault, instanceId);
    } catch (error) {
      throw new UsageError(`sandbox: --break ${spec}: ${error instanceof Error ? error.message : String(error)}`, 'instance-scoped faults take =<instance id or Name>, e.g. --break ssm-offline=db-1');
    }
  }
}

export function envText(sandbox: Sandbox): string {
  const lines = Object.entries(sandbox.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  return lines.join('\n') + '\n';
}

function humanText(sandbox: Sandbox): string {
  const rows = sandbox.instances().map((i) =>
    [i.instanceId, i.tags.Name ?? '-', i.state, i.privateIp, i.publicIp ?? '-', i.osUsers.join(',')].join('\t'),
  );
  return [
    `eic-ssh sandbox: an emulated AWS account (${sandbox.region}) with real OpenSSH instances, on loopback.`,
    `API endpoint: ${sandbox.apiUrl}  (SigV4-checked; every call is logged)`,
    '',
    'Point eic-ssh and the aws CLI at it from another shell with:',
    '',
    ...envText(sandbox).trimEnd().split('\n').map((l) => `  ${l}`),
    '',
    'Instances:',
    ['  id', 'Name', 'state', 'private IP', 'public IP', 'OS user'].join('\t'),
    ...rows.map((r) => `  ${r}`),
    '',
    `Then: eic-ssh ${sandbox.instances()[0]?.osUsers[0] ?? 'ec2-user'}@web-1 uname -a`,
    'Serving until interrupted (Ctrl-C).',
    '',
  ].join('\n');
}

async function demo(sandbox: Sandbox, io: Io, deps: Deps): Promise<number> {
  const web = sandbox.instance('web-1');
  const user = web.osUsers[0];
  const command = 'echo "hello from $(hostname) as $(id -un): $(uname -sr)"';
  io.stderr.write(`eic-ssh sandbox: started ${sandbox.instances().length} instances; connecting to ${user}@web-1 (${web.instanceId})\n`);
  // --no-reuse: the demo shows a whole fresh connection and leaves no master behind.
  io.stderr.write(`$ eic-ssh -v --no-reuse ${user}@web-1 '${command}'\n`);
  const demoIo: Io = { ...io, env: { ...io.env, ...sandbox.env }, stdinIsTTY: false };
  const code = await runSsh(parseSshArgs(['-v', '--no-reuse', `${user}@web-1`, command]), demoIo, deps);
  const calls = sandbox.world.operations().join(', ');
  io.stderr.write(`eic-ssh sandbox: exit status ${code}; AWS calls made: ${calls}\n`);
  return code;
}

function untilInterrupted(io: Io): Promise<void> {
  return new Promise((resolve) => {
    const stop = io.onSignal(() => {
      stop();
      resolve();
    });
  });
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function integer(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
