// The SSM section of `npm run bench`: eic-ssh --via ssm time to command and
// throughput, in both of the sandbox agent's pacing modes (ssm.md §18): 'faithful'
// (the real agent: ≤ 1024-byte reads and a 1 ms sleep) and 'fast'. The reference is
// the official plugin's design ceiling of ~0.77 MB/s upload (§18); the target
// is ≥ 10× that for upload in fast mode. Fresh processes, medians.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { median, ok, timed } from './measure.js';

const SAMPLES = Number(process.env.BENCH_SSM_SAMPLES ?? 5);
const CLI = fileURLToPath(new URL('../cli/eic-ssh.js', import.meta.url));
const MB = 1_000_000;
const MIB = 1024 * 1024;
const PLUGIN_UPLOAD_MBPS = 0.77; // ssm.md §18

export async function ssmBench(sandbox: Sandbox, env: NodeJS.ProcessEnv): Promise<string[]> {
  const user = sandbox.instance('bench').osUsers[0];
  const work = mkdtempSync(join(tmpdir(), 'eic-ssh-ssm-bench-'));
  const upMiB = Number(process.env.BENCH_SSM_MIB ?? 32);
  const file = join(work, 'payload.bin');
  execFileSync('sh', ['-c', `head -c ${upMiB * MIB} /dev/urandom > "$1"`, 'sh', file]);
  const ssm = (...rest: string[]) => [process.execPath, CLI, '--via', 'ssm', `${user}@bench`, ...rest];
  const rows: string[] = [];
  const saved = sandbox.world.knobs.ssmPacing;
  try {
    await timed(ssm('true'), env); // untimed: host key, page cache
    for (const pacing of ['faithful', 'fast'] as const) {
      sandbox.world.knobs.ssmPacing = pacing;
      const ttc: number[] = [];
      for (let i = 0; i < SAMPLES; i++) ttc.push(ok(await timed(ssm('true'), env), `ssm true (${pacing})`).ms);
      rows.push(`| ${pacing} | time to command (\`true\`) | ${median(ttc)} ms | |`);
      for (const chunk of ['1024', '16384']) {
        const chunkEnv = { ...env, EIC_SSH_SSM_CHUNK_SIZE: chunk };
        const up: number[] = [];
        for (let i = 0; i < 3; i++) up.push(ok(await timed(ssm('cat >/dev/null'), chunkEnv, { stdinFile: file }), `ssm upload (${pacing})`).ms);
        const upRate = (upMiB * MIB) / MB / (median(up) / 1000);
        rows.push(`| ${pacing} | upload ${upMiB} MiB, client chunk ${chunk} B | ${upRate.toFixed(2)} MB/s (${median(up)} ms) | ${(upRate / PLUGIN_UPLOAD_MBPS).toFixed(1)}× |`);
      }
      // Download is paced by the agent (§18): fewer bytes in faithful mode.
      const downMiB = pacing === 'faithful' ? 4 : upMiB;
      const down: number[] = [];
      for (let i = 0; i < 3; i++) down.push(ok(await timed(ssm(`head -c ${downMiB * MIB} /dev/zero`), env), `ssm download (${pacing})`).ms);
      const downRate = (downMiB * MIB) / MB / (median(down) / 1000);
      rows.push(`| ${pacing} | download ${downMiB} MiB | ${downRate.toFixed(2)} MB/s (${median(down)} ms) | ${(downRate / PLUGIN_UPLOAD_MBPS).toFixed(1)}× |`);
    }
  } finally {
    sandbox.world.knobs.ssmPacing = saved;
    rmSync(work, { recursive: true, force: true });
  }
  return [
    '',
    `SSM route (eic-ssh --via ssm, sandbox agent pacing modes, fresh processes, medians; throughput includes session setup; ratio vs the official plugin's ~${PLUGIN_UPLOAD_MBPS} MB/s, ssm.md §18):`,
    '',
    '| agent pacing | measure | eic-ssh | vs 0.77 MB/s |',
    '|---|---|---:|---:|',
    ...rows,
  ];
}

