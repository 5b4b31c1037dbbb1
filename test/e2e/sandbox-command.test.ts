// `eic-ssh sandbox`: --env prints export lines that point eic-ssh at a live sandbox,
// which keeps serving until interrupted; the human form lists the instances.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/main.js';
import { systemDeps } from '../../src/deps.js';
import { testIo, type TestIo } from '../support/test-io.js';

async function until(io: TestIo, pattern: RegExp): Promise<void> {
  // Bounded: a sandbox starts in a few seconds.
  for (let i = 0; i < 300 && !pattern.test(io.stdoutText()); i++) await new Promise((r) => setTimeout(r, 100));
  if (!pattern.test(io.stdoutText())) throw new Error(`no ${pattern} in: ${io.stdoutText()}`);
}

function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z_]+)=('(?:[^']|'\\'')*'|\S+)$/gm)) {
    env[m[1]] = m[2].startsWith("'") ? m[2].slice(1, -1).replace(/'\\''/g, "'") : m[2];
  }
  return env;
}

describe('eic-ssh sandbox', () => {
  it('--env prints exports that eic-ssh can use, and serves until interrupted', async () => {
    const home = mkdtempSync(join(tmpdir(), 'eic-ssh-home-'));
    const serverIo = testIo();
    const serving = main(['sandbox', '--env'], serverIo, systemDeps());
    try {
      await until(serverIo, /^export AWS_ENDPOINT_URL=/m);
      const text = serverIo.stdoutText();
      expect(text.split('\n').filter(Boolean).every((line) => line.startsWith('export '))).toBe(true);
      const env = parseExports(text);
      expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Object.keys(env)).toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'EIC_SSH_KNOWN_HOSTS']));

      const clientIo = testIo({ env });
      const user = process.getuid?.() === 0 ? 'ec2-user' : (await import('node:os')).userInfo().username;
      const code = await main([`${user}@web-1`, 'echo from-env'], clientIo, { ...systemDeps(), homeDir: home });
      expect(clientIo.stderrText()).not.toMatch(/eic-ssh:/);
      expect(clientIo.stdoutText()).toBe('from-env\n');
      expect(code).toBe(0);
    } finally {
      serverIo.signal('SIGINT');
      expect(await serving).toBe(0);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('without --env lists the instances for humans', async () => {
    const io = testIo();
    const serving = main(['sandbox'], io, systemDeps());
    await until(io, /Serving until interrupted/);
    io.signal('SIGINT');
    expect(await serving).toBe(0);
    const text = io.stdoutText();
    for (const name of ['web-1', 'web-2', 'db-1', 'worker', 'old-batch']) expect(text).toContain(name);
    expect(text).toMatch(/export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+/);
  });

  it('--demo connects to an instance and shows the timings', async () => {
    const io = testIo();
    const code = await main(['sandbox', '--demo'], io, systemDeps());
    expect(code).toBe(0);
    expect(io.stdoutText()).toMatch(/^hello from .+ as \S+: Linux /);
    expect(io.stderrText()).toMatch(/eic-ssh: push +\d+ ms/);
    expect(io.stderrText()).toContain('AWS calls made: DescribeInstances, SendSSHPublicKey');
  });
});
