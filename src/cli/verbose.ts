// -v output: one line per phase with its duration, on stderr only. Nothing passed
// here may contain key material, tokens or signatures: callers log ids, names,
// addresses, fingerprints and timings.
import type { Io } from '../io.js';

export interface Verbose {
  level: number;
  log(line: string, minLevel?: number): void;
  // Runs `work`, then logs "<name> <ms> ms [<detail>]" at -v.
  phase<T>(name: string, work: () => Promise<T>, detail?: (result: T) => string): Promise<T>;
}

export function verbose(io: Io, level: number, now: () => number): Verbose {
  const log = (line: string, minLevel = 1) => {
    if (level >= minLevel) io.stderr.write(`eic-ssh: ${line}\n`);
  };
  return {
    level,
    log,
    async phase(name, work, detail) {
      const started = now();
      const result = await work();
      if (level >= 1) log(`${name.padEnd(10)} ${String(now() - started).padStart(5)} ms${detail ? `  ${detail(result)}` : ''}`);
      return result;
    },
  };
}
