#!/usr/bin/env node
// The thin adapter from the process to main(): argv, the real terminal, the real world.
import { main } from '../src/main.js';
import { systemIo } from '../src/io.js';
import { systemDeps } from '../src/deps.js';

// The AWS SDK warns on stderr, once per process, that it will drop Node 20 in 2027.
// A command-line tool must keep stderr for its own one-line errors, so the warning is
// turned off here (the SDK reads only process.env for it); the README states the
// supported Node versions instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// selfCommand: absolute node and script paths, for the ProxyCommand `eic-ssh config` writes.
// notifyReady: only in the detached copy that `eic-ssh -f` starts (src/cli/background.ts).
const notifyReady =
  process.env.EIC_SSH_BACKGROUND_CHILD === '1' && process.send
    ? () => {
        process.send?.({ ready: true });
        process.disconnect?.();
      }
    : undefined;
const code = await main(process.argv.slice(2), systemIo(), { ...systemDeps(), selfCommand: [process.execPath, process.argv[1]], notifyReady, pid: process.pid });
// Like ssh, exit as soon as the session is over, even if the user's stdin pipe is
// still open (a pending stdin read would otherwise keep Node alive). On Linux,
// writes to stdout and stderr are synchronous for files, pipes and terminals, so
// nothing written is lost.
process.exit(code);
