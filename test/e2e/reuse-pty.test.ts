// Interactive sessions through a connection-reuse master, in a real pseudo-terminal
// (script(1), built CLI): the pty request with TERM and window size, the exit status,
// and ~. (which ends only this session, not the master).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, runInPty } from '../support/pty-run.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let state: string;
let env: Record<string, string>;
let masterPid: number | undefined;
const PROMPT = /\$ $/m;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  state = mkdtempSync(join(tmpdir(), 'eic-reuse-pty-'));
  env = { ...(sandbox.env as Record<string, string>), PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: state, EIC_SSH_HOME: state, EIC_SSH_REUSE: '1' };
});
afterAll(async () => {
  if (masterPid !== undefined) {
    try {
      process.kill(masterPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await sandbox?.close();
  rmSync(state, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

const pushes = () => sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey').length;

describe('interactive sessions through a reuse master', () => {
  it('get a PTY with TERM and size, return the exit status, and ~. leaves the master running', async () => {
    const user = sandbox.userOf('web-1');
    expect((await cli([`${user}@web-1`, 'true'])).code).toBe(0);
    const listed = await cli(['reuse', '--list']);
    masterPid = Number(listed.stdout.trim().split('\n')[1].split('\t')[4]);
    expect(masterPid).toBeGreaterThan(0);
    const before = pushes();

    const shell = await runInPty({
      args: [`${user}@web-1`],
      env: { ...env, TERM: 'vt220' },
      size: { columns: 111, rows: 33 },
      steps: [{ after: PROMPT, type: 'echo "T=$TERM"; stty size; tty; exit 7\n' }],
    });
    expect(shell.output).toContain('T=vt220');
    expect(shell.output).toContain('33 111');
    expect(shell.output).toMatch(/\/dev\/pts\/\d+/);
    expect(shell.output).toContain('Connection to web-1 closed.');
    expect(shell.code).toBe(7);

    const escaped = await runInPty({
      args: [`${user}@web-1`],
      env: { ...env, TERM: 'xterm' },
      size: { columns: 80, rows: 24 },
      steps: [
        { after: PROMPT, type: 'echo before\n' },
        { after: /before[\s\S]*\$ $/m, type: '~.' },
      ],
    });
    expect(escaped.output).toContain('before');
    expect(escaped.code).toBe(255);

    expect(pushes()).toBe(before);
    const after = await cli([`${user}@web-1`, 'echo still-here']);
    expect(after.stdout).toBe('still-here\n');
    expect(pushes()).toBe(before);
    expect((await cli(['reuse', '--stop'])).code).toBe(0);
  });
});
