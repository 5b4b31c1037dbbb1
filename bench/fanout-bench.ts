// Fan-out: `eic-ssh run` over 100 public instances against OpenSSH doing the same with
// a baked key, `xargs -P` at the same parallelism. Both start from nothing: eic-ssh
// resolves the selector, pushes 100 keys (rate-limited as in production) and connects;
// OpenSSH only connects.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFleet } from '../src/sandbox/fleet-gen.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { ok, timed } from './measure.js';

const CLI = fileURLToPath(new URL('../cli/eic-ssh.js', import.meta.url));
const HOSTS = Number(process.env.BENCH_FANOUT_HOSTS ?? 100);
const PARALLEL = 10;

export async function fanoutBench(work: string, keyPath: string): Promise<string[]> {
  const keyPair = [readFileSync(`${keyPath}.pub`, 'utf8')];
  const fleet = generateFleet(HOSTS, { prefix: 'fan', mixes: ['public'] }).map((spec) => ({ ...spec, keyPair }));
  const sandbox = await startSandbox({ fleet, hostKeyKinds: ['ed25519'] });
  try {
    const env = { ...process.env, ...sandbox.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const user = sandbox.instances()[0].osUsers[0];
    const addresses = join(work, 'fanout-addresses');
    writeFileSync(addresses, sandbox.instances().map((i) => i.publicIp).join('\n') + '\n');
    const knownHosts = join(work, 'fanout_known_hosts');
    const ssh = `ssh -i ${keyPath} -p ${sandbox.sshPort} -o BatchMode=yes -o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=accept-new -l ${user}`;
    const eic = await timed([process.execPath, CLI, 'run', 'fan-*', '--parallel', String(PARALLEL), '-l', user, '--', 'true'], env);
    ok(eic, 'eic-ssh run');
    const openssh = await timed(['sh', '-c', `xargs -P ${PARALLEL} -I{} ${ssh} {} true < ${addresses}`], env);
    ok(openssh, 'OpenSSH xargs -P');
    return [
      '',
      `Fan-out over ${HOSTS} public instances, ${PARALLEL} at a time (one run each):`,
      '',
      '| measure | eic-ssh run | OpenSSH (xargs -P) | ratio |',
      '|---|---:|---:|---:|',
      `| wall time, \`true\` on every host | ${eic.ms} ms | ${openssh.ms} ms | ${(eic.ms / openssh.ms).toFixed(2)}× |`,
    ];
  } finally {
    await sandbox.close();
  }
}
