// TARGET forms beyond id/IP/DNS/Name (ssh-resolve.test.ts has those): Name globs,
// tag:KEY=VALUE, conditions ANDed with '+', --filter passed through to EC2, and the
// ambiguous and empty cases, each against the sandbox's DescribeInstances filters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({
    hostKeyKinds: ['ed25519'],
    fleet: [
      { name: 'web-1', image: 'amazon-linux', tags: { env: 'prod', role: 'web' } },
      { name: 'web-2', image: 'amazon-linux', subnet: 'b', tags: { env: 'staging', role: 'web' } },
      { name: 'db-1', image: 'amazon-linux', public: false, tags: { env: 'prod', role: 'db' } },
      { name: 'web-3', image: 'amazon-linux', state: 'stopped', tags: { env: 'prod', role: 'web' } },
    ],
  });
});
afterAll(async () => sandbox?.close());

const lastPush = () => sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey').at(-1)?.params.InstanceId;

describe('eic-ssh reaches the one instance a TARGET form selects', () => {
  it.each([
    ['a Name glob with ?', ['w?b-2'], 'web-2'],
    ['a Name glob with *', ['we*-1'], 'web-1'],
    ['tag:KEY=VALUE', ['tag:role=db'], 'db-1'],
    ['two tags ANDed', ['tag:env=prod+tag:role=web'], 'web-1'],
    ['a glob ANDed with a tag', ['web-*+tag:env=staging'], 'web-2'],
    ['a tag value glob', ['tag:env=stag*'], 'web-2'],
    ['--filter narrowing a glob', ['--filter', 'Name=availability-zone,Values=us-east-1b', 'web-*'], 'web-2'],
    ['--filter with several values', ['--filter=Name=tag:role,Values=db,cache', 'tag:env=prod'], 'db-1'],
  ])('%s', async (_what, targetArgs, expected) => {
    const result = await sandbox.run([...targetArgs, 'echo $((6*7))']);
    expect(result.stderr).not.toMatch(/eic-ssh:/);
    expect(result.code).toBe(0);
    expect(result.stdoutText).toBe('42\n');
    expect(lastPush()).toBe(sandbox.instance(expected).instanceId);
  });

  it('sends the glob to EC2 as a tag:Name filter with only live instances as candidates', async () => {
    sandbox.world.calls.length = 0;
    await sandbox.run(['w?b-2', 'true']);
    const describe = sandbox.world.calls.find((c) => c.operation === 'DescribeInstances');
    expect(JSON.stringify(describe?.params)).toContain('tag:Name');
    expect(JSON.stringify(describe?.params)).toContain('w?b-2');
    expect(JSON.stringify(describe?.params)).toContain('instance-state-name');
  });
});

describe('ambiguous and empty selections', () => {
  it.each([
    ['web-*', ['web-1', 'web-2']],
    ['tag:env=prod', ['web-1', 'db-1']],
  ])("'%s' matching several running instances lists them and pushes nothing", async (target, names) => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run([target, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(new RegExp(`^eic-ssh: '${target.replace(/[*]/g, '\\*')}' matches \\d instances\\n`));
    for (const name of names) expect(result.stderr).toContain(`${sandbox.instance(name).instanceId} (${name})  running`);
    expect(result.stderr).toMatch(/hint: connect by instance id instead .*eic-ssh run/);
    expect(sandbox.world.operations()).not.toContain('SendSSHPublicKey');
  });

  it('prefers the single running match over a stopped one (web-3 is stopped)', async () => {
    const result = await sandbox.run(['tag:role=web+tag:env=prod', 'true']);
    expect(result.code).toBe(0);
    expect(lastPush()).toBe(sandbox.instance('web-1').instanceId);
  });

  it('says a stopped single match is stopped', async () => {
    const result = await sandbox.run(['web-3+tag:env=prod', 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/is stopped, not running/);
  });

  it.each([
    [['tag:env=nope', 'true'], /^eic-ssh: no instance matches 'tag:env=nope' in us-east-1\n/],
    [['nomatch-*', 'true'], /^eic-ssh: no instance matches 'nomatch-\*' in us-east-1\n/],
    [['--filter', 'Name=tag:env,Values=nope', 'web-1', 'true'], /^eic-ssh: no instance matches 'web-1' in us-east-1\n/],
  ])('%j matches nothing: a clear message and a hint', async (argv, message) => {
    const result = await sandbox.run(argv);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/hint: .*tag:KEY=VALUE/);
  });

  it.each([
    [['tag:env', 'true'], /'tag:env' is not tag:KEY=VALUE/],
    [['web-1+', 'true'], /empty condition in 'web-1\+'/],
    [['--filter', 'env=prod', 'web-1', 'true'], /--filter 'env=prod' is not Name=NAME,Values=V1/],
  ])('%j is a usage error before any AWS call', async (argv, message) => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(argv);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/hint: /);
    expect(sandbox.world.operations()).toEqual([]);
  });

  it('reports a filter EC2 does not know as EC2 says it', async () => {
    const result = await sandbox.run(['--filter', 'Name=no-such-filter,Values=x', 'web-1', 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/no-such-filter/);
  });
});
