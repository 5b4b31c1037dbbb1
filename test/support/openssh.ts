// Drives the REAL OpenSSH clients (ssh, scp, sftp, rsync, git) against a sandbox
// through the BUILT `eic-ssh proxy` (dist/cli/eic-ssh.js; run `npm run build` first):
// a temp home with the user's own Ed25519 key, a ~/.ssh/config written by
// `eic-ssh config --write`, and spawn helpers that point every tool at it with -F.
// OpenSSH takes the home directory from the password database, not $HOME, so every
// path it needs is named explicitly.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_CLI } from './pty-run.js';
import type { TestSandbox } from './sandbox-cli.js';

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface OpenSshHome {
  home: string;
  configPath: string;
  knownHosts: string;
  keyPath: string;
  // The environment the tools run with: the sandbox's AWS variables, HOME, no agent.
  env: Record<string, string>;
  // `ssh -F <config> -o UserKnownHostsFile=...` plus the arguments.
  sshArgs(...args: string[]): string[];
  run(command: string, args: string[], options?: { input?: Buffer | string; env?: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<RunResult>;
  eicSsh(args: string[], options?: { input?: Buffer | string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult>;
  close(): void;
}

export function requireBuiltCli(): void {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
}

export async function openSshHome(sandbox: TestSandbox, options: { configArgs?: string[] } = {}): Promise<OpenSshHome> {
  requireBuiltCli();
  const home = mkdtempSync(join(tmpdir(), 'eic-ssh-openssh-'));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  const keyPath = join(home, '.ssh', 'id_ed25519');
  const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test@eic-ssh', '-f', keyPath]);
  if (keygen.status !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr.toString()}`);
  const configPath = join(home, '.ssh', 'config');
  const knownHosts = join(home, '.ssh', 'known_hosts');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    ...sandbox.env,
  };
  const run: OpenSshHome['run'] = (command, args, runOptions = {}) =>
    spawnAndCollect(command, args, { ...env, ...runOptions.env }, runOptions.input, runOptions.cwd, runOptions.timeoutMs);
  const eicSsh: OpenSshHome['eicSsh'] = (args, runOptions = {}) => run(process.execPath, [BUILT_CLI, ...args], runOptions);
  const written = await eicSsh(['config', '--write', ...(options.configArgs ?? [])]);
  if (written.code !== 0) throw new Error(`eic-ssh config --write failed: ${written.stderr}`);
  return {
    home,
    configPath,
    knownHosts,
    keyPath,
    env,
    sshArgs: (...args) => ['-F', configPath, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new', '-o', 'BatchMode=yes', ...args],
    run,
    eicSsh,
    close: () => rmSync(home, { recursive: true, force: true }),
  };
}

export function spawnAndCollect(
  command: string,
  args: string[],
  env: Record<string, string>,
  input?: Buffer | string,
  cwd?: string,
  timeoutMs = 60_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
