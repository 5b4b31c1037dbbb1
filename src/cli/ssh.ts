// `eic-ssh [options] [user@]TARGET [COMMAND...]`: connect (connect-instance.ts), run
// the command or an interactive shell, and return the remote exit status.
//
// The path through a live reuse master is the hot one (a second `eic-ssh host cmd`
// within the idle time), so this module imports statically only what that path
// needs; connecting (ssh2, the AWS SDK), forwarding, the picker and -f load on demand.
import type { Client } from 'ssh2';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { runSession } from '../ssh/session.js';
import { expandHome } from './state-dir.js';
import { loadUserConfig } from './user-config.js';
import { firstByteWatch } from './first-byte.js';
import { decidePty } from './pty-decision.js';
import { connectReused, controlRequest, reuseWanted } from './mux-session.js';
import type { MuxConnection } from '../mux/client.js';
import { appendAuditLine, callerArn, reusedAuditRecord } from './audit.js';
import type { SshOptions } from './ssh-args.js';
import type { ReachedInstance } from './reach-instance.js';
import { verbose, type Verbose } from './verbose.js';

export async function runSsh(commandLine: SshOptions, io: Io, deps: Deps, argv?: string[]): Promise<number> {
  const options = commandLine.configFile ? await (await import('./ssh-config-file.js')).applyConfigFile(commandLine, deps.homeDir) : commandLine;
  const v = verbose(io, options.verbosity, deps.now);
  if (options.controlCommand) {
    if (options.target === undefined) throw new UsageError(`-O ${options.controlCommand} needs a target`, `for example: eic-ssh -O ${options.controlCommand} ec2-user@web-1`);
    return controlRequest({ ...options, controlCommand: options.controlCommand }, io, deps);
  }
  // No TARGET on a terminal: pick one (picker.ts); without a terminal it stays an error.
  if (options.target === undefined) {
    const { canPick, pickInstance } = await import('./picker.js');
    if (canPick(io)) {
      const aws = await deps.createAws({ region: options.region, profile: options.profile, env: io.env });
      options.target = await pickInstance(aws, io);
    }
  }
  if (options.background && !deps.notifyReady) {
    if (!argv) throw new EicError('LOCAL_IO', '-f cannot be used here', { hint: 'run eic-ssh from the command line' });
    if (!options.noCommand && options.command.length === 0) {
      throw new UsageError('-f needs a command or -N', 'for example: eic-ssh -f -N -L 8080:localhost:80 <target>');
    }
    return (await import('./background.js')).goToBackground(argv, io, deps, v);
  }
  // --host-key-source / --audit / Reuse / Persist, else their defaults (user-config.ts).
  const config = await loadUserConfig(io.env, deps.homeDir);
  const auditFile = options.audit ? expandHome(options.audit, deps.homeDir) : config.audit;
  // Connection reuse (mux-session.ts): through a live master, or a new one, unless off.
  if (reuseWanted(options, io.env, config)) {
    const reused = await connectReused(options, io, deps, v, config);
    if (reused && 'exitCode' in reused) return reused.exitCode;
    if (reused) return runReused(reused, auditFile, options, io, v, deps);
  }
  const { connectAudited } = await import('./audited-connect.js');
  const connected = await connectAudited({ ...options, hostKeySource: options.hostKeySource ?? config.hostKeySource }, auditFile, io, deps, v);
  const { client, reached } = connected;
  let status = 255;
  try {
    status = await runConnected(client, reached, options, io, deps, v);
    return status;
  } finally {
    await connected.finishAudit(status);
  }
}

async function runConnected(client: Client, reached: ReachedInstance, options: SshOptions, io: Io, deps: Deps, v: Verbose): Promise<number> {
  // -L/-R/-D first, then the session (or, with -N, just wait).
  const { holdUntilSignal, startRequestedForwards } = await import('./ssh-forwarding.js');
  const forwards = await startRequestedForwards(client, options, io, v).catch((error: unknown) => {
    client.end();
    throw error;
  });
  deps.notifyReady?.();
  try {
    if (options.noCommand) {
      try {
        return await holdUntilSignal(client, reached.instance.instanceId, io, v);
      } finally {
        client.end();
      }
    }
    return await runRemote(client, reached.instance.instanceId, options, io, v, deps);
  } finally {
    await forwards?.close();
  }
}

// A session through a reuse master, with its audit line (audit.ts reusedAuditRecord):
// the caller ARN is asked of STS alongside the session, as on the direct path.
async function runReused(
  { connection, startedMaster }: { connection: MuxConnection; startedMaster: boolean },
  auditFile: string | undefined,
  options: SshOptions,
  io: Io,
  v: Verbose,
  deps: Deps,
): Promise<number> {
  const startedAt = deps.now();
  const caller = auditFile
    ? deps.createAws({ region: options.region, profile: options.profile, env: io.env }).then(callerArn, () => null)
    : undefined;
  let status = 255;
  try {
    // MuxConnection offers the part of ssh2's Client that runSession uses (mux/client.ts).
    status = await runRemote(connection as unknown as Client, options.target ?? 'remote host', options, io, v, deps);
    return status;
  } finally {
    if (auditFile && connection.facts) await appendAuditLine(auditFile, reusedAuditRecord(connection.facts, { startedAt, startedMaster }, await caller!, status));
    else if (auditFile) v.log('audit      no line: the reuse master did not describe its connection');
  }
}

async function runRemote(client: Client, host: string, options: SshOptions, io: Io, v: Verbose, deps: Deps): Promise<number> {
  const pty = decidePty(options.requestTty, options.command.length > 0, io.stdinIsTTY);
  if (pty.warning && !options.quiet) io.stderr.write(`${pty.warning}\n`);
  const watched = v.level >= 1 ? firstByteWatch(io, deps.now, (ms) => v.log(`first byte ${String(ms).padStart(5)} ms`)) : io;
  try {
    return await runSession(client, {
      // ssh(1) joins the words of COMMAND with spaces and lets the remote shell parse them.
      command: options.command.length > 0 ? options.command.join(' ') : undefined,
      pty: pty.allocate,
      term: io.env.TERM,
      io: watched,
      escapeChar: pty.allocate ? options.escapeChar : null,
      host,
      quiet: options.quiet,
    });
  } finally {
    client.end();
  }
}
