// The SSM data channel under faults (issue 4 "Shown by"): 100 MiB up and 100 MiB down
// at once through `cat` on a real sshd, byte-exact, while the sandbox drops 5% of the
// frames, duplicates 2%, reorders some, and closes the websocket with 1000 "Bye" every
// 5 s, so the client must retransmit, re-ack, buffer and resume the session repeatedly.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => sandbox?.close());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('SSM under drop, duplication, reordering and "Bye" closes', () => {
  it('carries 100 MiB both ways byte-exact and resumes the session after every close', async () => {
    const k = sandbox.world.knobs;
    k.ssmPacing = 'fast';
    k.ssmDropRate = 0.05;
    k.ssmDuplicateRate = 0.02;
    k.ssmReorderRate = 0.05;
    k.ssmByeEverySeconds = 5;
    sandbox.world.calls.length = 0;
    const payload = randomBytes(100 * 1024 * 1024);
    const result = await sandbox.run(['-v', '--via', 'ssm', `${sandbox.userOf('db-1')}@db-1`, 'cat'], { stdin: payload });
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(result.stdout.length).toBe(payload.length);
    expect(sha(result.stdout)).toBe(sha(payload));
    // The faults really happened and were repaired: resends, duplicates, reconnects.
    const stats = /ssm: (\d+) messages sent, (\d+) resent, (\d+) received \((\d+) duplicate, (\d+) out of order, \d+ unreadable\), (\d+) reconnects/.exec(result.stderr);
    expect(stats, result.stderr.slice(-2000)).not.toBeNull();
    const [, , resent, , duplicates, outOfOrder, reconnects] = stats!.map(Number);
    expect(resent).toBeGreaterThan(0);
    expect(duplicates).toBeGreaterThan(0);
    expect(outOfOrder).toBeGreaterThan(0);
    expect(reconnects).toBeGreaterThan(0);
    const resumes = sandbox.world.calls.filter((c) => c.operation === 'ResumeSession');
    expect(resumes.length).toBeGreaterThanOrEqual(reconnects);
    expect(sandbox.world.calls.filter((c) => c.operation === 'OpenDataChannel').length).toBe(reconnects + 1);
  }, 600_000);
});
