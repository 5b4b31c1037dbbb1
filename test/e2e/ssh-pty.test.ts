// An interactive shell through a real pseudo-terminal: the PTY, TERM and window size
// reach the instance, the exit status comes back, and ~. disconnects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { runInPty } from '../support/pty-run.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => sandbox?.close());

const PROMPT = /\$ $/m;

describe('interactive sessions', () => {
  it('gives a shell a PTY with TERM and the window size, and returns its exit status', async () => {
    const result = await runInPty({
      args: [`${sandbox.userOf('web-1')}@web-1`],
      env: { ...process.env, ...sandbox.env, TERM: 'vt220' },
      size: { columns: 123, rows: 45 },
      steps: [{ after: PROMPT, type: 'echo "T=$TERM"; stty size; tty; exit 7\n' }],
    });
    expect(result.output).toContain('T=vt220');
    expect(result.output).toContain('45 123');
    expect(result.output).toMatch(/\/dev\/pts\/\d+/);
    expect(result.output).toContain(`Connection to ${sandbox.instance('web-1').instanceId} closed.`);
    expect(result.code).toBe(7);
  });

  it('disconnects on ~. and exits 255', async () => {
    const result = await runInPty({
      args: [`${sandbox.userOf('web-1')}@web-1`],
      env: { ...process.env, ...sandbox.env, TERM: 'xterm' },
      size: { columns: 80, rows: 24 },
      steps: [
        { after: PROMPT, type: 'echo before\n' },
        { after: /before[\s\S]*\$ $/m, type: '~.' },
      ],
    });
    expect(result.output).toContain('before');
    expect(result.output).toContain('~.');
    expect(result.code).toBe(255);
  });

  it('-T runs a shell without a PTY even on a terminal', async () => {
    const result = await runInPty({
      args: ['-T', `${sandbox.userOf('web-1')}@web-1`],
      env: { ...process.env, ...sandbox.env },
      size: { columns: 80, rows: 24 },
      steps: [{ after: null, type: 'tty; exit 3\n' }],
    });
    expect(result.output).toContain('not a tty');
    expect(result.code).toBe(3);
  });
});
