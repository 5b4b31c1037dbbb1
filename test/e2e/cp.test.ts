// eic-scp in every direction against real sshd instances: single files, -r and -p on
// a tree (nested directories, an empty file, spaces in names), several sources into
// a directory, remote globs, remote→remote relayed locally, and one key push per copy.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownTree, contents, dirFor, makeTree, walk } from '../support/cp-fixtures.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let user: string;
let local: string;
let remote: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('web-1');
});
afterAll(async () => sandbox?.close());

function fresh(): void {
  local = dirFor(user, 'eic-scp-local-');
  remote = dirFor(user, 'eic-scp-remote-');
}

const pushes = () => sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey');

describe('eic-scp copies single files', () => {
  it('local → remote, with one key push, and the file lands under its name', async () => {
    fresh();
    writeFileSync(join(local, 'hello.txt'), 'hello world\n');
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['cp', join(local, 'hello.txt'), `${user}@web-1:${remote}/`]);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(remote, 'hello.txt'), 'utf8')).toBe('hello world\n');
    expect(pushes()).toHaveLength(1);
    expect(statSync(join(remote, 'hello.txt')).uid).toBe(statSync(remote).uid); // written by the OS user
    expect(readdirSync(remote)).toEqual(['hello.txt']); // no temporary file left
  });

  it('remote → local onto a new name, keeping the stdout clean', async () => {
    fresh();
    writeFileSync(join(remote, 'report.csv'), 'a,b\n1,2\n');
    const result = await sandbox.run(['cp', `${user}@web-1:${remote}/report.csv`, join(local, 'copy.csv')]);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(local, 'copy.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect(result.stdoutText).toBe('');
    expect(result.stderr).toBe('');
  });

  it('overwrites an existing file and keeps its mode, as scp does', async () => {
    fresh();
    writeFileSync(join(remote, 'config'), 'old old old old\n', { mode: 0o640 });
    writeFileSync(join(local, 'config'), 'new\n', { mode: 0o755 });
    const result = await sandbox.run(['cp', join(local, 'config'), `${user}@web-1:${remote}/config`]);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(remote, 'config'), 'utf8')).toBe('new\n');
    expect(statSync(join(remote, 'config')).mode & 0o777).toBe(0o640);
  });

  it('a relative remote path starts in the home directory; an empty one is home', async () => {
    fresh();
    const name = `eic-scp-home-${process.pid}-${Date.now()}.txt`;
    writeFileSync(join(local, name), 'home\n');
    const up = await sandbox.run(['cp', join(local, name), `${user}@web-1:`]);
    expect(up.code, up.stderr).toBe(0);
    const down = await sandbox.run(['cp', `${user}@web-1:${name}`, join(local, 'back.txt')]);
    expect(down.code, down.stderr).toBe(0);
    expect(readFileSync(join(local, 'back.txt'), 'utf8')).toBe('home\n');
    const home = (await sandbox.run([`${user}@web-1`, 'pwd'])).stdoutText.trim();
    expect(existsSync(join(home, name))).toBe(true);
    rmSync(join(home, name));
  });

  it('./a:b is a local file, not a host called ./a', async () => {
    fresh();
    writeFileSync(join(local, 'a:b'), 'colon\n');
    const result = await sandbox.run(['cp', `${local}/a:b`, `${user}@web-1:${remote}/`]);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(remote, 'a:b'), 'utf8')).toBe('colon\n');
  });
});

describe('eic-scp -v', () => {
  it('shows each phase once for the whole copy and each file copied, never a secret', async () => {
    fresh();
    for (const n of ['a', 'b']) writeFileSync(join(local, n), n);
    const result = await sandbox.run(['cp', '-vvv', join(local, 'a'), join(local, 'b'), `${user}@web-1:${remote}`]);
    expect(result.code, result.stderr).toBe(0);
    for (const phase of ['resolve', 'key', 'push', 'auth']) expect(result.stderr.match(new RegExp(`eic-ssh: ${phase} +\\d+ ms`, 'g'))).toHaveLength(1);
    expect(result.stderr).toContain(`local:${join(local, 'b')} -> ${user}@${sandbox.instance('web-1').instanceId}:${remote}/b`);
    expect(result.stderr).not.toContain(sandbox.principal.secretAccessKey);
    expect(result.stderr).not.toMatch(/PRIVATE KEY|X-Amz-Signature|Signature=/);
  });
});

