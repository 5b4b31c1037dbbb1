// Reads the SSH host keys cloud-init prints to the serial console at first boot
// (instance-side.md §7.2), from GetConsoleOutput text. Pure: text in, key lines out.
// Rules (§7.2, our choice): take the text between the LAST
// `-----BEGIN SSH HOST KEY KEYS-----` / `-----END SSH HOST KEY KEYS-----` pair (a
// reboot that re-keys prints a newer block after the old one), keep only lines that
// match the strict public-key line pattern, and ignore everything else: kernel and
// cloud-init log lines from other writers can be interleaved on the same console.
// Not entirely pure: ssh2's key parser checks each blob is a whole, well-formed key.
import ssh2 from 'ssh2';
import { parsePublicKeyLine } from './openssh-key-format.js';

export const CONSOLE_KEYS_BEGIN = '-----BEGIN SSH HOST KEY KEYS-----';
export const CONSOLE_KEYS_END = '-----END SSH HOST KEY KEYS-----';

// §7.2's line pattern, verbatim.
const KEY_LINE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+=* ?.*$/;

// The host keys as '<type> <base64>' lines (comments dropped), in console order,
// without duplicates; [] when there is no complete block or it holds no key.
export function parseConsoleHostKeys(text: string | undefined): string[] {
  if (!text) return [];
  const lines = text.split(/\r?\n/).map((line) => line.replace(/\r$/, ''));
  const end = lastIndexWhere(lines, (line) => line.trim() === CONSOLE_KEYS_END);
  if (end < 0) return [];
  const begin = lastIndexWhere(lines.slice(0, end), (line) => line.trim() === CONSOLE_KEYS_BEGIN);
  if (begin < 0) return [];
  const keys: string[] = [];
  for (const line of lines.slice(begin + 1, end)) {
    if (!KEY_LINE.test(line)) continue;
    const [type, base64] = line.split(' ');
    // The blob must also decode to a key of the named type (a truncated line or a
    // noise line that happens to match the pattern is dropped, not pinned).
    const key = parsePublicKeyLine(`${type} ${base64}`);
    if (key === undefined || ssh2.utils.parseKey(`${type} ${base64}`) instanceof Error) continue;
    const keyLine = `${key.type} ${key.blob.toString('base64')}`;
    if (!keys.includes(keyLine)) keys.push(keyLine);
  }
  return keys;
}

function lastIndexWhere(lines: readonly string[], test: (line: string) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (test(lines[i])) return i;
  return -1;
}
