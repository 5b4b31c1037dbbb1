// Unmodified OpenSSH tools (ssh, scp, sftp, rsync, git) reach sandbox instances
// through the BUILT `eic-ssh proxy`, configured by `eic-ssh config --write` and
// pointed to with -F. Needs `npm run build` first.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSshHome, type OpenSshHome } from '../support/openssh.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let h: OpenSshHome;
let web1: string;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  h = await openSshHome(sandbox, { configArgs: ['--name-pattern', 'web-*'] });
  web1 = sandbox.instance('web-1').instanceId;
  user = sandbox.userOf('web-1');
});
afterAll(async () => {
  h?.close();
  await sandbox?.close();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('ssh through eic-ssh proxy', () => {
  it('runs a command as the user asked for, pushing the OpenSSH key', async () => {
    sandbox.world.calls.length = 0;
    const result = await h.run('ssh', h.sshArgs(`${user}@${web1}`, 'echo hello; id -un'));
    expect(result.stderr).not.toMatch(/denied|error/i);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(`hello\n${user}\n`);
    const pushes = sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey');
    expect(pushes).toHaveLength(1);
    const ownKey = readFileSync(`${h.keyPath}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    expect(pushes[0].params).toMatchObject({ InstanceId: web1, InstanceOSUser: user, SSHPublicKey: ownKey });
  });

  it('passes the remote exit status through', async () => {
    const result = await h.run('ssh', h.sshArgs(`${user}@${web1}`, 'exit 7'));
    expect(result.code).toBe(7);
  });

  it('reaches an instance by a Name matching --name-pattern', async () => {
    const result = await h.run('ssh', h.sshArgs(`${user}@web-1`, 'echo by-name'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString()).toBe('by-name\n');
  });

  it('records each instance host key under its own name, so two instances never clash', async () => {
    const web2 = sandbox.instance('web-2').instanceId;
    for (const [id, name] of [
      [web1, 'web-1'],
      [web2, 'web-2'],
    ]) {
      const result = await h.run('ssh', h.sshArgs(`${sandbox.userOf(name)}@${id}`, 'true'));
      expect(result.code, result.stderr).toBe(0);
    }
    const hosts = readFileSync(h.knownHosts, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0].replace(/^\[(.*)\]:\d+$/, '$1'));
    expect(hosts).toEqual(expect.arrayContaining([web1, web2]));
    // Now strict: the recorded keys must match on the next connection.
    const again = await h.run('ssh', [...h.sshArgs(`${user}@${web1}`, 'true'), '-o', 'StrictHostKeyChecking=yes']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('carries 5 MiB of binary stdin and back byte-exact', async () => {
    const payload = randomBytes(5 * 1024 * 1024);
    const result = await h.run('ssh', h.sshArgs(`${user}@${web1}`, 'cat'), { input: payload });
    expect(result.code, result.stderr).toBe(0);
    expect(sha256(result.stdout)).toBe(sha256(payload));
  });
});

describe('scp, sftp, rsync and git through eic-ssh proxy', () => {
  const remoteDir = `/tmp/eic-proxy-test-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    await h.run('ssh', h.sshArgs(`${user}@${web1}`, `rm -rf ${remoteDir}`));
  });

  it('scp copies a file up and back byte-exact', async () => {
    const local = join(h.home, 'up.bin');
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(local, payload);
    expect((await h.run('ssh', h.sshArgs(`${user}@${web1}`, `mkdir -p ${remoteDir}`))).code).toBe(0);
    const up = await h.run('scp', [...h.sshArgs(), local, `${user}@${web1}:${remoteDir}/up.bin`]);
    expect(up.code, up.stderr).toBe(0);
    const back = join(h.home, 'back.bin');
    const down = await h.run('scp', [...h.sshArgs(), `${user}@${web1}:${remoteDir}/up.bin`, back]);
    expect(down.code, down.stderr).toBe(0);
    expect(sha256(readFileSync(back))).toBe(sha256(payload));
  });

  it('sftp puts and gets in batch mode', async () => {
    const local = join(h.home, 'sftp.txt');
    writeFileSync(local, 'sftp through the proxy\n');
    const batch = `mkdir ${remoteDir}/sftp\nput ${local} ${remoteDir}/sftp/a.txt\nget ${remoteDir}/sftp/a.txt ${local}.back\n`;
    const result = await h.run('sftp', [...h.sshArgs(), '-b', '-', `${user}@${web1}`], { input: batch });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(`${local}.back`, 'utf8')).toBe('sftp through the proxy\n');
  });

  it('rsync -e ssh mirrors a tree', async () => {
    const tree = join(h.home, 'tree');
    mkdirSync(join(tree, 'nested', 'deeper'), { recursive: true });
    writeFileSync(join(tree, 'top.txt'), 'top\n');
    writeFileSync(join(tree, 'nested', 'deeper', 'leaf.bin'), randomBytes(100_000));
    writeFileSync(join(tree, 'nested', 'empty'), '');
    const sshCommand = ['ssh', ...h.sshArgs()].join(' ');
    const up = await h.run('rsync', ['-a', '-e', sshCommand, `${tree}/`, `${user}@${web1}:${remoteDir}/tree/`]);
    expect(up.code, up.stderr).toBe(0);
    const listing = await h.run('ssh', h.sshArgs(`${user}@${web1}`, `cd ${remoteDir}/tree && find . -type f | sort && sha256sum nested/deeper/leaf.bin`));
    expect(listing.stdout.toString()).toBe(
      `./nested/deeper/leaf.bin\n./nested/empty\n./top.txt\n${sha256(readFileSync(join(tree, 'nested', 'deeper', 'leaf.bin')))}  nested/deeper/leaf.bin\n`,
    );
  });

  it('git pushes to and clones a bare repository on the instance', async () => {
    const made = await h.run('ssh', h.sshArgs(`${user}@${web1}`, `mkdir -p ${remoteDir} && git init -q --bare ${remoteDir}/repo.git`));
    expect(made.code, made.stderr).toBe(0);
    const work = join(h.home, 'work');
    mkdirSync(work);
    const gitEnv = {
      GIT_SSH_COMMAND: ['ssh', ...h.sshArgs()].join(' '),
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
    };
    const git = (args: string[], cwd: string) => h.run('git', args, { cwd, env: gitEnv });
    expect((await git(['init', '-q', '-b', 'main'], work)).code).toBe(0);
    writeFileSync(join(work, 'README'), 'cloned over eic-ssh proxy\n');
    expect((await git(['add', 'README'], work)).code).toBe(0);
    expect((await git(['commit', '-q', '-m', 'first'], work)).code).toBe(0);
    const url = `${user}@${web1}:${remoteDir}/repo.git`;
    const push = await git(['push', '-q', url, 'main'], work);
    expect(push.code, push.stderr).toBe(0);
    const clone = await git(['clone', '-q', '-b', 'main', url, join(h.home, 'clone')], h.home);
    expect(clone.code, clone.stderr).toBe(0);
    expect(readFileSync(join(h.home, 'clone', 'README'), 'utf8')).toBe('cloned over eic-ssh proxy\n');
  });
});
