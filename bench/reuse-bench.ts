// The connection-reuse section of `npm run bench`: warm time to command (`true`) on
// a fresh process when an existing connection is reused — eic-ssh --reuse through
// its master (src/mux/) against OpenSSH with ControlMaster/ControlPersist — on the
// same sandbox sshd, as a ratio. Both masters are started untimed first and stopped
// at the end (`eic-ssh reuse --stop`, `ssh -O exit`). Medians, interleaved samples.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { median, ok, timed } from './measure.js';

const SAMPLES = Number(process.env.BENCH_REUSE_SAMPLES ?? 11);
const FIRST_SAMPLES = Number(process.env.BENCH_REUSE_FIRST_SAMPLES ?? 5);
const CLI = fileURLToPath(new URL('../cli/eic-ssh.js', import.meta.url));

export async function reuseBench(sandbox: Sandbox, keyPath: string, knownHosts: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const instance = sandbox.instance('bench');
  const user = instance.osUsers[0];
  // Short paths: both control sockets must fit sockaddr_un.
  const work = mkdtempSync(join(tmpdir(), 'eic-rb-'));
  const eicEnv = { ...env, EIC_SSH_HOME: work };
  const eic = [process.execPath, CLI, '--reuse', '--persist', '5m', `${user}@bench`, 'true'];
  const control = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(work, 'cm-%C')}`, '-o', 'ControlPersist=5m'];
  const sshBase = [
    'ssh', '-i', keyPath, '-p', String(sandbox.sshPort), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new', ...control,
  ];
  const ssh = [...sshBase, `${user}@${instance.publicIp}`, 'true'];
  const eicTimes: number[] = [];
  const sshTimes: number[] = [];
  // For scale: the runtime's own start, which every eic-ssh invocation pays first.
  const nodeTimes: number[] = [];
  // The price of reuse being on by default: the first invocation starts the master (one
  // more process) before its session, against the same invocation with --no-reuse.
  const firstTimes: number[] = [];
  const directTimes: number[] = [];
  const stopMasters = () => timed([process.execPath, CLI, 'reuse', '--stop'], eicEnv);
  const first = [process.execPath, CLI, `${user}@bench`, 'true'];
  const direct = [process.execPath, CLI, '--no-reuse', `${user}@bench`, 'true'];
  try {
    for (let i = 0; i < FIRST_SAMPLES; i++) {
      await stopMasters();
      firstTimes.push(ok(await timed(first, { ...eicEnv, EIC_SSH_REUSE: '1' }), 'eic-ssh starting a master').ms);
      directTimes.push(ok(await timed(direct, eicEnv), 'eic-ssh --no-reuse').ms);
    }
    await stopMasters();
    ok(await timed(eic, eicEnv), 'eic-ssh --reuse (starting the master)');
    ok(await timed(ssh, env), 'ssh ControlMaster (starting the master)');
    for (let i = 0; i < SAMPLES; i++) {
      eicTimes.push(ok(await timed(eic, eicEnv), 'eic-ssh --reuse').ms);
      nodeTimes.push(ok(await timed([process.execPath, '-e', '0'], eicEnv), 'node -e 0').ms);
      sshTimes.push(ok(await timed(ssh, env), 'ssh ControlMaster').ms);
    }
  } finally {
    await timed([process.execPath, CLI, 'reuse', '--stop'], eicEnv);
    await timed([...sshBase, '-O', 'exit', `${user}@${instance.publicIp}`], env);
    rmSync(work, { recursive: true, force: true });
  }
  const e = median(eicTimes);
  const s = median(sshTimes);
  return [
    '',
    `Connection reuse — warm time to command, ${SAMPLES} samples each, interleaved, medians`,
    '',
    '| measure | eic-ssh --reuse | OpenSSH ControlMaster | ratio (eic-ssh / OpenSSH) |',
    '|---|---:|---:|---:|',
    `| \`true\` on a fresh process through an existing master | ${e} ms | ${s} ms | ${(e / s).toFixed(2)}× |`,
    `| for scale: \`node -e 0\` (Node's own start, included above) | ${median(nodeTimes)} ms | | |`,
    '',
    `The first invocation with reuse on (it starts the master), against the same with --no-reuse, ${FIRST_SAMPLES} samples each, medians`,
    '',
    '| measure | first invocation, starting a master | --no-reuse | ratio |',
    '|---|---:|---:|---:|',
    `| \`true\` | ${median(firstTimes)} ms | ${median(directTimes)} ms | ${(median(firstTimes) / median(directTimes)).toFixed(2)}× |`,
  ];
}

