// Fixtures for the console host-key parser (instance-side.md §7.2): real cloud-init
// shaped console text with syslog-prefixed fingerprints, unprefixed keys, interleaved
// kernel lines, re-keyed reboots, CRLF line ends and truncated blocks.
import { describe, expect, it } from 'vitest';
import { parseConsoleHostKeys } from './console-host-keys.js';

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGz5nDmee+em+WOlQ+OwTnwKSHXtZhHvpxwlALSPUs2v';
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBH1uXp/FYupmLuNg1yoMKJU/UrOeC61Mp/E4FmOJHnrqFkUNisGDE0Hh1hhlIVBFg6xbOxEXMQCBKgawXSkk/EE=';
const ED_NEW = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILTmmKpmodyodxAo6ZwB25jzCkx68zYQPlZ2UEXfhPKv';

const block = (...keys: string[]) => [
  'ec2: #############################################################',
  'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
  'ec2: 256 SHA256:9uI6p6gqv1lKjKzF3o3mX8mN8o3o3o3o3o3o3o3o3o root@ip-10-0-0-5 (ECDSA)',
  'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
  'ec2: #############################################################',
  '-----BEGIN SSH HOST KEY KEYS-----',
  ...keys,
  '-----END SSH HOST KEY KEYS-----',
];

describe('parseConsoleHostKeys', () => {
  it('reads the keys block, dropping comments and an interleaved kernel line', () => {
    const text = [
      '[    0.000000] Linux version 6.1.0-13-cloud-amd64',
      ...block(`${ECDSA} root@ip-10-0-0-5`, '[   14.087343] random: crng init done', `${ED} root@ip-10-0-0-5`),
      '[   14.139240] cloud-init[640]: Cloud-init v. 22.4.2 finished',
    ].join('\n');
    expect(parseConsoleHostKeys(text)).toEqual([ECDSA, ED]);
  });

  it('takes the last BEGIN/END pair (a re-keyed reboot prints a newer block)', () => {
    const text = [...block(`${ED} root@old`), 'reboot: Restarting system', ...block(`${ED_NEW} root@new`)].join('\n');
    expect(parseConsoleHostKeys(text)).toEqual([ED_NEW]);
  });

  it('accepts CRLF line ends and keys without a comment', () => {
    expect(parseConsoleHostKeys(block(ED, ECDSA).join('\r\n'))).toEqual([ED, ECDSA]);
  });

  it('ignores prefixed key lines (the fingerprint-style syslog prefix is not a key line)', () => {
    expect(parseConsoleHostKeys(block(`ec2: ${ED}`, ECDSA).join('\n'))).toEqual([ECDSA]);
  });

  it('drops lines that match the pattern but whose blob is not a key of that type', () => {
    const mislabelled = `ssh-rsa ${ED.split(' ')[1]}`;
    const truncated = ED.slice(0, 40);
    expect(parseConsoleHostKeys(block(mislabelled, truncated, ECDSA).join('\n'))).toEqual([ECDSA]);
  });

  it('removes duplicates', () => {
    expect(parseConsoleHostKeys(block(ED, `${ED} again`).join('\n'))).toEqual([ED]);
  });

  it('returns [] for no output, no block, an unterminated block, or an END before any BEGIN', () => {
    expect(parseConsoleHostKeys(undefined)).toEqual([]);
    expect(parseConsoleHostKeys('')).toEqual([]);
    expect(parseConsoleHostKeys('[ 0.0] Linux version 6.1\nlogin: ')).toEqual([]);
    expect(parseConsoleHostKeys(['-----BEGIN SSH HOST KEY KEYS-----', ED].join('\n'))).toEqual([]);
    expect(parseConsoleHostKeys([ED, '-----END SSH HOST KEY KEYS-----', '-----BEGIN SSH HOST KEY KEYS-----'].join('\n'))).toEqual([]);
  });

  it('an unterminated later block does not hide the last complete one', () => {
    const text = [...block(ED), '-----BEGIN SSH HOST KEY KEYS-----', ED_NEW].join('\n');
    expect(parseConsoleHostKeys(text)).toEqual([ED]);
  });
});
