// Waits for a detached copy of eic-ssh (ssh -f's background connection, a reuse
// master) to say "ready" over its IPC channel, then lets it go: the parent resolves 0
// and no longer keeps it attached. If the child exits first, its exit status is the
// answer; if it says nothing for too long, it is killed.
import type { ChildProcess } from 'node:child_process';
import { EicError } from '../errors.js';

// Longer than any connect: resolve, push (with retries) and the 20 s connect timeout.
export const READY_TIMEOUT_MS = 120_000;

export interface ReadyLabels {
  // Names the child in errors: "-f: the background connection", "connection reuse: the master".
  notReady: string;
  cannotStart: string;
  timeoutHint?: string;
  onReady(pid: number | undefined): void;
}

export function awaitReady(child: ChildProcess, labels: ReadyLabels): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new EicError('CONNECT_TIMEOUT', `${labels.notReady} was not ready within ${READY_TIMEOUT_MS / 1000} s`, { hint: labels.timeoutHint }));
    }, READY_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      child.removeAllListeners();
    };
    child.once('message', (message: unknown) => {
      if ((message as { ready?: boolean } | null)?.ready !== true) return;
      done();
      labels.onReady(child.pid);
      if (child.connected) child.disconnect();
      child.unref();
      resolve(0);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? (signal ? 255 : 0));
    });
    child.once('error', (error) => {
      done();
      reject(new EicError('LOCAL_IO', `${labels.cannotStart}: ${error.message}`, { cause: error }));
    });
  });
}
