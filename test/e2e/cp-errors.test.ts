// eic-scp per-file errors, reported like scp ("eic-scp: PATH: REASON") with exit
// status 1 while the other files still copy: missing sources, permission denied,
// disk full (a real 1 MiB tmpfs on each side), not a directory; and no temporary
// file is left behind by a failed or interrupted copy.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { dirFor, idsOf, writeBigFile } from '../support/cp-fixtures.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { testIo } from '../support/test-io.js';

let sandbox: TestSandbox;
let user: string;
let host: string;
const mounts: string[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('web-1');
  host = `${user}@web-1`;
  // Record the host key now, so that no test sees the first-connection warning.
  expect((await sandbox.run([host, 'true'])).code).toBe(0);
});
afterAll(async () => {
  for (const m of mounts) execFileSync('umount', [m]);
  await sandbox?.close();
});

// A 1 MiB file system owned by `owner`: writing more fails with ENOSPC.
function smallDisk(owner: string): string {
  const dir = dirFor(owner, 'eic-scp-full-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=1m,mode=0755,uid=${idsOf(owner).uid}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

describe('eic-scp reports each failed file and copies the rest', () => {
  it('a missing local source', async () => {
    const local = dirFor(user, 'l-');
    const remote = dirFor(user, 'r-');
    writeFileSync(join(local, 'ok'), 'ok');
    const result = await sandbox.run(['cp', join(local, 'missing'), join(local, 'ok'), `${host}:${remote}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`eic-scp: ${join(local, 'missing')}: No such file or directory\n`);
    expect(readdirSync(remote)).toEqual(['ok']);
  });

  it('a missing remote source', async () => {
    const local = dirFor(user, 'l-');
    const result = await sandbox.run(['cp', `${host}:/nonexistent/file`, local]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('eic-scp: /nonexistent/file: No such file or directory\n');
    expect(readdirSync(local)).toEqual([]);
  });

  it('a remote source the OS user may not read', async () => {
    const remote = dirFor(user, 'r-');
    writeFileSync(join(remote, 'secret'), 'root only', { mode: 0o600 }); // owned by root
    writeFileSync(join(remote, 'public'), 'everyone', { mode: 0o644 });
    const local = dirFor(user, 'l-');
    const result = await sandbox.run(['cp', `${host}:${remote}/secret`, `${host}:${remote}/public`, local]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`eic-scp: ${remote}/secret: Permission denied\n`);
    expect(readdirSync(local)).toEqual(['public']);
  });

  it('a remote directory the OS user may not write to, leaving nothing behind', async () => {
    const locked = dirFor('root', 'locked-'); // root's, mode 0700
    chmodSync(locked, 0o755);
    const local = dirFor(user, 'l-');
    writeFileSync(join(local, 'f'), 'data');
    const result = await sandbox.run(['cp', join(local, 'f'), `${host}:${locked}/`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`eic-scp: ${locked}/f: Permission denied\n`);
    expect(readdirSync(locked)).toEqual([]);
  });

  it('a full remote disk: reported, no partial or temporary file, and the next file still copies', async () => {
    const disk = smallDisk(user);
    const local = dirFor(user, 'l-');
    writeBigFile(join(local, 'big'), 3 * 1024 * 1024);
    writeFileSync(join(local, 'small'), 'fits');
    const result = await sandbox.run(['cp', join(local, 'big'), join(local, 'small'), `${host}:${disk}`]);
    expect(result.code).toBe(1);
    // OpenSSH's sftp-server maps ENOSPC to SSH_FX_FAILURE, whose text is "Failure".
    expect(result.stderr).toBe(`eic-scp: ${disk}/big: Failure\n`);
    expect(readdirSync(disk)).toEqual(['small']);
  });

  it('a full local disk: "No space left on device", no partial or temporary file', async () => {
    const remote = dirFor(user, 'r-');
    writeBigFile(join(remote, 'big'), 3 * 1024 * 1024);
    const disk = smallDisk('root');
    const result = await sandbox.run(['cp', `${host}:${remote}/big`, disk]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`eic-scp: ${disk}/big: No space left on device\n`);
    expect(readdirSync(disk)).toEqual([]);
  });

  it('writes to a remote device in place: /dev/full fails, /dev/null succeeds', async () => {
    const local = dirFor(user, 'l-');
    writeFileSync(join(local, 'f'), 'data');
    const full = await sandbox.run(['cp', join(local, 'f'), `${host}:/dev/full`]);
    expect(full.code).toBe(1);
    expect(full.stderr).toBe('eic-scp: /dev/full: Failure\n');
    const nul = await sandbox.run(['cp', join(local, 'f'), `${host}:/dev/null`]);
    expect(nul.code, nul.stderr).toBe(0);
    expect(existsSync('/dev/null')).toBe(true);
  });

  it('several sources into something that is not a directory', async () => {
    const remote = dirFor(user, 'r-');
    writeFileSync(join(remote, 'file'), 'keep me');
    const local = dirFor(user, 'l-');
    writeFileSync(join(local, 'a'), 'a');
    writeFileSync(join(local, 'b'), 'b');
    const result = await sandbox.run(['cp', join(local, 'a'), join(local, 'b'), `${host}:${remote}/file`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`eic-scp: ${remote}/file: Not a directory\n`);
    expect(readFileSync(join(remote, 'file'), 'utf8')).toBe('keep me');
    const missing = await sandbox.run(['cp', join(local, 'a'), join(local, 'b'), `${host}:${remote}/nodir`]);
    expect(missing.stderr).toBe(`eic-scp: ${remote}/nodir: No such file or directory\n`);
  });

  it('-r of a directory onto an existing file', async () => {
    const remote = dirFor(user, 'r-');
    writeFileSync(join(remote, 'file'), 'keep me');
    const local = dirFor(user, 'l-');
    mkdirSync(join(local, 'dir'));
    writeFileSync(join(local, 'dir', 'x'), 'x');
    const result = await sandbox.run(['cp', '-r', join(local, 'dir'), `${host}:${remote}/file`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`eic-scp: ${remote}/file: Not a directory\n`);
  });

  it('an unreachable instance is eic-scp\'s own failure: 255 and a hint', async () => {
    const local = dirFor(user, 'l-');
    writeFileSync(join(local, 'f'), 'f');
    const result = await sandbox.run(['cp', join(local, 'f'), `${user}@no-such-instance:/tmp/`]);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/no-such-instance/);
    expect(result.stderr).toMatch(/hint:/);
  });
});

describe('eic-scp interrupted', () => {
  it('Ctrl-C mid-copy removes the temporary file and exits 130', async () => {
    const local = dirFor(user, 'l-');
    const remote = dirFor(user, 'r-');
    writeBigFile(join(local, 'big'), 128 * 1024 * 1024); // large enough to be mid-copy when interrupted
    const io = testIo({ env: sandbox.env });
    const running = main(['cp', join(local, 'big'), `${host}:${remote}/`], io, sandbox.deps());
    // Wait (bounded) for the temporary file to appear, then interrupt.
    for (let i = 0; i < 2000 && readdirSync(remote).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(readdirSync(remote)[0]).toMatch(/^\.big\.eic-scp-[0-9a-f]{8}$/);
    io.signal('SIGINT');
    expect(await running).toBe(130);
    expect(io.stderrText()).toBe(`eic-scp: ${remote}/big: Interrupted\n`);
    expect(readdirSync(remote)).toEqual([]);
    rmSync(local, { recursive: true });
  });
});
