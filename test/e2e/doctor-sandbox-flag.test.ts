// `eic-ssh sandbox --break`: the doctor's misconfiguration knobs by name, seen by
// `eic-ssh doctor` from another client, and refused when unknown.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemDeps } from '../../src/deps.js';
import { main } from '../../src/main.js';
import { testIo, type TestIo } from '../support/test-io.js';

async function until(io: TestIo, pattern: RegExp): Promise<void> {
  // Bounded: a sandbox starts in a few seconds.
  for (let i = 0; i < 300 && !pattern.test(io.stdoutText()); i++) await new Promise((r) => setTimeout(r, 100));
  if (!pattern.test(io.stdoutText())) throw new Error(`no ${pattern} in: ${io.stdoutText()}`);
}

describe('eic-ssh sandbox --break', () => {
  it('breaks the named prerequisites, and the doctor sees them', async () => {
    const home = mkdtempSync(join(tmpdir(), 'eic-ssh-home-'));
    const serverIo = testIo();
    const serving = main(['sandbox', '--env', '--break', 'no-eice', '--break', 'ssm-offline=db-1'], serverIo, systemDeps());
    try {
      await until(serverIo, /^export AWS_ENDPOINT_URL=/m);
      const env = Object.fromEntries([...serverIo.stdoutText().matchAll(/^export ([A-Z_]+)=(?:'([^']*)'|(\S+))$/gm)].map((m) => [m[1], m[2] ?? m[3]]));
      const clientIo = testIo({ env });
      const code = await main(['doctor', 'db-1'], clientIo, { ...systemDeps(), homeDir: home });
      expect(clientIo.stderrText()).toBe('');
      expect(code).toBe(1);
      expect(clientIo.stdoutText()).toContain('\nVerdict: not reachable by any route; direct blocked: Public IPv4 address; eice blocked: EC2 Instance Connect Endpoint in the VPC; ssm blocked: SSM Agent is Online\n');
    } finally {
      serverIo.signal('SIGINT');
      expect(await serving).toBe(0);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses an unknown fault and an instance-scoped fault without an instance, with exit 255 and a hint', async () => {
    for (const [spec, message] of [
      ['no-such-fault', /unknown --break 'no-such-fault'/],
      ['ssm-offline', /--break ssm-offline: network fault ssm-offline needs an instance id/],
    ] as const) {
      const io = testIo();
      const code = await main(['sandbox', '--env', '--break', spec], io, systemDeps());
      expect(code).toBe(255);
      expect(io.stderrText()).toMatch(message);
      expect(io.stderrText()).toMatch(/hint:|one of:|=<instance/);
    }
  });
});
