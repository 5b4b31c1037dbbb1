// Shared by every benchmark section: run a command as a fresh process and time it,
// check it succeeded, and take medians.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface Run {
  ms: number;
  code: number | null;
  stderr: string;
}

export interface TimedOptions {
  // A file to use as the command's stdin (default: none).
  stdinFile?: string;
  // Called every 50 ms with the child's pid while it runs (e.g. to sample its memory).
  sample?: (pid: number) => void;
}

export function timed(argv: string[], env: NodeJS.ProcessEnv, options: TimedOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const input = options.stdinFile ? openSync(options.stdinFile, 'r') : undefined;
    const started = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { env, stdio: [input ?? 'ignore', 'ignore', 'pipe'] });
    if (input !== undefined) closeSync(input);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const sampler = options.sample && child.pid ? setInterval(() => options.sample!(child.pid!), 50) : undefined;
    child.on('error', reject);
    // 'close' rather than 'exit': the run is over when its stderr is drained too.
    child.on('close', (code) => {
      if (sampler) clearInterval(sampler);
      resolve({ ms: Number((process.hrtime.bigint() - started) / 1_000_000n), code, stderr });
    });
  });
}

export function ok(run: Run, what: string): Run {
  if (run.code !== 0) throw new Error(`${what} failed (exit ${run.code}): ${run.stderr.trim()}`);
  return run;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}
