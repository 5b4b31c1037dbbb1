// The forwarding part of `eic-ssh`: starts the -L/-R/-D forwards on the connected
// client (src/ssh/forward.ts) and, with -N, holds the connection open until a
// signal (Ctrl-C) or until the connection drops.
import type { Client } from 'ssh2';
import { EicError } from '../errors.js';
import type { Io } from '../io.js';
import { hasForwards, startForwards, type ActiveForwards } from '../ssh/forward.js';
import type { SshOptions } from './ssh-args.js';
import type { Verbose } from './verbose.js';

export async function startRequestedForwards(client: Client, options: SshOptions, io: Io, v: Verbose): Promise<ActiveForwards | undefined> {
  const specs = { local: options.localForwards, remote: options.remoteForwards, dynamic: options.dynamicForwards };
  if (!hasForwards(specs)) return undefined;
  return startForwards(client, specs, {
    log: (line) => v.log(line),
    warn: (line) => {
      if (!options.quiet) io.stderr.write(`eic-ssh: ${line}\n`);
    },
  });
}

// -N: nothing to run; the forwards live until Ctrl-C/SIGTERM/SIGHUP (exit 0) or
// until the connection is lost (exit 255 with the reason).
export function holdUntilSignal(client: Client, host: string, io: Io, v: Verbose): Promise<number> {
  return new Promise((resolve, reject) => {
    const stop = io.onSignal((signal) => {
      v.log(`${signal}: closing the forwards`);
      cleanup();
      resolve(0);
    });
    const onClose = () => {
      cleanup();
      reject(new EicError('CONNECT', `connection to ${host} closed`, { hint: 'the instance may have rebooted, or the network dropped; run the command again' }));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new EicError('CONNECT', `connection to ${host} lost: ${error.message}`, { cause: error }));
    };
    const cleanup = () => {
      stop();
      client.off('close', onClose);
      client.off('error', onError);
    };
    client.once('close', onClose);
    client.once('error', onError);
  });
}
