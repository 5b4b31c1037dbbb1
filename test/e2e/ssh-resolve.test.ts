// TARGET resolution end to end: by id, Name tag, private and public IPv4, public
// and private DNS name; ambiguous and unknown names; instances that cannot be reached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('web-1');
});
afterAll(async () => sandbox?.close());

describe('eic-ssh resolves TARGET', () => {
  const web1 = () => sandbox.instance('web-1');

  it.each([
    ['its instance id', () => web1().instanceId],
    ['its Name tag', () => 'web-1'],
    ['its public IPv4 address', () => web1().publicIp!],
    ['its private IPv4 address', () => web1().privateIp],
    ['its public DNS name', () => web1().publicDnsName!],
    ['its private DNS name', () => web1().privateDnsName],
  ])('reaches web-1 by %s', async (_what, target) => {
    const result = await sandbox.run([`${user}@${target()}`, 'echo $((6*7))']);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/eic-ssh:/);
    expect(result.stdoutText).toBe('42\n');
    const push = sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey').at(-1);
    expect(push?.params.InstanceId).toBe(web1().instanceId);
  });

  it('lists the instances an ambiguous name matches and exits 255 without pushing', async () => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run([`${user}@worker`, 'true']);
    expect(result.code).toBe(255);
    const workers = sandbox.instances().filter((i) => i.tags.Name === 'worker');
    expect(result.stderr).toMatch(/^eic-ssh: 'worker' matches 2 instances\n/);
    for (const w of workers) expect(result.stderr).toContain(`${w.instanceId} (worker)  running  ${w.privateIp}`);
    expect(result.stderr).toMatch(/hint: connect by instance id/);
    expect(sandbox.world.operations()).not.toContain('SendSSHPublicKey');
  });

  it.each([
    ['no-such-name', /no instance has the Name tag 'no-such-name' in us-east-1/],
    ['i-0123456789abcdef0', /instance i-0123456789abcdef0 does not exist in us-east-1/],
    ['127.9.9.9', /no instance has the address 127\.9\.9\.9/],
  ])('says clearly that %s matches nothing', async (target, message) => {
    const result = await sandbox.run([target, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/hint: /);
  });

  it('refuses a stopped instance before pushing a key', async () => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run([`${user}@old-batch`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/is stopped, not running[\s\S]*aws ec2 start-instances/);
    expect(sandbox.world.operations()).not.toContain('SendSSHPublicKey');
  });

  it('reaches a private instance (no public address) by another route, and -v says which', async () => {
    const result = await sandbox.run(['-v', `${user}@db-1`, 'echo private']);
    expect(result.code).toBe(0);
    expect(result.stdoutText).toBe('private\n');
    expect(result.stderr).toMatch(/eic-ssh: route +auto: eice → ssm/);
  });

  it('fails fast on --via direct to a private address that is not reachable from here', async () => {
    const started = Date.now();
    const result = await sandbox.run(['--via', 'direct', `${user}@db-1`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(new RegExp(`cannot connect to ${sandbox.instance('db-1').privateIp.replace(/\./g, '\\.')} port \\d+: ECONNREFUSED`));
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('instance state', () => {
  it('a stopped instance refuses connections and a started one serves again', async () => {
    const web1 = sandbox.instance('web-1');
    await sandbox.setState(web1.instanceId, 'stopped');
    try {
      const stopped = await sandbox.run([`${user}@${web1.instanceId}`, 'true']);
      expect(stopped.code).toBe(255);
      expect(stopped.stderr).toContain(`${web1.instanceId} is stopped, not running`);
      const direct = await sandbox.deps().connectTcp(web1.publicIp!, sandbox.sshPort, 2000).catch((e: Error) => e);
      expect(direct).toBeInstanceOf(Error);
    } finally {
      await sandbox.setState(web1.instanceId, 'running');
    }
    const started = await sandbox.run([`${user}@${web1.instanceId}`, 'echo back']);
    expect(started.stdoutText).toBe('back\n');
  });
});
