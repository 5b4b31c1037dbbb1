// The instance picker, driven through a real pseudo-terminal (script(1)) on the built
// CLI: with no TARGET on a terminal, a fuzzy search over the running instances; the
// pick connects like a typed target (user inferred from the image). Without a
// terminal, omitting TARGET stays an error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInPty } from '../support/pty-run.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let home: string;
beforeAll(async () => {
  sandbox = await startTestSandbox({ hostKeyKinds: ['ed25519'] });
  home = mkdtempSync(join(tmpdir(), 'eic-ssh-picker-home-'));
});
afterAll(async () => {
  await sandbox?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the instance picker', () => {
  it('lists the running instances, filters as you type, and connects to the pick', async () => {
    const web2 = sandbox.instance('web-2');
    const result = await runInPty({
      args: [],
      env: { ...process.env, ...sandbox.env, HOME: home, TERM: 'xterm' },
      size: { columns: 140, rows: 30 },
      steps: [
        // The whole list is drawn (worker sorts last), then the filter is typed.
        { after: /worker/, type: 'wb2' },
        // A render whose list, right under the typed term, starts at web-2 (db-1, the
        // first line before filtering, is gone): Enter picks it.
        { after: /wb2(?:(?!db-1)[^])*web-2/, type: '\r' },
        { after: /\$ $/m, type: 'echo picked-$((6*7)) $(id -un); exit 4\n' },
      ],
      timeoutMs: 60_000,
    });
    expect(result.output).toContain(`${web2.instanceId}  web-2`);
    expect(result.output).toMatch(/us-east-1b +direct,eice,ssm/);
    expect(result.output).toContain('picked-42 ubuntu');
    expect(result.code).toBe(4);
    const push = sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey').at(-1);
    expect(push?.params.InstanceId).toBe(web2.instanceId);
  }, 90_000);

  it('without a terminal, a missing target is still a usage error', async () => {
    sandbox.world.calls.length = 0;
    const none = await sandbox.run([]);
    expect(none.code).toBe(255);
    expect(none.stderr).toMatch(/^eic-ssh: no target given\n/);
    const optionsOnly = await sandbox.run(['-v']);
    expect(optionsOnly.code).toBe(255);
    expect(optionsOnly.stderr).toMatch(/no target given/);
    expect(sandbox.world.operations()).not.toContain('SendSSHPublicKey');
  });
});
