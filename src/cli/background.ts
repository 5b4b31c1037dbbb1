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
import { awaitReady } from './await-ready.js';
import type { Verbose } from './verbose.js';

// Marks the detached copy (bin/ then gives it deps.notifyReady).
export const BACKGROUND_CHILD_ENV = 'EIC_SSH_BACKGROUND_CHILD';

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
  return awaitReady(child, {
    notReady: '-f: the background connection',
    cannotStart: '-f: cannot start the background process',
    onReady: (pid) => v.log(`in the background as pid ${pid}`),
  });
}
