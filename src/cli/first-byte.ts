// For -v: reports when the first byte of remote output reaches the user, by handing
// the session an Io whose stdout and stderr notice their first write.
import { Writable } from 'node:stream';
import type { Io } from '../io.js';

export function firstByteWatch(io: Io, now: () => number, report: (ms: number) => void): Io {
  const started = now();
  let seen = false;
  const notice = () => {
    if (seen) return;
    seen = true;
    report(now() - started);
  };
  return { ...io, stdout: watch(io.stdout, notice), stderr: watch(io.stderr, notice) };
}

function watch(target: Writable, notice: () => void): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      if (chunk.length > 0) notice();
      // Keep the target's back-pressure: wait for 'drain' when it asks us to.
      if (target.write(chunk)) callback();
      else target.once('drain', () => callback());
    },
    final(callback) {
      callback();
    },
  });
}