describe('eic-scp -r and -p on a tree', () => {
  it('local → remote -r copies contents; -rp also modes and mtimes', async () => {
    fresh();
    const tree = join(local, 'tree');
    mkdirSync(tree);
    makeTree(tree);
    const plain = await sandbox.run(['cp', '-r', tree, `${user}@web-1:${remote}/plain`]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(contents(walk(join(remote, 'plain')))).toEqual(contents(walk(tree)));

    sandbox.world.calls.length = 0;
    const kept = await sandbox.run(['cp', '-rp', tree, `${user}@web-1:${remote}/`]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(walk(join(remote, 'tree'))).toEqual(walk(tree));
    expect(pushes()).toHaveLength(1); // one push for 7 files and 5 directories
  });

  it('remote → local -rp reproduces the tree byte-exact with modes and mtimes', async () => {
    fresh();
    const tree = join(remote, 'tree');
    mkdirSync(tree);
    makeTree(tree);
    chownTree(tree, user);
    const result = await sandbox.run(['cp', '-r', '-p', `${user}@web-1:${tree}`, local]);
    expect(result.code, result.stderr).toBe(0);
    expect(walk(join(local, 'tree'))).toEqual(walk(tree));
  });

  it('without -r a directory is refused like scp, and other sources still copy', async () => {
    fresh();
    mkdirSync(join(local, 'dir'));
    writeFileSync(join(local, 'file'), 'x');
    const result = await sandbox.run(['cp', join(local, 'dir'), join(local, 'file'), `${user}@web-1:${remote}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`eic-scp: ${join(local, 'dir')}: not a regular file\n`);
    expect(readdirSync(remote)).toEqual(['file']);
  });
});

describe('eic-scp with several sources and globs', () => {
  it('copies several local sources into a remote directory', async () => {
    fresh();
    for (const n of ['one', 'two words', 'three']) writeFileSync(join(local, n), n);
    const result = await sandbox.run(['cp', join(local, 'one'), join(local, 'two words'), join(local, 'three'), `${user}@web-1:${remote}`]);
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(remote).sort()).toEqual(['one', 'three', 'two words']);
  });

  it('expands a remote glob over SFTP, leaving dot files and non-matches alone', async () => {
    fresh();
    mkdirSync(join(remote, 'log'));
    for (const n of ['a.log', 'b.log', 'c.txt', '.hidden.log', 'sys log.log']) writeFileSync(join(remote, 'log', n), n);
    chownTree(remote, user);
    const result = await sandbox.run(['cp', `${user}@web-1:${remote}/log/*.log`, local]);
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(local).sort()).toEqual(['a.log', 'b.log', 'sys log.log']);
    expect(readFileSync(join(local, 'sys log.log'), 'utf8')).toBe('sys log.log');
  });

  it('a glob across directories: */[ab].log', async () => {
    fresh();
    for (const d of ['x', 'y']) {
      mkdirSync(join(remote, d));
      for (const n of ['a.log', 'b.log', 'c.log']) writeFileSync(join(remote, d, n), `${d}/${n}`);
    }
    const result = await sandbox.run(['cp', `${user}@web-1:${remote}/x/[ab].log`, `${user}@web-1:${remote}/y/c*`, local]);
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(local).sort()).toEqual(['a.log', 'b.log', 'c.log']);
    expect(readFileSync(join(local, 'c.log'), 'utf8')).toBe('y/c.log');
  });

  it('a glob that matches nothing is reported like scp', async () => {
    fresh();
    const result = await sandbox.run(['cp', `${user}@web-1:${remote}/*.nothing`, local]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`eic-scp: ${remote}/*.nothing: No such file or directory\n`);
  });
});

describe('eic-scp remote → remote', () => {
  it('relays between two instances through here, one push per instance', async () => {
    fresh();
    const other = dirFor(sandbox.userOf('web-2'), 'eic-scp-remote2-');
    const tree = join(remote, 'tree');
    mkdirSync(tree);
    makeTree(tree);
    chownTree(tree, user);
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['cp', '-rp', `${user}@web-1:${tree}`, `${sandbox.userOf('web-2')}@web-2:${other}/copied`]);
    expect(result.code, result.stderr).toBe(0);
    expect(walk(join(other, 'copied'))).toEqual(walk(tree));
    const ids = pushes().map((c) => c.params.InstanceId);
    expect(ids.sort()).toEqual([sandbox.instance('web-1').instanceId, sandbox.instance('web-2').instanceId].sort());
  });

  it('within one instance uses one connection and one push', async () => {
    fresh();
    writeFileSync(join(remote, 'src.txt'), 'same host\n');
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['cp', `${user}@web-1:${remote}/src.txt`, `${user}@web-1:${remote}/dst.txt`]);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(remote, 'dst.txt'), 'utf8')).toBe('same host\n');
    expect(pushes()).toHaveLength(1);
  });
});

describe('the eic-scp program (built: npm run build)', () => {
  const BUILT = fileURLToPath(new URL('../../dist/cli/eic-scp.js', import.meta.url));
  const runBuilt = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (npm test does)`);
      const child = spawn(process.execPath, [BUILT, ...args], { env: { ...process.env, ...sandbox.env, HOME: sandbox.home }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });

  it('is `eic-ssh cp`: copies, and prints nothing else', async () => {
    fresh();
    writeFileSync(join(local, 'via bin.txt'), 'bin\n');
    const result = await runBuilt(['-q', join(local, 'via bin.txt'), `${user}@web-1:${remote}/`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
    expect(readFileSync(join(remote, 'via bin.txt'), 'utf8')).toBe('bin\n');
  });

  it('--help describes the scp syntax; a bad flag is a one-line error with a hint and 255', async () => {
    const help = await runBuilt(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/eic-scp \[<options>\] <source>\.\.\. <target>/);
    const bad = await runBuilt(['-l', '100', 'a', 'web-1:']);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toMatch(/bandwidth limits \(-l\) are not supported[^\n]*\n  hint: /);
  });
});
