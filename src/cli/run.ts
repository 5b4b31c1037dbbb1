// `eic-ssh run SELECTOR [options] -- COMMAND`: runs COMMAND on every instance the
// selector matches (selector.ts), at most --parallel at a time, each over its own best
// route with its own ephemeral key (connect-instance.ts), and reports per host. Pushes
// share the process-wide client-side rate limiter (rate-limit.ts) and back off on
// ThrottlingException (send-key.ts), so a big fleet stays under the API's rate. A host
// with a live connection-reuse master goes through it instead (run-reuse.ts).
import { Command } from 'commander';
import type { Client } from 'ssh2';
import type { Aws } from '../aws/aws.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import { hostLabels, selectInstances } from '../aws/select-instances.js';
import { parseFilterOption, parseSelector } from '../aws/selector.js';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import { hostOutput, runExitStatus, summarize, type HostReport, type OutputMode } from '../exec/output.js';
import { runPool } from '../exec/pool.js';
import type { Io } from '../io.js';
import { MuxRefusedError } from '../mux/client.js';
import { execCapture } from '../ssh/exec-capture.js';
import type { Via } from '../tunnel/route.js';
import { parseWithCommander } from './commander-parse.js';
import { connectAudited } from './audited-connect.js';
import { appendAuditLine, callerArn, reusedAuditRecord } from './audit.js';
import { runReuse } from './run-reuse.js';
import { expandHome } from './state-dir.js';
import { loadUserConfig } from './user-config.js';
import { parsePort } from './ssh-args.js';
import { verbose } from './verbose.js';

export const DEFAULT_PARALLEL = 10;

export interface RunOptions {
  selector: string;
  command: string;
  parallel: number;
  output: OutputMode;
  user?: string;
  port?: number;
  via: Via;
  allStates: boolean;
  filters: string[];
  connectTimeoutSeconds?: number;
  profile?: string;
  region?: string;
  // Go through a live connection-reuse master where one serves the host (run-reuse.ts).
  reuse: boolean;
  // --audit FILE: one JSON line per host's connection (audit.ts); undefined = the config default.
  audit?: string;
}

export const RUN_EXIT_HELP = `
COMMAND runs without a terminal, with stdin closed. Output: each line prefixed by
its host as it arrives (default), --group (each host's output together when it is
done), or --json (one JSON object per host: host, instanceId, route, reused,
status, exitStatus, signal, error, stdout, stderr, truncated, timings). A summary
of the hosts that succeeded, failed (with the reason) and were unreachable goes to
stderr.
Each host gets its own ephemeral key; pushes are limited to 8 per second (the
rest wait their turn) and a throttled push backs off and retries.

A host with a live connection-reuse master (left by an earlier eic-ssh user@HOST
with the same user, port, route, profile and region; see eic-ssh reuse --list)
runs COMMAND through it: no key push, no SSH handshake; --json says "reused": true.
run never starts a master. --no-reuse (or EIC_SSH_REUSE=0, or Reuse no in the
config) makes every host connect by itself.

Exit status:
  0    the command exited 0 on every host
  1    it failed (non-zero exit or a signal) on some host, and every host was reached
  255  some host was unreachable (no route, push or authentication failed), or
       eic-ssh itself failed (bad selector, no match, AWS error)
  130  interrupted (Ctrl-C): running commands are stopped, the rest never start
`;

