// `eic-ssh ls`: the running instances a selector matches, with their addresses, zone
// and available routes (direct: public address; eice: an endpoint in the VPC; ssm: an
// Online managed node), as a TTY table, tab-separated lines when piped, and JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({
    hostKeyKinds: ['ed25519'],
    fleet: [
      { name: 'web-1', image: 'amazon-linux', ssm: true, tags: { env: 'prod' } },
      { name: 'web-2', image: 'ubuntu', subnet: 'b' },
      { name: 'db-1', image: 'amazon-linux', public: false, ssm: true, tags: { env: 'prod' } },
      { name: 'cache-1', image: 'debian', public: false, ssm: 'offline' },
      { name: 'old', image: 'amazon-linux', state: 'stopped', tags: { env: 'prod' } },
    ],
  });
});
afterAll(async () => sandbox?.close());

function expectedRow(name: string, routes: string): string[] {
  const i = sandbox.instance(name);
  return [i.instanceId, name, i.state, i.privateIp, i.publicIp ?? '-', i.az, routes];
}

describe('eic-ssh ls', () => {
  it('piped: one tab-separated line per running instance, sorted by Name, with its routes', async () => {
    const result = await sandbox.run(['ls']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdoutText.split('\n').filter(Boolean).map((l) => l.split('\t'))).toEqual([
      expectedRow('cache-1', 'eice'),
      expectedRow('db-1', 'eice,ssm'),
      expectedRow('web-1', 'direct,eice,ssm'),
      expectedRow('web-2', 'direct,eice'),
    ]);
  });

  it('on a terminal: an aligned table with a header', async () => {
    const result = await sandbox.run(['ls', 'web-*'], { stdoutIsTTY: true });
    expect(result.code).toBe(0);
    const lines = result.stdoutText.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/^ID +NAME +STATE +PRIVATE-IP +PUBLIC-IP +AZ +ROUTES$/);
    expect(lines).toHaveLength(3);
    expect(lines[1].split(/ {2,}/)).toEqual(expectedRow('web-1', 'direct,eice,ssm'));
    // Columns line up: every row's NAME starts where the header's does.
    const nameAt = lines[0].indexOf('NAME');
    for (const line of lines.slice(1)) expect(line.slice(nameAt, nameAt + 4)).toBe('web-');
  });

  it('--json: an array of objects for machines', async () => {
    const result = await sandbox.run(['ls', 'tag:env=prod', '--json']);
    expect(result.code).toBe(0);
    const db = sandbox.instance('db-1');
    const web = sandbox.instance('web-1');
    expect(JSON.parse(result.stdoutText)).toEqual([
      { instanceId: db.instanceId, name: 'db-1', state: 'running', privateIp: db.privateIp, publicIp: null, availabilityZone: db.az, routes: ['eice', 'ssm'] },
      { instanceId: web.instanceId, name: 'web-1', state: 'running', privateIp: web.privateIp, publicIp: web.publicIp, availabilityZone: web.az, routes: ['direct', 'eice', 'ssm'] },
    ]);
  });

  it('--all-states also lists stopped instances', async () => {
    const result = await sandbox.run(['ls', 'tag:env=prod', '--all-states']);
    expect(result.code).toBe(0);
    expect(result.stdoutText.split('\n').filter(Boolean).map((l) => l.split('\t')[1])).toEqual(['db-1', 'old', 'web-1']);
    expect(result.stdoutText).toContain('\tstopped\t');
  });

  it('a comma-separated selector is the union, and --filter narrows it', async () => {
    const union = await sandbox.run(['ls', 'web-2,db-1,web-2']);
    expect(union.stdoutText.split('\n').filter(Boolean).map((l) => l.split('\t')[1])).toEqual(['db-1', 'web-2']);
    const narrowed = await sandbox.run(['ls', '*', '--filter', 'Name=availability-zone,Values=us-east-1b']);
    expect(narrowed.stdoutText.split('\n').filter(Boolean).map((l) => l.split('\t')[1])).toEqual(['web-2']);
  });

  it('shows the SSM route as unknown (ssm?) when DescribeInstanceInformation fails', async () => {
    // A closed SSM endpoint (loopback port 9) stands in for a refused call.
    const result = await sandbox.run(['ls', 'db-1'], { env: { AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9' } });
    expect(result.code).toBe(0);
    expect(result.stdoutText.trim().split('\t').at(-1)).toBe('eice,ssm?');
  });

  it.each([
    [['ls', 'nope-*'], /^eic-ssh: 'nope-\*' matches no running instance in us-east-1\n/],
    [['ls', 'web-1,nope,zzz'], /^eic-ssh: 'nope', 'zzz' match no running instance in us-east-1\n/],
  ])('%j: a term that matches nothing is an error naming it', async (argv, message) => {
    const result = await sandbox.run(argv);
    expect(result.code).toBe(255);
    expect(result.stdoutText).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/hint: eic-ssh ls lists the running instances; --all-states/);
  });
});
