// The ephemeral private key never touches disk (issue 7, "Key hygiene"): run every
// kind of eic-ssh invocation — ssh exec on each route, `eic-ssh openssh` (system ssh
// with the key in a private agent), `eic-ssh serial`, an interactive PTY session
// (the built CLI in a real terminal), cp both ways, proxy, tunnel, audit and pinned
// host keys — then scan for private-key material: strictly (any key is a failure) in
// the test home and a private TMPDIR the runs use; and in the shared /tmp and /dev/shm
// (other engineers' tests write keys there) for any private key whose public half was
// pushed by these runs. The sandbox's own state dir (its instances' host keys) is excluded.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/main.js';
import { publicBlobsOf, scanForKeyMaterial } from '../support/key-scan.js';
import { runInPty } from '../support/pty-run.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { testIo } from '../support/test-io.js';

let sandbox: TestSandbox;
let privateTmp: string;
let savedTmpdir: string | undefined;
const startedAt = Date.now() - 2000;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  privateTmp = mkdtempSync(join(tmpdir(), 'eic-hygiene-'));
  // In-process runs call os.tmpdir(), which reads TMPDIR each time.
  savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = privateTmp;
});
afterAll(async () => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  rmSync(privateTmp, { recursive: true, force: true });
  await sandbox?.close();
});

const pushedBlobs = () => new Set(sandbox.world.pushedKeys.map((k) => k.publicKey.split(' ')[1]));

function strictFindings(): string[] {
  const exclude = [sandbox.stateDir];
  return [sandbox.home, privateTmp].flatMap((root) => scanForKeyMaterial(root, { since: 0, exclude }).map((f) => `${f.path} (${f.marker})`));
}

function sharedFindingsOfOurs(): string[] {
  const ours = pushedBlobs();
  const exclude = [sandbox.stateDir, sandbox.home, privateTmp, '/tmp/bash_jobs.0'];
  return ['/tmp', '/dev/shm']
    .filter((root) => existsSync(root))
    .flatMap((root) => scanForKeyMaterial(root, { since: startedAt, exclude, maxDepth: 6 }))
    .filter((f) => publicBlobsOf(f.text).some((blob) => ours.has(blob)))
    .map((f) => f.path);
}

