// The copy section of `npm run bench`: eic-scp against OpenSSH scp on the same sandbox
// sshd, 256 MiB up and down (throughput, medians of interleaved runs, ratio), and
// eic-scp's peak resident memory during a 1 GiB copy (GNU time's %M, the kernel's
// maximum RSS; .ci/setup.sh installs it), which must stay flat whatever the size.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { median, ok, timed } from './measure.js';

const COPY_SAMPLES = Number(process.env.BENCH_COPY_SAMPLES ?? 3);
const MIB = 1024 * 1024;
const SCP_CLI = fileURLToPath(new URL('../cli/eic-scp.js', import.meta.url));

export async function copyBench(sandbox: Sandbox, keyPath: string, knownHosts: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const instance = sandbox.instance('bench');
  const user = instance.osUsers[0];
  const local = mkdtempSync(join(tmpdir(), 'eic-scp-bench-l-'));
  const remote = mkdtempSync(join(tmpdir(), 'eic-scp-bench-r-'));
  if (process.getuid?.() === 0) {
    chownSync(remote, Number(execFileSync('id', ['-u', user], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', user], { encoding: 'utf8' })));
  }
  const eicScp = (from: string, to: string) => [process.execPath, SCP_CLI, '-q', from, to];
  const scp = (from: string, to: string) => [
    'scp', '-q', '-i', keyPath, '-P', String(sandbox.sshPort), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new', from, to,
  ];
  const eicRemote = (path: string) => `${user}@bench:${path}`;
  const sshRemote = (path: string) => `${user}@${instance.publicIp}:${path}`;
  try {
    const file = join(local, 'payload.bin');
    execFileSync('sh', ['-c', `head -c ${256 * MIB} /dev/urandom > "$1"`, 'sh', file]);
    const runs = { eicUp: [] as number[], scpUp: [] as number[], eicDown: [] as number[], scpDown: [] as number[] };
    for (let i = 0; i < COPY_SAMPLES; i++) {
      runs.eicUp.push(ok(await timed(eicScp(file, eicRemote(`${remote}/up-eic.bin`)), env), 'eic-scp up').ms);
      runs.scpUp.push(ok(await timed(scp(file, sshRemote(`${remote}/up-scp.bin`)), env), 'scp up').ms);
      runs.eicDown.push(ok(await timed(eicScp(eicRemote(`${remote}/up-eic.bin`), join(local, 'down-eic.bin')), env), 'eic-scp down').ms);
      runs.scpDown.push(ok(await timed(scp(sshRemote(`${remote}/up-scp.bin`), join(local, 'down-scp.bin')), env), 'scp down').ms);
    }
    rmSync(file);
    const rate = (ms: number) => (256 / (ms / 1000)).toFixed(0);
    const row = (what: string, eic: number[], ssh: number[]) =>
      `| ${what} | ${rate(median(eic))} MiB/s (${median(eic)} ms) | ${rate(median(ssh))} MiB/s (${median(ssh)} ms) | ${(median(ssh) / median(eic)).toFixed(2)}× |`;

    const big = join(local, 'big.bin');
    execFileSync('sh', ['-c', `head -c ${1024 * MIB} /dev/zero > "$1"`, 'sh', big]);
    const peak = await peakMemory(eicScp(big, eicRemote(`${remote}/big.bin`)), env);
    // The same program copying 1 MiB: "flat" means the 1 GiB figure is about the same.
    const small = join(local, 'small.bin');
    execFileSync('sh', ['-c', `head -c ${MIB} /dev/zero > "$1"`, 'sh', small]);
    const baseline = await peakMemory(eicScp(small, eicRemote(`${remote}/small.bin`)), env);
    return [
      '',
      `Copy (eic-scp vs OpenSSH scp on the same sshd, direct route, ${COPY_SAMPLES} samples each, interleaved, medians; both include connection setup):`,
      '',
      '| copy of 256 MiB | eic-scp | OpenSSH scp | throughput ratio (eic-scp / scp) |',
      '|---|---:|---:|---:|',
      row('up (local → instance)', runs.eicUp, runs.scpUp),
      row('down (instance → local)', runs.eicDown, runs.scpDown),
      '',
      `eic-scp peak memory (max RSS) copying 1 GiB up: ${peak}`,
      `eic-scp peak memory (max RSS) copying 1 MiB up, for comparison: ${baseline}`,
    ];
  } finally {
    rmSync(local, { recursive: true, force: true });
    rmSync(remote, { recursive: true, force: true });
  }
}

// Max RSS of the process: GNU time's %M (KiB) when installed, else the kernel's VmHWM
// read from /proc while it runs.
async function peakMemory(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  if (existsSync('/usr/bin/time')) {
    const run = ok(await timed(['/usr/bin/time', '-f', 'EIC_MAXRSS %M', ...argv], env), 'eic-scp 1 GiB');
    const kib = Number(/EIC_MAXRSS (\d+)/.exec(run.stderr)?.[1]);
    return `${(kib / 1024).toFixed(0)} MiB (/usr/bin/time %M), in ${run.ms} ms`;
  }
  let hwm = 0;
  const run = await timed(argv, env, {
    sample: (pid) => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        // the process ended between samples
      }
    },
  });
  ok(run, 'eic-scp 1 GiB');
  return `${(hwm / 1024).toFixed(0)} MiB (VmHWM sampled from /proc), in ${run.ms} ms`;
}

