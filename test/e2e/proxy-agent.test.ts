// The key `eic-ssh proxy` pushes can come from a real ssh-agent (SSH_AUTH_SOCK):
// with no key files at all, `eic-ssh config` and `ssh` work from the agent alone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, spawnAndCollect } from '../support/openssh.js';
import { BUILT_CLI } from '../support/pty-run.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let agent: ChildProcess;
let dir: string;
let home: string;
let env: Record<string, string>;
let agentKeyLine: string;

beforeAll(async () => {
  requireBuiltCli();
  sandbox = await startTestSandbox();
  dir = mkdtempSync(join(tmpdir(), 'eic-ssh-agent-'));
  home = join(dir, 'home'); // no ~/.ssh at all: the agent is the only source
  const socket = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(socket)) throw new Error('ssh-agent did not create its socket');
  const key = join(dir, 'agent_key');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'agent-only', '-f', key]);
  const added = spawnSync('ssh-add', [key], { env: { SSH_AUTH_SOCK: socket } });
  if (added.status !== 0) throw new Error(`ssh-add failed: ${added.stderr.toString()}`);
  rmSync(key); // the private half now lives in the agent only
  agentKeyLine = readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, SSH_AUTH_SOCK: socket, ...sandbox.env };
});
afterAll(async () => {
  agent?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await sandbox?.close();
});

describe('eic-ssh proxy with ssh-agent', () => {
  it('config names no key file, and ssh authenticates with the agent key the proxy pushed', async () => {
    const config = await spawnAndCollect(process.execPath, [BUILT_CLI, 'config'], env);
    expect(config.code, config.stderr).toBe(0);
    const block = config.stdout.toString();
    expect(block).not.toContain('IdentityFile');
    expect(block).toContain('ssh-agent');
    const configPath = join(dir, 'ssh_config');
    writeFileSync(configPath, block);

    sandbox.world.calls.length = 0;
    const id = sandbox.instance('web-1').instanceId;
    const user = sandbox.userOf('web-1');
    const args = ['-F', configPath, '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new'];
    const result = await spawnAndCollect('ssh', [...args, `${user}@${id}`, 'echo via-agent'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString()).toBe('via-agent\n');
    const push = sandbox.world.calls.find((c) => c.operation === 'SendSSHPublicKey');
    expect(push?.params.SSHPublicKey).toBe(agentKeyLine);
  });

  it('prefers the agent key over ~/.ssh/id_ed25519.pub, as ssh offers agent keys first', async () => {
    const withFile = join(dir, 'home-with-file');
    mkdirSync(join(withFile, '.ssh'), { recursive: true });
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(withFile, '.ssh', 'id_ed25519')]);
    sandbox.world.calls.length = 0;
    const id = sandbox.instance('web-1').instanceId;
    const result = await spawnAndCollect(process.execPath, [BUILT_CLI, 'proxy', `${sandbox.userOf('web-1')}@${id}:${sandbox.sshPort}`], { ...env, HOME: withFile });
    expect(result.code, result.stderr).toBe(0);
    expect(sandbox.world.calls.find((c) => c.operation === 'SendSSHPublicKey')?.params.SSHPublicKey).toBe(agentKeyLine);
  });

  it('a dead SSH_AUTH_SOCK with no key files gives the no-key error', async () => {
    const result = await spawnAndCollect(process.execPath, [BUILT_CLI, 'proxy', 'ec2-user@i-0123456789abcdef0:22'], {
      ...env,
      SSH_AUTH_SOCK: join(dir, 'no-such.sock'),
    });
    expect(result.code).toBe(255);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toContain('no public key to push');
  });
});
