// scp(1) operands: which side of the copy each word names, with scp's own rule
// (OpenSSH scp.c colon()): a word is remote when it has a ':' before any '/', and the
// ':' is not its first character; so `./a:b` and `/x/a:b` are local files. The remote
// part is `[user@]target:path`, the LAST '@' ends the user (EIC user names may hold
// '@'), and an empty path means the remote home directory, as in scp. Pure: no I/O.
import { UsageError } from '../errors.js';

export interface LocalOperand {
  kind: 'local';
  path: string;
}

export interface RemoteOperand {
  kind: 'remote';
  user?: string;
  target: string;
  // The remote path as given; '' (home) is normalised to '.' because the SFTP server
  // starts in the login directory and resolves relative paths from there.
  path: string;
}

export type Operand = LocalOperand | RemoteOperand;

export function parseOperand(word: string): Operand {
  if (word === '') throw new UsageError('an empty operand is not a file', 'scp operands are FILE or [user@]target:path');
  const colon = remoteColon(word);
  if (colon < 0) return { kind: 'local', path: word };
  const host = word.slice(0, colon);
  const path = word.slice(colon + 1);
  const at = host.lastIndexOf('@');
  const user = at < 0 ? undefined : host.slice(0, at);
  const target = at < 0 ? host : host.slice(at + 1);
  if (target === '' || user === '') {
    throw new UsageError(`'${word}' is not [user@]target:path`, 'for example: eic-scp ec2-user@i-0123456789abcdef0:/var/log/messages .');
  }
  return { kind: 'remote', ...(user === undefined ? {} : { user }), target, path: path === '' ? '.' : path };
}

// The index of the ':' that makes `word` remote, or -1 when it is a local path.
function remoteColon(word: string): number {
  if (word.startsWith(':')) return -1; // a leading colon is part of a file name
  for (let i = 0; i < word.length; i++) {
    if (word[i] === ':') return i;
    if (word[i] === '/') return -1;
  }
  return -1;
}

// A remote endpoint is one (user, target) pair: one key push and one connection each.
export function endpointKey(operand: RemoteOperand, defaultUser: string | undefined): string {
  return `${operand.user ?? defaultUser ?? ''}@${operand.target}`;
}

// Remote glob characters (glob(3)); a remote source holding one is expanded over SFTP.
export function hasGlobMagic(path: string): boolean {
  return /[*?[]/.test(path);
}

export interface CopyPlan {
  sources: Operand[];
  destination: Operand;
}

// SRC... DST: at least two operands; the last is the destination.
export function planOperands(words: string[]): CopyPlan {
  if (words.length < 2) {
    throw new UsageError(
      words.length === 0 ? 'no source and no destination given' : 'no destination given',
      'usage: eic-scp [options] source... target, e.g. eic-scp notes.txt web-1:/tmp/',
    );
  }
  const operands = words.map(parseOperand);
  const destination = operands[operands.length - 1];
  const sources = operands.slice(0, -1);
  if (destination.kind === 'local' && sources.every((s) => s.kind === 'local')) {
    throw new UsageError('no remote side: every operand is a local file', 'name the instance as [user@]target:path, e.g. web-1:/tmp/');
  }
  return { sources, destination };
}
