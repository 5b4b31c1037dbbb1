// `eic-ssh [options] [user@]TARGET [COMMAND...]`: connect (connect-instance.ts), run
// the command or an interactive shell, and return the remote exit status.
import type { Client } from 'ssh2';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { runSession } from '../ssh/session.js';
import { connectToInstance } from './connect-instance.js';
import { firstByteWatch } from './first-byte.js';
import { decidePty } from './pty-decision.js';
import { applyConfigFile } from './ssh-config-file.js';
import { holdUntilSignal, startRequestedForwards } from './ssh-forwarding.js';
import { goToBackground } from './background.js';
import type { SshOptions } from './ssh-args.js';
import { verbose, type Verbose } from './verbose.js';

export async function runSsh(commandLine: SshOptions, io: Io, deps: Deps, argv?: string[]): Promise<number> {
  const options = commandLine.configFile ? await applyConfigFile(commandLine, deps.homeDir) : commandLine;
  const v = verbose(io, options.verbosity, deps.now);
  if (options.background && !deps.notifyReady) {
    if (!argv) throw new EicError('LOCAL_IO', '-f cannot be used here', { hint: 'run eic-ssh from the command line' });
    if (!options.noCommand && options.command.length === 0) {
      throw new UsageError('-f needs a command or -N', 'for example: eic-ssh -f -N -L 8080:localhost:80 <target>');
    }
    return goToBackground(argv, io, deps, v);
  }
  const { client, reached } = await connectToInstance(options, io, deps, v);
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
