// The mux key, socket path and duration parser (src/mux/paths.ts).
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EicError } from '../errors.js';
import { ensurePrivateDirectory, muxKey, parseDuration, socketPath } from './paths.js';

const base = { target: 'web-1', user: 'ec2-user', via: 'auto' };
const env = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' };

describe('muxKey', () => {
  it('is stable for the same target and differs when any part of the identity does', () => {
    const key = muxKey(base, env);
    expect(key).toMatch(/^[0-9a-f]{20}$/);
    expect(muxKey({ ...base }, { ...env })).toBe(key);
    for (const changed of [
      muxKey({ ...base, target: 'web-2' }, env),
      muxKey({ ...base, user: 'ubuntu' }, env),
      muxKey({ ...base, port: 2222 }, env),
      muxKey({ ...base, via: 'ssm' }, env),
      muxKey({ ...base, region: 'eu-west-1' }, env),
      muxKey({ ...base, profile: 'other' }, env),
      muxKey(base, { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }),
      muxKey(base, { ...env, AWS_ACCESS_KEY_ID: 'AKIDOTHER' }),
    ]) {
      expect(changed).not.toBe(key);
    }
  });

  it('treats the default port as port 22 (or EIC_SSH_PORT)', () => {
    expect(muxKey({ ...base, port: 22 }, env)).toBe(muxKey(base, env));
    expect(muxKey({ ...base, port: 2200 }, { ...env, EIC_SSH_PORT: '2200' })).toBe(muxKey(base, { ...env, EIC_SSH_PORT: '2200' }));
  });
});

describe('socketPath', () => {
  it('refuses a path too long for sockaddr_un, with a hint', () => {
    expect(socketPath('/tmp/x/mux', 'abc')).toBe('/tmp/x/mux/abc.sock');
    expect(() => socketPath('/' + 'd'.repeat(100), 'abc')).toThrow(/too long for a Unix socket/);
  });
});

describe('ensurePrivateDirectory', () => {
  it('creates the directory 0700 and tightens an existing looser one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'eic-paths-'));
    try {
      await ensurePrivateDirectory(join(root, 'a', 'mux'));
      expect(statSync(join(root, 'a', 'mux')).mode & 0o777).toBe(0o700);
      mkdirSync(join(root, 'open'), { mode: 0o755 });
      await ensurePrivateDirectory(join(root, 'open'));
      expect(statSync(join(root, 'open')).mode & 0o777).toBe(0o700);
      // Someone else's directory (simulated by expecting another uid) is refused.
      const mine = statSync(join(root, 'open')).uid;
      await expect(ensurePrivateDirectory(join(root, 'open'), mine + 1)).rejects.toThrow(/belongs to another user/);
      // A file where a directory should be: an EicError with a hint, not a raw fs error.
      writeFileSync(join(root, 'file'), '');
      const error = await ensurePrivateDirectory(join(root, 'file', 'mux')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EicError);
      expect((error as EicError).message).toBe(`connection reuse: cannot create ${join(root, 'file', 'mux')} (ENOTDIR)`);
      expect((error as EicError).hint).toMatch(/--no-reuse/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('parseDuration', () => {
  it.each([
    ['90', 90_000],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['250ms', 250],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text, '--persist')).toBe(ms);
  });

  it.each(['', '0', '10x', '-5', '1.5m', '8d', '200h'])('rejects %j', (text) => {
    expect(() => parseDuration(text, '--persist')).toThrow(/--persist: .* is not a duration/);
  });
});
