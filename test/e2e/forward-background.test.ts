// -f with the BUILT CLI (`npm run build` first): the command returns 0 once the
// detached copy has authenticated and bound its forwards, the forward keeps working
// after the command has exited, and a failure before that is reported by the
// command itself with exit 255.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEchoHttp, type EchoHttp } from '../support/forward-helpers.js';
import { requireBuiltCli } from '../support/openssh.js';
import { BUILT_CLI } from '../support/pty-run.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let http: EchoHttp;
const backgroundPids: number[] = [];
beforeAll(async () => {
  requireBuiltCli();
  sandbox = await startTestSandbox();
  http = await startEchoHttp();
});
afterAll(async () => {
  for (const pid of backgroundPids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await http?.close();
  await sandbox?.close();
});

// Runs the CLI and resolves at its exit, with the stderr seen so far (the detached
// copy shares the stderr pipe, so 'close' would wait for it too).
function runUntilExit(args: string[]): Promise<{ code: number | null; stderr: () => string }> {
  const child = spawn(process.execPath, [BUILT_CLI, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox.home, ...sandbox.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`eic-ssh -f did not return; stderr: ${stderr}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: () => stderr });
    });
  });
}

async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('eic-ssh -f', () => {
  it('returns 0 after authentication and leaves the -L forward running in the background', async () => {
    const local = await freePort();
    const result = await runUntilExit(['-f', '-N', '-v', '-L', `${local}:127.0.0.1:${http.port}`, `${sandbox.userOf('web-1')}@web-1`]);
    expect(result.code, result.stderr()).toBe(0);
    const pid = Number(await waitFor(() => /in the background as pid (\d+)/.exec(result.stderr())?.[1], 'the pid line'));
    backgroundPids.push(pid);
    expect(result.stderr()).toMatch(/eic-ssh: auth +\d+ ms/);

    const body = await fetch(`http://127.0.0.1:${local}/after-exit`).then((r) => r.text());
    expect(body).toBe('hello /after-exit');

    // The background copy ends its forwards on SIGTERM, like Ctrl-C in the foreground.
    process.kill(pid, 'SIGTERM');
    let closed = false;
    for (let i = 0; i < 200 && !closed; i++) {
      closed = await refuses(local);
      if (!closed) await new Promise((r) => setTimeout(r, 25));
    }
    expect(closed).toBe(true);
  });

  it('reports a failure itself, with exit 255, when the background copy cannot connect', async () => {
    const result = await runUntilExit(['-f', '-N', '-L', `${await freePort()}:127.0.0.1:1`, 'ec2-user@i-0000000000000dead']);
    expect(result.code).toBe(255);
    await waitFor(() => (result.stderr().includes('i-0000000000000dead') ? true : undefined), 'the error message');
    expect(result.stderr()).toMatch(/^eic-ssh: .*i-0000000000000dead/);
  });
});
