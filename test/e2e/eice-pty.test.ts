// Through EICE with real terminals and real clients: an interactive PTY session of the
// built eic-ssh, and OpenSSH's ssh(1) using `eic-ssh tunnel %h` as its ProxyCommand.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { BUILT_CLI, runInPty } from '../support/pty-run.js';

let sandbox: TestSandbox;
let work: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  work = mkdtempSync(join(tmpdir(), 'eic-ssh-eice-pty-'));
});
afterAll(async () => {
  await sandbox?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const PROMPT = /\$ $/m;

describe('EICE with real terminals and clients', () => {
  it('runs an interactive shell with a PTY on a private instance and returns its exit status', async () => {
    const before = sandbox.world.tunnels.length;
    const result = await runInPty({
      args: ['--via', 'eice', `${sandbox.userOf('db-1')}@db-1`],
      env: { ...process.env, ...sandbox.env, TERM: 'xterm' },
      size: { columns: 101, rows: 33 },
      steps: [{ after: PROMPT, type: 'stty size; tty; exit 5\n' }],
    });
    expect(result.output).toContain('33 101');
    expect(result.output).toMatch(/\/dev\/pts\/\d+/);
    expect(result.code).toBe(5);
    expect(sandbox.world.tunnels.length).toBe(before + 1);
  });

  it('serves as an OpenSSH ProxyCommand (eic-ssh tunnel %h), carrying the exit status', async () => {
    const db = sandbox.instance('db-1');
    const user = sandbox.userOf('db-1');
    const key = join(work, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    // The tunnel pushes no key; this test pushes one the way SendSSHPublicKey would.
    sandbox.world.pushKey({ instanceId: db.instanceId, osUser: user, publicKey: readFileSync(`${key}.pub`, 'utf8').trim(), callerArn: sandbox.principal.arn });
    const proxy = `'${process.execPath}' '${BUILT_CLI}' tunnel %h`;
    const args = ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', `ProxyCommand=${proxy}`, `${user}@db-1`, 'echo hello through the endpoint; exit 3'];
    const child = spawn('ssh', args, { env: { ...process.env, ...sandbox.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stdout, stderr).toBe('hello through the endpoint\n');
    expect(code).toBe(3);
  });
});
