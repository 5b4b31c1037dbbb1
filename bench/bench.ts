// `npm run bench`: eic-ssh against plain OpenSSH on the same sandbox sshd, side by
// side in one run, reported as medians and ratios. Both clients are started as fresh
// processes for every sample, as a user or a script would start them. OpenSSH uses a
// key baked into the image (an EC2 launch key pair), so it pays no AWS round trip;
// eic-ssh pays for resolving the target and pushing a fresh key every time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { copyBench } from './copy-bench.js';
import { ssmBench } from './ssm-bench.js';
import { eiceBench } from './eice-bench.js';
import { reuseBench } from './reuse-bench.js';
import { fanoutBench } from './fanout-bench.js';
import { median, ok, timed } from './measure.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 11);
const CLI = fileURLToPath(new URL('../cli/eic-ssh.js', import.meta.url));
const PHASES = ['resolve', 'key', 'push', 'connect', 'auth', 'first byte'];

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'eic-ssh-bench-'));
  const keyPath = join(work, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
  const sandbox = await startSandbox({ fleet: [{ name: 'bench', keyPair: [readFileSync(`${keyPath}.pub`, 'utf8')], ssm: true }] });
  try {
    const instance = sandbox.instance('bench');
    const user = instance.osUsers[0];
    // EIC_SSH_REUSE=0: every section measures fresh connections (cold time to command,
    // each route, copies, fan-out), except the reuse section, whose --reuse overrides it.
    const env = { ...process.env, ...sandbox.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', EIC_SSH_REUSE: '0' };
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
    // OpenSSH with a key pushed the way eic-ssh pushes its own (into the sandbox's key
    // store, read by the instance's AuthorizedKeysCommand): the instance-side cost of
    // EC2 Instance Connect without eic-ssh's client-side work.
    const pushedKeyPath = join(work, 'id_pushed');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', pushedKeyPath]);
    const pushedKey = readFileSync(`${pushedKeyPath}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const opensshPushed = openssh.map((arg) => (arg === keyPath ? pushedKeyPath : arg));
    const pushedTimes: number[] = [];
    const phases = new Map<string, number[]>(PHASES.map((p) => [p, []]));
    for (let i = 0; i < SAMPLES; i++) {
      // Interleaved, so both see the same machine load.
      eicTimes.push(ok(await timed(eic, env), 'eic-ssh').ms);
      sshTimes.push(ok(await timed(openssh, env), 'OpenSSH ssh').ms);
      sandbox.world.pushKey({ instanceId: instance.instanceId, osUser: user, publicKey: pushedKey, callerArn: sandbox.principal.arn });
      pushedTimes.push(ok(await timed(opensshPushed, env), 'OpenSSH ssh with a pushed key').ms);
      const verbose = ok(await timed(eicVerbose, env), 'eic-ssh -v');
      for (const phase of PHASES) {
        const match = new RegExp(`eic-ssh: ${phase} +(\\d+) ms`).exec(verbose.stderr);
        if (match) phases.get(phase)!.push(Number(match[1]));
      }
    }
    report(eicTimes, sshTimes, pushedTimes, phases);
    // Copy throughput and memory (bench/copy-bench.ts); BENCH_COPY=0 skips it.
    if (process.env.BENCH_COPY !== '0') process.stdout.write((await copyBench(sandbox, keyPath, join(work, 'known_hosts'), env)).join('\n') + '\n');
    // SSM time to command and throughput in both agent pacing modes (bench/ssm-bench.ts); BENCH_SSM=0 skips it.
    if (process.env.BENCH_SSM !== '0') process.stdout.write((await ssmBench(sandbox, env)).join('\n') + '\n');
    // EICE against direct: time to command and throughput (bench/eice-bench.ts); BENCH_EICE=0 skips it.
    if (process.env.BENCH_EICE !== '0') process.stdout.write((await eiceBench(sandbox, env)).join('\n') + '\n');
    // Warm time to command through a reused connection vs OpenSSH ControlMaster (bench/reuse-bench.ts); BENCH_REUSE=0 skips it.
    if (process.env.BENCH_REUSE !== '0') process.stdout.write((await reuseBench(sandbox, keyPath, join(work, 'known_hosts'), env)).join('\n') + '\n');
    // eic-ssh run over 100 instances vs OpenSSH with xargs -P (bench/fanout-bench.ts); BENCH_FANOUT=0 skips it.
    if (process.env.BENCH_FANOUT !== '0') process.stdout.write((await fanoutBench(work, keyPath)).join('\n') + '\n');
  } finally {
    await sandbox.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function report(eicTimes: number[], sshTimes: number[], pushedTimes: number[], phases: Map<string, number[]>): void {
  const eic = median(eicTimes);
  const ssh = median(sshTimes);
  const pushed = median(pushedTimes);
  const lines = [
    `eic-ssh benchmark — node ${process.version}, ${SAMPLES} samples each, interleaved, medians`,
    '',
    '| measure | eic-ssh | OpenSSH | ratio (eic-ssh / OpenSSH) |',
    '|---|---:|---:|---:|',
    `| time to command: \`true\` on a fresh process (direct route) | ${eic} ms | ${ssh} ms | ${(eic / ssh).toFixed(2)}× |`,
    `| the same, OpenSSH authenticating with a key pushed through EC2 Instance Connect | ${eic} ms | ${pushed} ms | ${(eic / pushed).toFixed(2)}× |`,
    '',
    'eic-ssh phases (from -v, medians):',
    '',
    '| phase | ms |',
    '|---|---:|',
    // `true` prints nothing, so there is no first byte to time here.
    ...PHASES.filter((p) => phases.get(p)!.length > 0).map((p) => `| ${p} | ${median(phases.get(p)!)} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
