// `eic-ssh [options] [user@]TARGET [COMMAND...]`: connect (connect-instance.ts), run
// the command or an interactive shell, and return the remote exit status.
import type { Client } from 'ssh2';
import type { Deps } from '../deps.js';
import type { Io } from '../io.js';
import { runSession } from '../ssh/session.js';
import { connectToInstance } from './connect-instance.js';
import { firstByteWatch } from './first-byte.js';
import { decidePty } from './pty-decision.js';
import type { SshOptions } from './ssh-args.js';
import { verbose, type Verbose } from './verbose.js';

export async function runSsh(options: SshOptions, io: Io, deps: Deps): Promise<number> {
  const v = verbose(io, options.verbosity, deps.now);
  const { client, reached } = await connectToInstance(options, io, deps, v);
  return runRemote(client, reached.instance.instanceId, options, io, v, deps);
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
