// What the connection-reuse e2e tests share: the BUILT CLI run as real processes in a
// fresh state directory per test, the masters those runs start (as `eic-ssh reuse
// --list` shows them), and a clean-up that kills any master a test left behind, so no
// process outlives the test file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BUILT_CLI } from './pty-run.js';
import type { TestSandbox } from './sandbox-cli.js';

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stdoutText: string;
  stderr: string;
}

export interface ListedMaster {
  socket: string;
  target: string;
  pid: number;
}

export class ReuseMasters {
  // The current test's state directory (HOME and EIC_SSH_HOME) and environment.
  state = '';
  env: Record<string, string> = {};
  private started: number[] = [];

  constructor(
    private readonly sandbox: () => TestSandbox,
    private readonly prefix: string,
  ) {}

  fresh(): void {
    this.state = mkdtempSync(join(tmpdir(), this.prefix));
    const base = this.sandbox().env as Record<string, string>;
    this.env = { ...base, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.state, EIC_SSH_HOME: this.state };
  }

  // For afterEach: kills what `list()` saw that is still alive, removes the directory.
  cleanUp(): void {
    for (const pid of this.started) if (alive(pid)) process.kill(pid, 'SIGKILL');
    this.started = [];
    if (this.state) rmSync(this.state, { recursive: true, force: true });
  }

  cli(args: string[], options: { stdin?: Buffer; env?: Record<string, string> } = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BUILT_CLI, ...args], { env: { ...this.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      // Resolve on 'close' (all output read), not 'exit'.
      child.on('close', (code) => {
        const stdout = Buffer.concat(out);
        resolve({ code, stdout, stdoutText: stdout.toString(), stderr });
      });
      child.stdin.end(options.stdin ?? Buffer.alloc(0));
    });
  }

  async list(): Promise<ListedMaster[]> {
    const result = await this.cli(['reuse', '--list']);
    expect(result.code).toBe(0);
    const rows = result.stdoutText.split('\n').filter((l) => l !== '' && !l.startsWith('SOCKET\t'));
    const masters = rows.map((row) => {
      const [socket, target, , , pid] = row.split('\t');
      return { socket, target, pid: Number(pid) };
    });
    for (const m of masters) if (!this.started.includes(m.pid)) this.started.push(m.pid);
    return masters;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Bounded wait for a process to be gone (the master's own idle timer, or a stop).
export async function gone(pid: number, withinMs = 15_000): Promise<boolean> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline; ) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}
