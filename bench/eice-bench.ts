// The EICE section of `npm run bench`: eic-ssh --via eice against --via direct on the
// same instance and sshd, as ratios: time to command (`true`) and throughput up
// (`cat > /dev/null` fed from a file) and down (`head -c`). Fresh processes, medians.
// The sandbox endpoint adds TLS + websocket framing + one more loopback hop; AWS's
// real endpoint also throttles "high volume" transfers (eice.md §8), unknown here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { median, ok, timed } from './measure.js';

const SAMPLES = Number(process.env.BENCH_EICE_SAMPLES ?? 5);
const CLI = fileURLToPath(new URL('../cli/eic-ssh.js', import.meta.url));
const MB = 1_000_000;
const MIB = 1024 * 1024;

export async function eiceBench(sandbox: Sandbox, env: NodeJS.ProcessEnv): Promise<string[]> {
  const user = sandbox.instance('bench').osUsers[0];
  const mib = Number(process.env.BENCH_EICE_MIB ?? 64);
  const work = mkdtempSync(join(tmpdir(), 'eic-ssh-eice-bench-'));
  const file = join(work, 'payload.bin');
  execFileSync('sh', ['-c', `head -c ${mib * MIB} /dev/urandom > "$1"`, 'sh', file]);
  const via = (route: string, ...rest: string[]) => [process.execPath, CLI, '--via', route, `${user}@bench`, ...rest];
  const results: Record<string, Record<'ttc' | 'up' | 'down', number>> = {};
  try {
    for (const route of ['direct', 'eice']) await timed(via(route, 'true'), env); // untimed: host key, page cache
    const samples: Record<string, Record<'ttc' | 'up' | 'down', number[]>> = {
      direct: { ttc: [], up: [], down: [] },
      eice: { ttc: [], up: [], down: [] },
    };
    // Interleaved, so both routes see the same machine load.
    for (let i = 0; i < SAMPLES; i++) {
      for (const route of ['direct', 'eice']) samples[route].ttc.push(ok(await timed(via(route, 'true'), env), `${route} true`).ms);
    }
    for (let i = 0; i < 3; i++) {
      for (const route of ['direct', 'eice']) {
        samples[route].up.push(ok(await timed(via(route, 'cat >/dev/null'), env, { stdinFile: file }), `${route} upload`).ms);
        samples[route].down.push(ok(await timed(via(route, `head -c ${mib * MIB} /dev/zero`), env), `${route} download`).ms);
      }
    }
    for (const route of ['direct', 'eice']) {
      results[route] = { ttc: median(samples[route].ttc), up: median(samples[route].up), down: median(samples[route].down) };
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const rate = (ms: number) => (mib * MIB) / MB / (ms / 1000);
  const d = results.direct;
  const e = results.eice;
  return [
    '',
    `EICE route (eic-ssh --via eice vs --via direct, same instance; ${SAMPLES} samples for time to command, 3 for throughput; medians):`,
    '',
    '| measure | EICE | direct | ratio (EICE / direct) |',
    '|---|---:|---:|---:|',
    `| time to command: \`true\` on a fresh process | ${e.ttc} ms | ${d.ttc} ms | ${(e.ttc / d.ttc).toFixed(2)}× |`,
    `| upload ${mib} MiB (\`cat >/dev/null\`) | ${rate(e.up).toFixed(1)} MB/s | ${rate(d.up).toFixed(1)} MB/s | ${(rate(e.up) / rate(d.up)).toFixed(2)}× |`,
    `| download ${mib} MiB (\`head -c\`) | ${rate(e.down).toFixed(1)} MB/s | ${rate(d.down).toFixed(1)} MB/s | ${(rate(e.down) / rate(d.down)).toFixed(2)}× |`,
  ];
}

