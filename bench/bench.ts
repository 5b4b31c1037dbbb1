// `npm run bench`: eic-ssh against plain OpenSSH on the same sandbox sshd, side by
// side in one run, reported as medians and ratios. Both clients are started as fresh
// processes for every sample, as a user or a script would start them. OpenSSH uses a
// key baked into the image (an EC2 launch key pair), so it pays no AWS round trip;
// eic-ssh pays for resolving the target and pushing a fresh key every time.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../src/sandbox/sandbox.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 11);
const CLI = fileURLToPath(new URL('../cli/eic-ssh.js', import.meta.url));
const PHASES = ['resolve', 'key', 'push', 'connect', 'auth', 'first byte'];

interface Sample {
  ms: number;
  code: number | null;
  stderr: string;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'eic-ssh-bench-'));
  const keyPath = join(work, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
  const sandbox = await startSandbox({ fleet: [{ name: 'bench', keyPair: [readFileSync(`${keyPath}.pub`, 'utf8')] }] });
  try {
    const instance = sandbox.instance('bench');
    const user = instance.osUsers[0];
    const env = { ...process.env, ...sandbox.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const eic = [process.execPath, CLI, `${user}@bench`, 'true'];
    const eicVerbose = [process.execPath, CLI, '-v', `${user}@bench`, 'true'];
    const openssh = [
      'ssh', '-i', keyPath, '-p', String(sandbox.sshPort), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${join(work, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=accept-new',
      `${user}@${instance.publicIp}`, 'true',
    ];
    // One untimed run each: record host keys, warm the page cache.
    await timed(eic, env);
    await timed(openssh, env);
    const eicTimes: number[] = [];
    const sshTimes: number[] = [];
    const phases = new Map<string, number[]>(PHASES.map((p) => [p, []]));
    for (let i = 0; i < SAMPLES; i++) {
      // Interleaved, so both see the same machine load.
      eicTimes.push(check(await timed(eic, env), 'eic-ssh').ms);
      sshTimes.push(check(await timed(openssh, env), 'OpenSSH ssh').ms);
      const verbose = check(await timed(eicVerbose, env), 'eic-ssh -v');
      for (const phase of PHASES) {
        const match = new RegExp(`eic-ssh: ${phase} +(\\d+) ms`).exec(verbose.stderr);
        if (match) phases.get(phase)!.push(Number(match[1]));
      }
    }
    report(eicTimes, sshTimes, phases);
  } finally {
    await sandbox.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function report(eicTimes: number[], sshTimes: number[], phases: Map<string, number[]>): void {
  const eic = median(eicTimes);
  const ssh = median(sshTimes);
  const lines = [
    `eic-ssh benchmark — node ${process.version}, ${SAMPLES} samples each, interleaved, medians`,
    '',
    '| measure | eic-ssh | OpenSSH | ratio (eic-ssh / OpenSSH) |',
    '|---|---:|---:|---:|',
    `| time to command: \`true\` on a fresh process (direct route) | ${eic} ms | ${ssh} ms | ${(eic / ssh).toFixed(2)}× |`,
    '',
    'eic-ssh phases (from -v, medians):',
    '',
    '| phase | ms |',
    '|---|---:|',
    ...PHASES.map((p) => `| ${p} | ${phases.get(p)!.length ? median(phases.get(p)!) : '-'} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function check(sample: Sample, what: string): Sample {
  if (sample.code !== 0) throw new Error(`${what} failed (exit ${sample.code}): ${sample.stderr.trim()}`);
  return sample;
}

function timed(argv: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ms: Number((process.hrtime.bigint() - started) / 1_000_000n), code, stderr }));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

await main();
