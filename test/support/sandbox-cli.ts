// Runs the real program in-process, main(argv, io, deps), against a sandbox: the
// environment points the AWS SDK at the sandbox, the clock is the sandbox's clock
// (so a test can move past the 60-second key window), and home is a temp directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { systemDeps, type Deps } from '../../src/deps.js';
import { main } from '../../src/main.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { testIo, type TestIo } from './test-io.js';

export interface CliResult {
  code: number;
  stdout: Buffer;
  stdoutText: string;
  stderr: string;
  io: TestIo;
}

export interface TestSandbox extends Sandbox {
  home: string;
  // The OS user that can log in to `name` (ec2-user as root; the current user otherwise).
  userOf(name: string): string;
  run(argv: string[], options?: RunOptions): Promise<CliResult>;
  deps(): Deps;
}

export interface RunOptions {
  stdin?: Buffer | string | Readable;
  stdinIsTTY?: boolean;
  stdoutIsTTY?: boolean;
  env?: Record<string, string | undefined>;
}

export async function startTestSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const sandbox = await startSandbox(options);
  const home = mkdtempSync(join(tmpdir(), 'eic-ssh-home-'));
  const deps = (): Deps => ({ ...systemDeps(), now: () => sandbox.world.clock.now(), homeDir: home });
  return {
    ...sandbox,
    home,
    userOf: (name: string) => sandbox.instance(name).osUsers[0],
    deps,
    async run(argv: string[], run: RunOptions = {}): Promise<CliResult> {
      const io = testIo({
        stdin: run.stdin,
        stdinIsTTY: run.stdinIsTTY,
        stdoutIsTTY: run.stdoutIsTTY,
        env: { ...sandbox.env, ...run.env },
      });
      const code = await main(argv, io, deps());
      return { code, stdout: io.stdoutBuffer(), stdoutText: io.stdoutText(), stderr: io.stderrText(), io };
    },
    async close() {
      await sandbox.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
