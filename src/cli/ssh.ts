// `eic-ssh [options] [user@]TARGET [COMMAND...]`: connect (connect-instance.ts), run
// the command or an interactive shell, and return the remote exit status.
import type { Client } from 'ssh2';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { runSession } from '../ssh/session.js';
import { connectAudited } from './audited-connect.js';
import { expandHome } from './connect-instance.js';
import { loadUserConfig } from './user-config.js';
import { firstByteWatch } from './first-byte.js';
import { decidePty } from './pty-decision.js';
import { applyConfigFile } from './ssh-config-file.js';
import { holdUntilSignal, startRequestedForwards } from './ssh-forwarding.js';
import { goToBackground } from './background.js';
import { connectReused, reuseWanted } from './mux-session.js';
import type { SshOptions } from './ssh-args.js';
import type { ReachedInstance } from './reach-instance.js';
import { canPick, pickInstance } from './picker.js';
import { verbose, type Verbose } from './verbose.js';

export async function runSsh(commandLine: SshOptions, io: Io, deps: Deps, argv?: string[]): Promise<number> {
  const options = commandLine.configFile ? await applyConfigFile(commandLine, deps.homeDir) : commandLine;
  const v = verbose(io, options.verbosity, deps.now);
  // No TARGET on a terminal: pick one (picker.ts); without a terminal it stays an error.
  if (options.target === undefined && canPick(io)) {
    const aws = await deps.createAws({ region: options.region, profile: options.profile, env: io.env });
    options.target = await pickInstance(aws, io);
  }
  if (options.background && !deps.notifyReady) {
    if (!argv) throw new EicError('LOCAL_IO', '-f cannot be used here', { hint: 'run eic-ssh from the command line' });
    if (!options.noCommand && options.command.length === 0) {
      throw new UsageError('-f needs a command or -N', 'for example: eic-ssh -f -N -L 8080:localhost:80 <target>');
    }
    return goToBackground(argv, io, deps, v);
  }
  // Connection reuse (mux-session.ts): through a live master, or a new one, if on.
  if (reuseWanted(options, io.env)) {
    const reused = await connectReused(options, io, deps, v);
    if (reused && 'exitCode' in reused) return reused.exitCode;
    // MuxConnection offers the part of ssh2's Client that runSession uses (mux/client.ts).
    if (reused) return runRemote(reused.connection as unknown as Client, options.target ?? 'remote host', options, io, v, deps);
  }
  // --host-key-source / --audit, else their defaults (user-config.ts).
  const config = await loadUserConfig(io.env, deps.homeDir);
  const auditFile = options.audit ? expandHome(options.audit, deps.homeDir) : config.audit;
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
