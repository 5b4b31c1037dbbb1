// Files and trees for the copy tests: a remote directory is a real directory owned by
// the instance's OS user (the sandbox sshd logs in as that user on this machine), and
// trees are compared byte-exact (sha256), by mode and by mtime.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function idsOf(user: string): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()),
  };
}

// A fresh directory the OS user `user` owns (as root); a plain temp dir otherwise.
export function dirFor(user: string, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const { uid, gid } = idsOf(user);
    chownSync(dir, uid, gid);
  }
  return dir;
}

export function chownTree(path: string, user: string): void {
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', user, path]);
}

// A tree with nested directories, an empty file, names with spaces, odd modes and
// old mtimes (so -p is visible).
export function makeTree(root: string): void {
  mkdirSync(join(root, 'sub dir', 'deeper', 'deepest'), { recursive: true });
  mkdirSync(join(root, 'empty dir'));
  const files: Array<[string, Buffer | string, number]> = [
    ['top.txt', 'top level\n', 0o644],
    ['empty', '', 0o600],
    ['name with spaces.bin', Buffer.alloc(70_000, 7), 0o640],
    ['run.sh', '#!/bin/sh\necho hi\n', 0o755],
    [join('sub dir', 'inner.txt'), 'inner\n', 0o444],
    [join('sub dir', 'deeper', 'random.bin'), Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) % 251)), 0o600],
    [join('sub dir', 'deeper', 'deepest', 'leaf'), 'leaf\n', 0o664],
  ];
  for (const [name, content, mode] of files) {
    writeFileSync(join(root, name), content, { mode });
    execFileSync('chmod', [mode.toString(8), join(root, name)]);
  }
  execFileSync('chmod', ['750', join(root, 'sub dir', 'deeper')]);
  // Distinct old times, to the second: SFTP v3 carries whole seconds.
  let t = 1_600_000_000;
  for (const entry of walk(root).reverse()) {
    execFileSync('touch', ['-h', '-d', `@${t}`, join(root, entry.path)]);
    t += 1000;
  }
}

export interface TreeEntry {
  path: string;
  kind: 'file' | 'dir';
  sha256?: string;
  size?: number;
  mode: number;
  mtime: number;
}

export function walk(root: string, prefix = ''): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const path = join(prefix, name);
    const s = statSync(join(root, path));
    if (s.isDirectory()) {
      out.push({ path, kind: 'dir', mode: s.mode & 0o7777, mtime: Math.floor(s.mtimeMs / 1000) });
      out.push(...walk(root, path));
    } else {
      out.push({
        path,
        kind: 'file',
        size: s.size,
        sha256: createHash('sha256').update(readFileSync(join(root, path))).digest('hex'),
        mode: s.mode & 0o7777,
        mtime: Math.floor(s.mtimeMs / 1000),
      });
    }
  }
  return out;
}

// Contents only: what a copy without -p must reproduce.
export function contents(entries: TreeEntry[]): Array<Pick<TreeEntry, 'path' | 'kind' | 'sha256'>> {
  return entries.map(({ path, kind, sha256 }) => ({ path, kind, sha256 }));
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

// A file of `size` pseudo-random bytes written in 1 MiB blocks (no 200 MiB buffer).
export function writeBigFile(path: string, size: number): void {
  execFileSync('sh', ['-c', `head -c ${size} /dev/urandom > "$1"`, 'sh', path]);
}
