// ssh -f: "go to background just before command execution", i.e. after
// authentication. Node cannot fork a running process, so the parent starts a
// detached copy of itself (same argv, stdin from /dev/null, stdout/stderr shared as
// ssh -f keeps them) and waits: once the copy has authenticated and started its
// forwards it says "ready" over an IPC channel and the parent exits 0; if the copy
// fails first, its error is already on the shared stderr and the parent exits with
// its status.
import { spawn } from 'node:child_process';
import type { Deps } from '../deps.js';
import { EicError } from '../errors.js';
import type { Io } from '../io.js';
import type { Verbose } from './verbose.js';

// Marks the detached copy (bin/ then gives it deps.notifyReady).
export const BACKGROUND_CHILD_ENV = 'EIC_SSH_BACKGROUND_CHILD';
// Longer than any connect: resolve, push (with retries) and the 20 s connect timeout.
const READY_TIMEOUT_MS = 120_000;

export function goToBackground(argv: string[], io: Io, deps: Deps, v: Verbose): Promise<number> {
  const self = deps.selfCommand;
  if (!self || self.length === 0) {
    return Promise.reject(new EicError('LOCAL_IO', '-f needs the eic-ssh program itself to start again', { hint: 'run eic-ssh from the command line' }));
  }
  const child = spawn(self[0], [...self.slice(1), ...argv], {
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...io.env, [BACKGROUND_CHILD_ENV]: '1' } as NodeJS.ProcessEnv,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new EicError('CONNECT_TIMEOUT', `-f: the background connection was not ready within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      child.removeAllListeners();
    };
    child.once('message', (message: unknown) => {
      if ((message as { ready?: boolean } | null)?.ready !== true) return;
      done();
      v.log(`in the background as pid ${child.pid}`);
      child.disconnect();
      child.unref();
      resolve(0);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? (signal ? 255 : 0));
    });
    child.once('error', (error) => {
      done();
      reject(new EicError('LOCAL_IO', `-f: cannot start the background process: ${error.message}`, { cause: error }));
    });
  });
}
