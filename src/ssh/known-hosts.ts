// eic-ssh's own known-hosts file, keyed by instance id rather than by IP address
// (HostKeyAlias-style, instance-side.md §7.4): private IPs are reused across
// instances, instance ids are not. The syntax is OpenSSH's known_hosts (sshd(8)
// SSH_KNOWN_HOSTS FILE FORMAT) restricted to what eic-ssh writes:
//   i-0123456789abcdef0 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…
// one key per line; comments, blank lines and lines we do not understand are kept
// verbatim when the file is rewritten. Also here: checkHostKey, the pure policy.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EicError } from '../errors.js';
import { parsePublicKeyLine } from './openssh-key-format.js';

export interface KnownHostEntry {
  hosts: string[]; // the comma-separated first field
  keyLine: string; // '<type> <base64>' (any trailing comment dropped)
  type: string;
  line: number; // 1-based line number in the file, for warnings
}

// ssh_config(5) StrictHostKeyChecking, minus 'ask': eic-ssh never prompts.
export type StrictHostKeyChecking = 'yes' | 'accept-new' | 'no';

export type HostKeyDecision =
  | 'match' // a recorded key equals the presented one
  | 'record' // unknown host: accept and add the key to the file
  | 'accept-unverified' // changed key under 'no': warn, connect, leave the file alone
  | { refuse: 'changed' | 'unknown' };

// The policy of ssh_config(5) StrictHostKeyChecking, as OpenSSH's check_host_key()
// (sshconnect.c) applies it:
//  - a key is "changed" only when a key *of the same type* is recorded and differs;
//    a host with keys of other types only is "new" (HOST_NEW with other keys known);
//  - yes: never add keys, refuse new and changed hosts;
//  - accept-new: add keys of new hosts, refuse changed ones;
//  - no: add keys of new hosts, and let changed hosts connect after the warning
//    ("allow connections to hosts with changed hostkeys to proceed, subject to some
//    restrictions") — eic-ssh does not update the file in that case.
export function checkHostKey(
  policy: StrictHostKeyChecking,
  known: readonly string[],
  presented: string,
): HostKeyDecision {
  const key = parsePublicKeyLine(presented);
  if (key === undefined) throw new TypeError('presented host key is not a public-key line');
  const recorded = known.map(parsePublicKeyLine).filter((k) => k !== undefined);
  if (recorded.some((k) => k.type === key.type && k.blob.equals(key.blob))) return 'match';
  if (recorded.some((k) => k.type === key.type)) {
    return policy === 'no' ? 'accept-unverified' : { refuse: 'changed' };
  }
  return policy === 'yes' ? { refuse: 'unknown' } : 'record';
}

// Parses known_hosts text. Marker lines (@cert-authority, @revoked) are skipped
// and hashed host names (|1|…) never equal an id: eic-ssh writes neither.
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) return;
    const [hostField, type, base64] = line.split(/\s+/);
    if (hostField === undefined || type === undefined || base64 === undefined) return;
    const key = parsePublicKeyLine(`${type} ${base64}`);
    if (key === undefined) return;
    entries.push({ hosts: hostField.split(','), keyLine: `${type} ${base64}`, type, line: index + 1 });
  });
  return entries;
}

// The text with `id keyLine` appended on a line of its own.
export function appendKnownHost(text: string, id: string, keyLine: string): string {
  assertHostId(id);
  const key = parsePublicKeyLine(keyLine);
  if (key === undefined) throw new TypeError('not a public-key line');
  const prefix = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  return `${prefix}${id} ${key.type} ${key.blob.toString('base64')}\n`;
}

// The text without `id`: lines naming only `id` go, lines naming others keep them.
export function removeKnownHost(text: string, id: string): { text: string; removed: number } {
  let removed = 0;
  const kept: string[] = [];
  const lines = text.split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    const [hostField] = line.split(/\s+/);
    const hosts = hostField?.split(',') ?? [];
    if (line.startsWith('#') || line.startsWith('@') || !hosts.includes(id)) {
      kept.push(raw);
      continue;
    }
    removed += 1;
    const others = hosts.filter((h) => h !== id);
    if (others.length > 0) kept.push(raw.replace(hostField ?? '', others.join(',')));
  }
  return { text: kept.join('\n'), removed };
}

// Host ids become the first field of a line, so they may not contain what would
// break it (whitespace, commas) or turn it into something else (#, @, |).
function assertHostId(id: string): void {
  if (!/^[^\s,#@|][^\s,]*$/.test(id)) throw new TypeError(`invalid known-hosts host id: ${JSON.stringify(id)}`);
}

// The file itself. Every write replaces it atomically (temp file + rename), so a
// crash or a concurrent reader never sees half a file. Two eic-ssh processes
// adding at the same moment can lose one of the additions; the next connection
// simply records that key again.
export class KnownHostsFile {
  constructor(readonly path: string) {}

  async list(): Promise<KnownHostEntry[]> {
    return parseKnownHosts(await this.read());
  }

  async lookup(id: string): Promise<KnownHostEntry[]> {
    return parseKnownHosts(await this.read()).filter((entry) => entry.hosts.includes(id));
  }

  async add(id: string, keyLine: string): Promise<void> {
    await this.write(appendKnownHost(await this.read(), id, keyLine));
  }

  // Replaces every entry of `id` with these key lines, in one atomic write (re-pinning).
  async replace(id: string, keyLines: readonly string[]): Promise<void> {
    let text = removeKnownHost(await this.read(), id).text;
    for (const keyLine of keyLines) text = appendKnownHost(text, id, keyLine);
    await this.write(text);
  }

  // Returns how many entries were removed.
  async remove(id: string): Promise<number> {
    const result = removeKnownHost(await this.read(), id);
    if (result.removed > 0) await this.write(result.text);
    return result.removed;
  }

  private async read(): Promise<string> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw new EicError('LOCAL_IO', `Cannot read known-hosts file ${this.path}`, { cause: error });
    }
  }

  // The file is 0600 and its directory 0700 like ~/.ssh: host keys are not secret,
  // but whoever can edit this file can silence the host-key check.
  private async write(text: string): Promise<void> {
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw new EicError('LOCAL_IO', `Cannot write known-hosts file ${this.path}`, { cause: error });
    }
  }
}
