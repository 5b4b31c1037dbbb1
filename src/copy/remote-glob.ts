// Expands a remote glob ('/var/log/*.log', 'logs/app-[0-9]/*') by reading directories
// over SFTP, one path segment at a time, as scp does with glob(3) over SFTP
// (sftp-glob.c). Results are sorted, like glob(3). Bounded: at most MAX_MATCHES paths.
import { posix } from 'node:path';
import { EicError } from '../errors.js';
import { isNotFound, type CopyFs } from './file-system.js';
import { matchSegment, segmentHasMagic, unescapeSegment } from './glob.js';

export const MAX_MATCHES = 100_000;

export async function expandRemoteGlob(fs: CopyFs, pattern: string): Promise<string[]> {
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s) => s !== '');
  let candidates = [absolute ? '/' : ''];
  let lastWasMagic = false;
  for (const segment of segments) {
    lastWasMagic = segmentHasMagic(segment);
    if (!lastWasMagic) {
      candidates = candidates.map((c) => join(c, unescapeSegment(segment)));
      continue;
    }
    const next: string[] = [];
    for (const dir of candidates) {
      let names: string[];
      try {
        names = await fs.readdir(dir === '' ? '.' : dir);
      } catch {
        continue; // not a directory, or unreadable: no matches below it (glob(3) without GLOB_ERR)
      }
      for (const name of names.sort()) {
        if (matchSegment(segment, name)) next.push(join(dir, name));
      }
      if (next.length > MAX_MATCHES) throw new EicError('COPY_FILE', `${pattern}: Too many glob matches`);
    }
    candidates = next;
  }
  if (lastWasMagic) return candidates;
  // A literal last segment after a magic one: keep only the paths that exist.
  const existing: string[] = [];
  for (const path of candidates) {
    try {
      await fs.stat(path);
      existing.push(path);
    } catch (error) {
      if (!isNotFound(error)) existing.push(path); // let the copy report the real reason
    }
  }
  return existing;
}

function join(dir: string, name: string): string {
  return dir === '' ? name : posix.join(dir, name);
}