describe('key hygiene', () => {
  it('the scanners find a planted key (strict roots) and a planted pushed key (shared roots)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const planted = join(sandbox.home, 'planted', 'id');
    mkdirSync(join(sandbox.home, 'planted'));
    writeFileSync(planted, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(strictFindings()).toEqual([`${planted} (PRIVATE KEY)`]);
    rmSync(join(sandbox.home, 'planted'), { recursive: true });
    expect(strictFindings()).toEqual([]);

    // As if one of our pushed keys had leaked into shared /tmp.
    const jwk = publicKey.export({ format: 'jwk' });
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(Buffer.from(jwk.x!, 'base64url'))]).toString('base64');
    const leakDir = mkdtempSync('/tmp/eic-hygiene-leak-');
    try {
      writeFileSync(join(leakDir, 'k'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      sandbox.world.pushedKeys.push({ instanceId: 'i-0', osUser: 'x', publicKey: `ssh-ed25519 ${blob}`, expiresAt: 0, requestId: 'planted', callerArn: '' });
      expect(sharedFindingsOfOurs()).toEqual([join(leakDir, 'k')]);
    } finally {
      sandbox.world.pushedKeys.pop();
      rmSync(leakDir, { recursive: true, force: true });
    }
  });

  it('after ssh (every route), run, openssh, serial, pty through a reuse master, cp, proxy, tunnel, audit and pinning, no private key is on disk', async () => {
    const web1 = sandbox.instance('web-1');
    const w = sandbox.userOf('web-1');
    const d = sandbox.userOf('db-1');
    const pushesBefore = sandbox.world.pushedKeys.length;
    const audit = join(sandbox.home, 'audit.jsonl');

    // ssh exec on each route, with audit and console-pinned host keys; RSA too.
    for (const [via, target, user] of [
      ['direct', 'web-1', w],
      ['eice', 'db-1', d],
      ['ssm', 'db-1', d],
    ]) {
      const r = await sandbox.run(['--via', via, '--audit', audit, '--host-key-source', 'console', `${user}@${target}`, 'echo ok'], {
        env: { EIC_SSH_KNOWN_HOSTS: join(sandbox.home, 'kh') },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdoutText).toBe('ok\n');
    }
    const rsa = await sandbox.run(['--key-type', 'rsa', `${w}@web-1`, 'true']);
    expect(rsa.code, rsa.stderr).toBe(0);

    // cp up and down.
    const local = join(sandbox.home, 'files');
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 'up.txt'), 'payload\n');
    const remote = `/tmp/eic-hygiene-${randomBytes(4).toString('hex')}.txt`;
    expect((await sandbox.run(['cp', join(local, 'up.txt'), `${w}@web-1:${remote}`])).code).toBe(0);
    expect((await sandbox.run(['cp', `${w}@web-1:${remote}`, join(local, 'down.txt')])).code).toBe(0);
    expect(readFileSync(join(local, 'down.txt'), 'utf8')).toBe('payload\n');

    // proxy (pushes a public key only; relays the server greeting).
    const pub = join(sandbox.home, 'user.pub');
    const { publicKey } = generateKeyPairSync('ed25519');
    const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    writeFileSync(pub, `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(x)]).toString('base64')} me@here\n`);
    const proxied = await sandbox.run(['proxy', '--push-key', pub, `${w}@${web1.instanceId}:${sandbox.sshPort}`], { stdin: '' });
    expect(proxied.code, proxied.stderr).toBe(0);
    expect(proxied.stdoutText.startsWith('SSH-2.0-OpenSSH')).toBe(true);

    // tunnel (stdio mode).
    const stdin = new PassThrough();
    const io = testIo({ stdin, env: { ...sandbox.env } });
    const running = main(['tunnel', 'db-1'], io, sandbox.deps());
    await vi.waitFor(() => expect(io.stdoutText()).toMatch(/^SSH-2\.0-OpenSSH/), { timeout: 20_000 });
    stdin.end();
    expect(await running).toBe(0);

    // A fleet run (one key per host).
    const fleet = await sandbox.run(['run', 'web-1,web-2', '--', 'echo run-ok'], { env: { EIC_SSH_KNOWN_HOSTS: join(sandbox.home, 'kh-r') } });
    expect(fleet.code, fleet.stderr).toBe(0);
    expect(fleet.stdoutText.split('\n').filter(Boolean).sort()).toEqual(['web-1 | run-ok', 'web-2 | run-ok']);

    // The system OpenSSH client with the key in the private in-memory agent.
    const viaOpenssh = await sandbox.run(['openssh', `${w}@web-1`, 'echo openssh-ok'], { env: { EIC_SSH_KNOWN_HOSTS: join(sandbox.home, 'kh-o') } });
    expect(viaOpenssh.code, viaOpenssh.stderr).toBe(0);
    expect(viaOpenssh.stdoutText).toBe('openssh-ok\n');

    // The serial console (its own push and endpoint).
    const serial = await sandbox.run(['serial', 'web-1'], { stdin: 'root\n' });
    expect(serial.code, serial.stderr).toBe(0);

    // An interactive session in a real terminal, from the built CLI, with the same home
    // and the private TMPDIR, through a connection-reuse master (on by default) that
    // the built CLI starts: the master holds the key in memory only.
    const pty = await runInPty({
      args: [`${w}@web-1`],
      env: { ...process.env, ...sandbox.env, HOME: sandbox.home, TMPDIR: privateTmp, TERM: 'xterm', EIC_SSH_REUSE: '1' },
      size: { columns: 80, rows: 24 },
      steps: [{ after: /\$ $/m, type: 'echo pty-ok; exit 5\n' }],
    });
    expect(pty.output).toContain('pty-ok');
    expect(pty.code).toBe(5);
    const stopped = await sandbox.run(['reuse', '--stop']);
    expect(stopped.stderr).toMatch(new RegExp(`^Stopped the master for ${w}@${web1.instanceId} \\(direct\\) \\(pid \\d+\\)\n$`));

    // Every kind of run pushed keys (the scan below looks for their private halves).
    expect(sandbox.world.pushedKeys.length - pushesBefore).toBeGreaterThanOrEqual(11);
    expect(readFileSync(audit, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(strictFindings()).toEqual([]);
    expect(sharedFindingsOfOurs()).toEqual([]);
  });
});