export function parseRunArgs(argv: string[], io: Io): RunOptions | 'help-shown' {
  const dashes = argv.indexOf('--');
  const before = dashes < 0 ? argv : argv.slice(0, dashes);
  const command = dashes < 0 ? [] : argv.slice(dashes + 1);
  const program = new Command('eic-ssh run')
    .description('Run a command on every instance a SELECTOR matches, in parallel')
    .usage('<selector> [options] -- <command>...')
    .argument('<selector>', "'*' (every running instance), or TERMs separated by ',': an instance id, IPv4 address, DNS name, Name or glob (web-*), tag:KEY=VALUE; join conditions with '+'")
    .option('--parallel <n>', `hosts at a time (default ${DEFAULT_PARALLEL})`)
    .option('--group', "print each host's output together when it is done")
    .option('--json', 'print one JSON object per host (NDJSON)')
    .option('-l, --login <user>', 'OS user on every host (default: inferred per host from its image)')
    .option('-p, --port <port>', 'remote SSH port (default: 22, or $EIC_SSH_PORT)')
    .option('--via <route>', 'auto | direct | eice | ssm (default: auto, per host)')
    .option('--all-states', 'also select instances that are not running (they will be unreachable)')
    .option('--filter <Name=…,Values=…>', 'an EC2 DescribeInstances filter, ANDed (repeatable)', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option('--connect-timeout <s>', 'seconds to reach and authenticate each host (default 20)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .option('--no-reuse', 'connect to every host by itself, even where a connection-reuse master is live')
    .option('--audit <file>', 'append one JSON line per host connection (default: the Audit line of ~/.eic-ssh/config)')
    .addHelpText('after', RUN_EXIT_HELP);
  type Parsed = { parallel?: string; group?: boolean; json?: boolean; login?: string; port?: string; via?: string; allStates?: boolean; filter?: string[]; connectTimeout?: string; profile?: string; region?: string; reuse?: boolean; audit?: string };
  const o = parseWithCommander<Parsed>(program, before, io, 'run');
  if (o === 'help-shown') return o;
  if (command.length === 0) throw new UsageError('run: no command given', "put it after '--': eic-ssh run 'web-*' -- uptime");
  if (o.group && o.json) throw new UsageError('run: choose one of --group and --json', 'see eic-ssh run --help');
  const via = o.via ?? 'auto';
  if (!['auto', 'direct', 'eice', 'ssm'].includes(via)) throw new UsageError(`run: --via must be auto, direct, eice or ssm, not '${via}'`, 'auto picks per host');
  return {
    selector: program.args[0],
    command: command.join(' '),
    parallel: o.parallel === undefined ? DEFAULT_PARALLEL : positiveInt(o.parallel, '--parallel', 1000),
    output: o.json ? 'json' : o.group ? 'group' : 'prefix',
    user: o.login,
    port: o.port === undefined ? undefined : parsePort(o.port, 'run: --port'),
    via: via as Via,
    allStates: Boolean(o.allStates),
    filters: o.filter ?? [],
    connectTimeoutSeconds: o.connectTimeout === undefined ? undefined : positiveInt(o.connectTimeout, '--connect-timeout', 3600),
    profile: o.profile,
    region: o.region,
    reuse: o.reuse !== false,
    ...(o.audit !== undefined ? { audit: o.audit } : {}),
  };
}

function positiveInt(text: string, what: string, max: number): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max)) throw new UsageError(`run: ${what} must be a whole number from 1 to ${max}, not '${text}'`, 'see eic-ssh run --help');
  return n;
}

