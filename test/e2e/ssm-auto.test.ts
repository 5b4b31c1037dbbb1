// `--via auto` falls back to SSM last, and only for managed nodes whose SSM Agent is
// Online per DescribeInstanceInformation (ssm.md §3.4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  // The endpoint cannot reach db-1 (security group): EICE fails, auto moves on.
  sandbox.world.eiceKnobs.blockedInstances.add(sandbox.instance('db-1').instanceId);
});
afterAll(async () => sandbox?.close());

describe('auto route and SSM', () => {
  it('reaches a private instance through SSM when EICE cannot', async () => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['-v', `${sandbox.userOf('db-1')}@db-1`, 'echo via-auto']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdoutText).toBe('via-auto\n');
    expect(result.stderr).toMatch(/eice route failed .*; trying ssm/);
    expect(result.stderr).toMatch(/route +ssm: SSM session/);
    const describe = sandbox.world.calls.find((c) => c.operation === 'DescribeInstanceInformation');
    expect(describe?.params).toMatchObject({ Filters: [{ Key: 'InstanceIds', Values: [sandbox.instance('db-1').instanceId] }] });
  });

  it('does not start an SSM session for a node whose agent is not Online', async () => {
    const instance = sandbox.instance('db-1');
    const saved = instance.ssm!.pingStatus;
    instance.ssm!.pingStatus = 'ConnectionLost';
    sandbox.world.calls.length = 0;
    try {
      const result = await sandbox.run([`${sandbox.userOf('db-1')}@db-1`, 'true']);
      expect(result.code).toBe(255);
      // Asked, and told no: SSM is skipped without a session (the EICE failure is reported).
      expect(sandbox.world.calls.some((c) => c.operation === 'DescribeInstanceInformation')).toBe(true);
      expect(sandbox.world.calls.some((c) => c.operation === 'StartSession')).toBe(false);
      expect(result.stderr).toContain('closed the tunnel');
    } finally {
      instance.ssm!.pingStatus = saved;
    }
  });
});
