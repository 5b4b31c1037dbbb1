// The config file and environment defaults for --host-key-source and --audit.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { loadUserConfig, parseUserConfig } from './user-config.js';

describe('parseUserConfig', () => {
  it('reads keywords case-insensitively, with spaces or =, skipping comments', () => {
    expect(parseUserConfig('# eic-ssh\n\nhostkeysource Console\nAudit = ~/a.jsonl\n', 'f')).toEqual({ hostKeySource: 'console', audit: '~/a.jsonl' });
  });
  it('refuses unknown keywords and bad values with the line number', () => {
    expect(() => parseUserConfig('HostKeySource console\nColour blue\n', 'cfg')).toThrow(/cfg:2: unknown keyword 'Colour'/);
    expect(() => parseUserConfig('HostKeySource maybe\n', 'cfg')).toThrow(UsageError);
    expect(() => parseUserConfig('Audit\n', 'cfg')).toThrow(/cfg:1: expected 'Keyword value'/);
    expect(() => parseUserConfig('Reuse maybe\n', 'cfg')).toThrow(/cfg:1: Reuse must be yes or no, not 'maybe'/);
    expect(() => parseUserConfig('\nPersist forever\n', 'cfg')).toThrow(/cfg:2: Persist: 'forever' is not a duration/);
  });
  it('reads the connection-reuse defaults: Reuse yes/no and Persist TIME', () => {
    expect(parseUserConfig('Reuse no\nPersist 10m\n', 'f')).toEqual({ reuse: false, persistMs: 600_000 });
    expect(parseUserConfig('reuse = Yes\n', 'f')).toEqual({ reuse: true });
  });
});

describe('loadUserConfig', () => {
  it('reads <state dir>/config, lets the environment override it, expands ~', async () => {
    const home = mkdtempSync(join(tmpdir(), 'eic-cfg-'));
    expect(await loadUserConfig({ EIC_SSH_HOME: join(home, 'st') }, home)).toEqual({});
    const st = join(home, 'st');
    await import('node:fs/promises').then((fs) => fs.mkdir(st));
    writeFileSync(join(st, 'config'), 'HostKeySource console\nAudit ~/audit.jsonl\n');
    expect(await loadUserConfig({ EIC_SSH_HOME: st }, home)).toEqual({ hostKeySource: 'console', audit: join(home, 'audit.jsonl') });
    expect(await loadUserConfig({ EIC_SSH_HOME: st, EIC_SSH_HOST_KEY_SOURCE: 'tofu', EIC_SSH_AUDIT: '/x/y' }, home)).toEqual({
      hostKeySource: 'tofu',
      audit: '/x/y',
    });
    await expect(loadUserConfig({ EIC_SSH_HOME: st, EIC_SSH_HOST_KEY_SOURCE: 'nope' }, home)).rejects.toThrow(/EIC_SSH_HOST_KEY_SOURCE must be console or tofu/);
  });
});
