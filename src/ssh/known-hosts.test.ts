import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEphemeralKey } from './key.js';
import {
  appendKnownHost,
  checkHostKey,
  KnownHostsFile,
  parseKnownHosts,
  removeKnownHost,
  type HostKeyDecision,
  type StrictHostKeyChecking,
} from './known-hosts.js';

const ED_A = generateEphemeralKey('ed25519').publicLine;
const ED_B = generateEphemeralKey('ed25519').publicLine;
const RSA_A = generateEphemeralKey('rsa').publicLine;

const scratch = mkdtempSync(join(tmpdir(), 'eic-ssh-known-hosts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = () => join(scratch, `case-${String(++dirCount)}`);

describe('checkHostKey', () => {
  const cases: Array<{ name: string; policy: StrictHostKeyChecking; known: string[]; presented: string; decision: HostKeyDecision }> = [
    { name: 'a recorded key matches', policy: 'yes', known: [ED_A], presented: ED_A, decision: 'match' },
    { name: 'a recorded key matches under accept-new', policy: 'accept-new', known: [ED_A], presented: ED_A, decision: 'match' },
    { name: 'a recorded key matches under no', policy: 'no', known: [ED_A], presented: ED_A, decision: 'match' },
    { name: 'a recorded key matches among several', policy: 'yes', known: [RSA_A, ED_A], presented: ED_A, decision: 'match' },
    { name: 'a recorded key with a comment matches', policy: 'yes', known: [`${ED_A} root@host`], presented: ED_A, decision: 'match' },
    { name: 'yes refuses an unknown host', policy: 'yes', known: [], presented: ED_A, decision: { refuse: 'unknown' } },
    { name: 'accept-new records an unknown host', policy: 'accept-new', known: [], presented: ED_A, decision: 'record' },
    { name: 'no records an unknown host', policy: 'no', known: [], presented: ED_A, decision: 'record' },
    { name: 'yes refuses a changed key', policy: 'yes', known: [ED_A], presented: ED_B, decision: { refuse: 'changed' } },
    { name: 'accept-new refuses a changed key', policy: 'accept-new', known: [ED_A], presented: ED_B, decision: { refuse: 'changed' } },
    { name: 'no lets a changed key through without recording it', policy: 'no', known: [ED_A], presented: ED_B, decision: 'accept-unverified' },
    { name: 'a key of a type not yet recorded is new (accept-new)', policy: 'accept-new', known: [RSA_A], presented: ED_A, decision: 'record' },
    { name: 'a key of a type not yet recorded is new (yes)', policy: 'yes', known: [RSA_A], presented: ED_A, decision: { refuse: 'unknown' } },
    { name: 'unreadable recorded lines are ignored', policy: 'accept-new', known: ['garbage', 'ssh-ed25519 AAAA'], presented: ED_A, decision: 'record' },
  ];
  it.each(cases)('$name', ({ policy, known, presented, decision }) => {
    expect(checkHostKey(policy, known, presented)).toEqual(decision);
  });

  it('refuses to judge something that is not a key line', () => {
    expect(() => checkHostKey('yes', [], 'nonsense')).toThrow(TypeError);
  });
});

describe('parseKnownHosts', () => {
  it('reads entries with their line numbers and skips everything else', () => {
    const text = [
      '# eic-ssh known hosts',
      '',
      `i-0aaa ${ED_A}`,
      '   ',
      `i-0bbb,i-0ccc ${RSA_A} a comment`,
      `@revoked i-0ddd ${ED_B}`,
      `|1|abc=|def= ${ED_B}`,
      'i-0eee ssh-ed25519',
      `i-0fff ${ED_A.replace('ssh-ed25519', 'ssh-rsa')}`,
      `\ti-0ggg   ${ED_B.replace(' ', '   ')}\r`,
    ].join('\n');
    expect(parseKnownHosts(text)).toEqual([
      { hosts: ['i-0aaa'], keyLine: ED_A, type: 'ssh-ed25519', line: 3 },
      { hosts: ['i-0bbb', 'i-0ccc'], keyLine: RSA_A, type: 'ssh-rsa', line: 5 },
      { hosts: ['|1|abc=|def='], keyLine: ED_B, type: 'ssh-ed25519', line: 7 },
      { hosts: ['i-0ggg'], keyLine: ED_B, type: 'ssh-ed25519', line: 10 },
    ]);
  });
});

describe('appendKnownHost and removeKnownHost', () => {
  it.each([
    { name: 'an empty file', before: '', after: `i-1 ${ED_A}\n` },
    { name: 'a file ending with a newline', before: '# c\n', after: `# c\ni-1 ${ED_A}\n` },
    { name: 'a file without a final newline', before: '# c', after: `# c\ni-1 ${ED_A}\n` },
  ])('appends to $name', ({ before, after }) => {
    expect(appendKnownHost(before, 'i-1', `${ED_A} trailing comment`)).toBe(after);
  });

  it.each(['', 'i 1', 'i-1,i-2', '#i-1', '@i-1', '|1|x'])('refuses the host id %j', (id) => {
    expect(() => appendKnownHost('', id, ED_A)).toThrow(TypeError);
  });

  it('refuses a key that is not a key line', () => {
    expect(() => appendKnownHost('', 'i-1', 'ssh-ed25519 AAAA')).toThrow(TypeError);
  });

  it('removes every line of the host and keeps the rest verbatim', () => {
    const before = `# keep me\ni-1 ${ED_A}\n\ni-2 ${ED_B}\ni-1 ${RSA_A}\n`;
    expect(removeKnownHost(before, 'i-1')).toEqual({ text: `# keep me\n\ni-2 ${ED_B}\n`, removed: 2 });
  });

  it('removes the host from a shared line without dropping the others', () => {
    expect(removeKnownHost(`i-1,i-2 ${ED_A}\n`, 'i-1')).toEqual({ text: `i-2 ${ED_A}\n`, removed: 1 });
  });

  it('removes nothing for an unknown host and never touches comments', () => {
    const before = `# i-1 ${ED_A}\ni-2 ${ED_B}\n`;
    expect(removeKnownHost(before, 'i-1')).toEqual({ text: before, removed: 0 });
  });
});

describe('KnownHostsFile', () => {
  it('finds nothing when the file does not exist yet', async () => {
    expect(await new KnownHostsFile(join(freshDir(), 'known_hosts')).lookup('i-1')).toEqual([]);
  });

  it('creates the directory 0700 and the file 0600 on the first add', async () => {
    const dir = join(freshDir(), 'nested');
    const file = new KnownHostsFile(join(dir, 'known_hosts'));
    await file.add('i-1', ED_A);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(file.path, 'utf8')).toBe(`i-1 ${ED_A}\n`);
  });

  it('looks up, adds and removes by instance id, leaving no temporary files', async () => {
    const dir = freshDir();
    mkdirSync(dir, { mode: 0o700 });
    const path = join(dir, 'known_hosts');
    writeFileSync(path, `# written by hand\ni-2 ${ED_B}\n`, { mode: 0o600 });
    const file = new KnownHostsFile(path);
    await file.add('i-1', ED_A);
    await file.add('i-1', RSA_A);
    expect((await file.lookup('i-1')).map((e) => [e.keyLine, e.line])).toEqual([
      [ED_A, 3],
      [RSA_A, 4],
    ]);
    expect(await file.remove('i-1')).toBe(2);
    expect(await file.remove('i-1')).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(`# written by hand\ni-2 ${ED_B}\n`);
    expect(readdirSync(dir)).toEqual(['known_hosts']);
  });

  it('reports a file it cannot read as LOCAL_IO', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'known_hosts'), { recursive: true });
    await expect(new KnownHostsFile(join(dir, 'known_hosts')).lookup('i-1')).rejects.toMatchObject({ code: 'LOCAL_IO' });
  });

  it('reports a file it cannot write as LOCAL_IO', async () => {
    const dir = freshDir();
    writeFileSync(dir, 'a file where the directory should be');
    await expect(new KnownHostsFile(join(dir, 'known_hosts')).add('i-1', ED_A)).rejects.toMatchObject({ code: 'LOCAL_IO' });
  });
});
