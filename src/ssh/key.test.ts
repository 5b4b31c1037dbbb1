import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, inspect } from 'node:util';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { EicError } from '../errors.js';
import { generateEphemeralKey, loadPrivateKeyFile, type EphemeralKey } from './key.js';
import { isEncryptedPrivateKey } from './openssh-key-format.js';

const scratch = mkdtempSync(join(tmpdir(), 'eic-ssh-key-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let fileCount = 0;

// `ssh-keygen -lf` on a public line: [bits, fingerprint].
function keygenFingerprint(publicLine: string): [number, string] {
  const file = join(scratch, `pub-${String(++fileCount)}.pub`);
  writeFileSync(file, `${publicLine}\n`);
  const [bits = '', fingerprint = ''] = execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' }).split(' ');
  return [Number(bits), fingerprint];
}

// A key written by ssh-keygen itself (test keys only: the product never writes one).
function keygenFile(args: string[], passphrase = ''): string {
  const file = join(scratch, `id-${String(++fileCount)}`);
  execFileSync('ssh-keygen', ['-q', '-N', passphrase, '-C', 'test', '-f', file, ...args]);
  return file;
}

function keygenPublicLine(privateKeyFile: string, passphrase = ''): string {
  const line = execFileSync('ssh-keygen', ['-y', '-P', passphrase, '-f', privateKeyFile], { encoding: 'utf8' });
  return line.trim().split(' ').slice(0, 2).join(' ');
}

// Proves the private key text works with ssh2 and belongs to the public line.
function expectUsablePair(key: EphemeralKey): void {
  const parsed = ssh2.utils.parseKey(key.privateKey);
  if (parsed instanceof Error) throw parsed;
  expect(parsed.isPrivateKey()).toBe(true);
  const signature = parsed.sign(Buffer.from('challenge'));
  const publicKey = ssh2.utils.parseKey(key.publicLine);
  if (publicKey instanceof Error) throw publicKey;
  expect(publicKey.verify(Buffer.from('challenge'), signature)).toBe(true);
  expect(isEncryptedPrivateKey(key.privateKey)).toBe(false);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof EicError ? error.code : `not an EicError: ${String(error)}`;
  }
}

describe('generateEphemeralKey', () => {
  it('makes an Ed25519 key whose public line is exactly 80 characters with no comment', () => {
    const key = generateEphemeralKey();
    expect(key.type).toBe('ed25519');
    expect(key.publicLine).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]{68}$/);
    expect(key.publicLine).toHaveLength(80);
    expectUsablePair(key);
  });

  it.each([
    { type: 'ed25519' as const, bits: 2048 as const, keygenBits: 256 },
    { type: 'rsa' as const, bits: 2048 as const, keygenBits: 2048 },
    { type: 'rsa' as const, bits: 4096 as const, keygenBits: 4096 },
  ])('gives a $type key the fingerprint ssh-keygen -l prints ($keygenBits bits)', ({ type, bits, keygenBits }) => {
    const key = generateEphemeralKey(type, bits);
    expect(keygenFingerprint(key.publicLine)).toEqual([keygenBits, key.fingerprint]);
    expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('makes RSA keys whose public line has no comment and that ssh2 can use', () => {
    const key = generateEphemeralKey('rsa');
    expect(key.publicLine).toMatch(/^ssh-rsa [A-Za-z0-9+/]+=*$/);
    expectUsablePair(key);
  });

  it('makes a different key every time', () => {
    expect(generateEphemeralKey().fingerprint).not.toBe(generateEphemeralKey().fingerprint);
  });

  it('refuses RSA sizes other than 2048 and 4096', () => {
    expect(() => generateEphemeralKey('rsa', 1024 as 2048)).toThrow(expect.objectContaining({ code: 'KEY_UNSUPPORTED' }));
  });
});

describe('an EphemeralKey prints safely', () => {
  const key = generateEphemeralKey();
  // Every line of the PEM body, and the PEM markers: none may leak.
  const secrets = key.privateKey.split('\n').filter((line) => line.length > 0);

  it.each([
    ['JSON.stringify', () => JSON.stringify(key)],
    ['JSON.stringify of a containing object', () => JSON.stringify({ nested: { key } })],
    ['util.inspect', () => inspect(key, { showHidden: true, depth: 5 })],
    ['util.inspect of a containing object', () => inspect({ nested: [key] })],
    ['util.format %o', () => format('%o', key)],
    ['String()', () => String(key)],
    ['template literal', () => `${String(key)}`],
    ['Object.keys + spread', () => JSON.stringify({ keys: Object.keys(key), spread: { ...key } })],
    ['structuredClone', () => inspect(structuredClone(key))],
  ])('%s shows no private key material', (_name, render) => {
    const text = render();
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/PRIVATE KEY/);
  });

  it('still shows what is safe to show', () => {
    expect(JSON.parse(JSON.stringify(key))).toEqual({ type: 'ed25519', publicLine: key.publicLine, fingerprint: key.fingerprint });
    expect(inspect(key)).toContain(key.fingerprint);
  });

  it('still hands the private key to whoever asks for it by name', () => {
    expect(key.privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
  });
});

describe('loadPrivateKeyFile', () => {
  it.each([
    { name: 'an OpenSSH Ed25519 key', args: ['-t', 'ed25519'], type: 'ed25519' },
    { name: 'an OpenSSH RSA key', args: ['-t', 'rsa', '-b', '2048'], type: 'rsa' },
    { name: 'a PEM (PKCS#1) RSA key', args: ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], type: 'rsa' },
    { name: 'a PKCS#8 RSA key', args: ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], type: 'rsa' },
  ])('reads $name with the public line and fingerprint ssh-keygen derives', async ({ args, type }) => {
    const file = keygenFile(args);
    const key = await loadPrivateKeyFile(file);
    expect(key.type).toBe(type);
    expect(key.publicLine).toBe(keygenPublicLine(file));
    expect(keygenFingerprint(key.publicLine)[1]).toBe(key.fingerprint);
    expectUsablePair(key);
  });

  it('reads a PKCS#8 Ed25519 key written by node:crypto', async () => {
    const file = join(scratch, 'pkcs8-ed25519.pem');
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(file, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const key = await loadPrivateKeyFile(file);
    expect(key.type).toBe('ed25519');
    expect(key.publicLine).toHaveLength(80);
    expectUsablePair(key);
  });

  it.each([
    { name: 'OpenSSH Ed25519', args: ['-t', 'ed25519'] },
    { name: 'PKCS#8 RSA', args: ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'] },
    { name: 'PEM RSA', args: ['-t', 'rsa', '-b', '2048', '-m', 'PEM'] },
  ])('decrypts an encrypted $name key with its passphrase into an unencrypted one', async ({ args }) => {
    const file = keygenFile(args, 'correct horse');
    expect(await codeOf(loadPrivateKeyFile(file))).toBe('KEY_PASSPHRASE');
    expect(await codeOf(loadPrivateKeyFile(file, 'wrong'))).toBe('KEY_PASSPHRASE');
    const key = await loadPrivateKeyFile(file, 'correct horse');
    expect(key.publicLine).toBe(keygenPublicLine(file, 'correct horse'));
    expectUsablePair(key);
  });

  it.each([
    { name: 'an ECDSA key', args: ['-t', 'ecdsa'] },
    { name: 'a 1024-bit RSA key', args: ['-t', 'rsa', '-b', '1024'] },
  ])('refuses $name, which EC2 Instance Connect does not accept', async ({ args }) => {
    expect(await codeOf(loadPrivateKeyFile(keygenFile(args)))).toBe('KEY_UNSUPPORTED');
  });

  it('says so when the file does not exist', async () => {
    await expect(loadPrivateKeyFile(join(scratch, 'missing'))).rejects.toMatchObject({
      code: 'KEY_FILE',
      message: expect.stringContaining('no such file'),
    });
  });

  it('says so when given the public key instead of the private one', async () => {
    const file = keygenFile(['-t', 'ed25519']);
    await expect(loadPrivateKeyFile(`${file}.pub`)).rejects.toMatchObject({
      code: 'KEY_FILE',
      message: expect.stringContaining('is a public key'),
    });
  });

  it('says so when the file is not a key at all', async () => {
    const file = join(scratch, 'garbage');
    writeFileSync(file, 'not a key\n');
    expect(await codeOf(loadPrivateKeyFile(file))).toBe('KEY_FILE');
  });
});
