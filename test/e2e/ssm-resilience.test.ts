// The SSM route against the other things Session Manager does to a long session
// (ssm.md §5.2, §12, §13, §14): publication pauses, corrupted digests, sockets dropped
// without CLOSE, refused ResumeSession calls, and the idle timeout's channel_closed.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultKnobs } from '../../src/sandbox/world.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let target: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  target = `${sandbox.userOf('db-1')}@db-1`;
});
afterEach(() => Object.assign(sandbox.world.knobs, defaultKnobs()));
afterAll(async () => sandbox?.close());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('SSM session resilience', () => {
  it('survives publication pauses, corrupted digests and dropped sockets byte-exact', async () => {
    const k = sandbox.world.knobs;
    k.ssmPacing = 'fast';
    k.ssmPauseEverySeconds = 1;
    k.ssmPauseForMs = 300;
    k.ssmCorruptDigestRate = 0.02;
    k.ssmDropSocketEverySeconds = 2;
    const payload = randomBytes(24 * 1024 * 1024);
    const result = await sandbox.run(['-v', '--via', 'ssm', target, 'cat'], { stdin: payload });
    expect(result.code, result.stderr.slice(-1500)).toBe(0);
    expect(sha(result.stdout)).toBe(sha(payload));
    expect(result.stderr).toMatch(/ssm: websocket closed \(1006\); resuming session/);
    expect(result.stderr).toMatch(/dropped an unreadable frame: SSM data channel: payload digest mismatch/);
  }, 180_000);

  it('retries a refused ResumeSession and carries on', async () => {
    const k = sandbox.world.knobs;
    k.ssmByeEverySeconds = 1;
    k.ssmRefuseNextResumes = 2;
    const result = await sandbox.run(['-v', '--via', 'ssm', target, 'sleep 2; echo still here'], {});
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdoutText).toBe('still here\n');
    expect(result.stderr).toMatch(/resume attempt 1\/8 failed: .*not authorized to perform: ssm:ResumeSession/);
    expect(result.stderr).toMatch(/resumed session \(attempt 3\)/);
  }, 60_000);

  it('gives up after a bounded, logged number of resume attempts', async () => {
    const k = sandbox.world.knobs;
    k.ssmByeEverySeconds = 1;
    k.ssmRefuseNextResumes = 1000;
    const result = await sandbox.run(['-v', '--via', 'ssm', target, 'sleep 30'], {});
    expect(result.code).toBe(255);
    for (let attempt = 1; attempt <= 8; attempt++) expect(result.stderr).toContain(`resume attempt ${attempt}/8 failed`);
    expect(result.stderr).not.toContain('resume attempt 9');
    expect(result.stderr).toMatch(/lost the SSM session \S+: could not reconnect after 8 tries/);
  }, 60_000);

  it('ends with the service message when the session times out for inactivity', async () => {
    sandbox.world.knobs.ssmIdleTimeoutSeconds = 1;
    const result = await sandbox.run(['--via', 'ssm', target, 'sleep 4; echo never'], {});
    expect(result.code).toBe(255);
    expect(result.stdoutText).toBe('');
    expect(result.stderr).toMatch(/timed out due to inactivity/);
  }, 60_000);
});