export async function runCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  const options = parseRunArgs(argv, io);
  if (options === 'help-shown') return 0;
  const selector = parseSelector(options.selector);
  const filters = options.filters.map(parseFilterOption);
  // The user config's defaults apply per host as to a single connection (user-config.ts).
  const config = await loadUserConfig(io.env, deps.homeDir);
  const auditFile = options.audit ? expandHome(options.audit, deps.homeDir) : config.audit;
  // One STS GetCallerIdentity for the whole run, not one per audited host.
  const aws = onceCallerIdentity(await deps.createAws({ region: options.region, profile: options.profile, env: io.env }));
  // Hosts with a live connection-reuse master go through it (run-reuse.ts); a bad
  // EIC_SSH_REUSE fails here, before any AWS call.
  const reuse = await runReuse(options, aws, io, deps, config);
  const instances = await selectInstances(aws, selector, { filters, allStates: options.allStates });
  const labels = hostLabels(instances);
  const width = Math.min(24, Math.max(...[...labels.values()].map((l) => l.length)));
  // Every host shares one Aws (one set of SDK clients) and the process-wide push limiter.
  const hostDeps: Deps = { ...deps, createAws: async () => aws };
  const quiet = verbose(io, 0, deps.now);

  let interrupted = false;
  const active = new Set<Client>();
  const stopListening = io.onSignal(() => {
    if (interrupted) return;
    interrupted = true;
    io.stderr.write('eic-ssh run: interrupted; stopping the running commands\n');
    for (const client of active) client.end();
  });

  const runOne = async (instance: InstanceInfo): Promise<HostReport> => {
    const label = labels.get(instance.instanceId) ?? instance.instanceId;
    const output = hostOutput(options.output, label, width, io.stdout, io.stderr);
    const t0 = deps.now();
    const base = { host: label, instanceId: instance.instanceId, signal: null as string | null };
    const timings = (connectMs: number | null) => ({ startedAt: new Date(t0).toISOString(), connectMs, totalMs: deps.now() - t0 });

    // Runs the command over an open connection; undefined only when a reuse master
    // refused to open the session (it started nothing): then connect by ourselves.
    const execute = async (client: Client, route: string, reused: boolean): Promise<HostReport | undefined> => {
      const connectMs = deps.now() - t0;
      if (interrupted) {
        client.end();
        return output.finish({ ...base, route, reused, status: 'failed', exitStatus: null, error: 'interrupted before the command started', timings: timings(connectMs) });
      }
      active.add(client);
      try {
        const outcome = await execCapture(client, options.command, output);
        const exitStatus = outcome.exitStatus ?? null;
        const error = exitStatus !== null || outcome.signal ? null : interrupted ? 'interrupted' : 'the connection closed without an exit status';
        return output.finish({
          ...base,
          route,
          reused,
          status: exitStatus === 0 ? 'succeeded' : 'failed',
          exitStatus,
          signal: outcome.signal ?? null,
          error,
          timings: timings(connectMs),
        });
      } catch (error) {
        if (reused && !interrupted && error instanceof EicError && error.cause instanceof MuxRefusedError) return undefined;
        return output.finish({ ...base, route, reused, status: 'failed', exitStatus: null, error: interrupted ? 'interrupted' : oneLine(error), timings: timings(connectMs) });
      } finally {
        active.delete(client);
        client.end();
        // A late socket error after the end must not crash the run.
        client.on('error', () => {});
      }
    };

    const viaMaster = await reuse?.find(instance);
    if (viaMaster) {
      // MuxConnection offers the part of ssh2's Client that execCapture uses (mux/client.ts).
      const report = await execute(viaMaster.connection as unknown as Client, viaMaster.route, true);
      const facts = viaMaster.connection.facts;
      if (report && auditFile && facts) {
        await appendAuditLine(auditFile, reusedAuditRecord(facts, { startedAt: t0, startedMaster: false }, await callerArn(aws), report.exitStatus ?? 255));
      }
      if (report) return report;
    }
    let connected;
    try {
      connected = await connectAudited(
        {
          target: instance.instanceId,
          resolved: instance,
          user: options.user,
          via: options.via,
          port: options.port,
          connectTimeoutSeconds: options.connectTimeoutSeconds,
          profile: options.profile,
          region: options.region,
          keyType: 'ed25519',
          strictHostKeyChecking: 'accept-new',
          hostKeySource: config.hostKeySource,
          quiet: true,
        },
        auditFile,
        io,
        hostDeps,
        quiet,
      );
    } catch (error) {
      return output.finish({ ...base, route: null, reused: false, status: 'unreachable', exitStatus: null, error: oneLine(error), timings: timings(null) });
    }
    const report = (await execute(connected.client, connected.route, false))!;
    await connected.finishAudit(report.exitStatus ?? 255);
    return report;
  };

  try {
    const results = await runPool(instances, options.parallel, runOne, () => interrupted);
    const reports = results.flatMap((r) => (r.started ? [r.value] : []));
    const notStarted = instances.filter((_, i) => !results[i].started).map((i) => labels.get(i.instanceId) ?? i.instanceId);
    io.stderr.write(summarize(reports, notStarted, interrupted));
    return runExitStatus(reports, interrupted);
  } finally {
    stopListening();
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}

// The same Aws, asking STS who we are at most once (audit lines name the caller).
function onceCallerIdentity(aws: Aws): Aws {
  let identity: ReturnType<Aws['getCallerIdentity']> | undefined;
  return Object.assign(Object.create(aws) as Aws, { getCallerIdentity: () => (identity ??= aws.getCallerIdentity()) });
}
