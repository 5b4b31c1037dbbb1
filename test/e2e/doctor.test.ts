// eic-ssh doctor against the sandbox: the healthy default fleet, then every
// misconfiguration knob (src/sandbox/network-faults.ts) turning exactly its check to ✗
// with a fix, denied describe calls turning checks to ?, the verdict and exit status.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyNetworkFault, NETWORK_FAULTS, type NetworkFault } from '../../src/sandbox/network-faults.js';
import type { DoctorReport } from '../../src/doctor/report.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { snapshotWorld } from '../support/world-snapshot.js';

let sandbox: TestSandbox;
let restore: () => void;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  restore = snapshotWorld(sandbox.world);
});
afterEach(() => restore());
afterAll(async () => sandbox?.close());

async function doctor(target: string, ...extra: string[]): Promise<{ code: number; report: DoctorReport; stderr: string }> {
  const result = await sandbox.run(['doctor', '--json', ...extra, target]);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdoutText) as DoctorReport, stderr: result.stderr };
}

function statusOf(report: DoctorReport, id: string): string | undefined {
  return report.checks.find((c) => c.id === id)?.status;
}

describe('eic-ssh doctor on the healthy default fleet', () => {
  it('finds every route to a public instance open', async () => {
    const { code, report } = await doctor('web-1');
    expect(code).toBe(0);
    expect(report.verdict).toBe('reachable via direct, eice, ssm');
    const notOk = report.checks.filter((c) => c.status !== 'ok').map((c) => `${c.id}:${c.status}`);
    expect(notOk).toEqual([]);
    expect(report.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['role-policy', 'perm-send-ssh-public-key', 'perm-open-tunnel', 'perm-start-session']));
    expect(report.checks.find((c) => c.id === 'identity')?.detail).toContain(sandbox.principal.arn);
  });

  it('finds db-1 (private) reachable through EICE and SSM, through the SSM interface endpoints', async () => {
    const { code, report } = await doctor('db-1');
    expect(code).toBe(0);
    expect(report.verdict).toBe('reachable via eice, ssm; direct blocked: Public IPv4 address');
    for (const id of ['vpce-ssm', 'vpce-ssmmessages', 'vpce-ec2messages', 'vpc-enableDnsSupport', 'vpc-enableDnsHostnames', 'vpce-https']) {
      expect(statusOf(report, id), id).toBe('ok');
    }
    expect(report.checks.find((c) => c.id === 'public-address')?.fix).toMatch(/^allocate and associate an Elastic IP: aws ec2 allocate-address/);
  });

  it('finds a stopped instance unreachable and exits 1', async () => {
    const { code, report } = await doctor('old-batch');
    expect(code).toBe(1);
    expect(report.verdict).toMatch(/^not reachable by any route; direct blocked: Instance is running, Public IPv4 address; eice blocked: Instance is running[;,]/);
    expect(report.checks.find((c) => c.id === 'instance-state')?.fix).toMatch(/^aws ec2 start-instances --instance-ids i-/);
  });

  it('finds a node without the SSM Agent not registered', async () => {
    const worker = sandbox.instances().find((i) => i.tags.Name === 'worker' && i.ssm === undefined)!;
    const { report } = await doctor(worker.instanceId);
    expect(statusOf(report, 'ssm-registered')).toBe('fail');
    expect(report.routes.ssm.usable).toBe(false);
  });
});

// Each knob, the instance it is applied to, and the check it must turn to ✗.
const CASES: [NetworkFault, string, string[]][] = [
  ['no-ssh-inbound', 'web-1', ['sg-ssh-inbound']],
  ['no-igw-route', 'web-1', ['igw-route']],
  ['no-eice', 'web-1', ['eice-endpoint']],
  ['eice-creating', 'web-1', ['eice-endpoint']],
  ['eice-no-egress', 'web-1', ['eice-egress']],
  // The shared instance SG's 0.0.0.0/0 rule admitted the endpoint too: removing it closes both.
  ['instance-sg-no-eice', 'db-1', ['sg-ssh-inbound', 'eice-instance-sg']],
  ['ssm-unregistered', 'web-1', ['ssm-registered']],
  ['ssm-offline', 'web-1', ['ssm-ping']],
  ['ssm-old-agent', 'web-1', ['ssm-agent-version']],
  ['imds-disabled', 'web-1', ['imds']],
  ['no-instance-profile', 'web-1', ['instance-profile']],
  ['no-ssm-endpoints', 'db-1', ['vpce-ssm', 'vpce-ssmmessages', 'vpce-ec2messages']],
  ['no-ssmmessages-endpoint', 'db-1', ['vpce-ssmmessages']],
  ['ssm-endpoints-pending', 'db-1', ['vpce-ssm', 'vpce-ssmmessages', 'vpce-ec2messages']],
  ['ssm-endpoints-no-private-dns', 'db-1', ['vpce-ssm', 'vpce-ssmmessages', 'vpce-ec2messages']],
  ['vpc-no-dns-hostnames', 'db-1', ['vpc-enableDnsHostnames']],
  ['vpc-no-dns-support', 'db-1', ['vpc-enableDnsSupport']],
  ['ssm-endpoint-sg-no-443', 'db-1', ['vpce-https']],
  ['no-ssm-policy', 'web-1', ['role-policy']],
  ['deny-send-ssh-public-key', 'web-1', ['perm-send-ssh-public-key']],
  ['deny-open-tunnel', 'db-1', ['perm-open-tunnel']],
  ['deny-start-session', 'db-1', ['perm-start-session']],
];

describe('each misconfiguration knob turns its check to ✗ with a fix', () => {
  it('covers every knob', () => {
    // deny-simulate turns checks to ?, not ✗: tested under 'denied IAM calls'.
    expect([...CASES.map(([fault]) => fault), 'deny-simulate'].sort()).toEqual([...NETWORK_FAULTS].sort());
  });

  it.each(CASES)('%s on %s', async (fault, target, failing) => {
    const before = await doctor(target);
    for (const id of failing) expect(statusOf(before.report, id), `${id} before`).toBe('ok');
    applyNetworkFault(sandbox.world, fault, sandbox.instance(target).instanceId);
    const { report } = await doctor(target);
    const failed = report.checks.filter((c) => c.status === 'fail' && before.report.checks.find((b) => b.id === c.id)?.status !== 'fail');
    expect(failed.map((c) => c.id)).toEqual(failing);
    for (const c of failed) expect(c.fix, c.id).toMatch(/^(aws |wait for |install |check |allocate )/);
    const last = failed[failed.length - 1];
    if (last.route === 'general') {
      // A general prerequisite blocks every route.
      expect(Object.values(report.routes).map((r) => r.usable)).toEqual([false, false, false]);
      expect(report.verdict).toMatch(/^not reachable by any route; /);
      return;
    }
    const route = last.route;
    expect(report.routes[route].usable).toBe(false);
    expect(report.routes[route].blockedBy).toContain(last.title);
    expect(report.verdict).toMatch(new RegExp(`${route} blocked: ([^;]*, )?${last.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(,|;|$)`));
  });

  it('a subnet without an internet route sends web-1 to the SSM interface endpoints, which work', async () => {
    applyNetworkFault(sandbox.world, 'no-igw-route');
    const { report } = await doctor('web-1');
    expect(statusOf(report, 'ssm-egress')).toBeUndefined();
    expect(statusOf(report, 'vpce-ssm')).toBe('ok');
    expect(report.verdict).toBe('reachable via eice, ssm; direct blocked: Subnet routes 0.0.0.0/0 to an internet gateway');
  });

  it('exits 1 when every route is blocked', async () => {
    const id = sandbox.instance('db-1').instanceId;
    applyNetworkFault(sandbox.world, 'no-eice');
    applyNetworkFault(sandbox.world, 'ssm-offline', id);
    const result = await sandbox.run(['doctor', 'db-1']);
    expect(result.code).toBe(1);
    expect(result.stdoutText).toMatch(/\nVerdict: not reachable by any route; direct blocked: Public IPv4 address; eice blocked: EC2 Instance Connect Endpoint in the VPC; ssm blocked: SSM Agent is Online\n$/);
  });
});

describe('denied IAM calls', () => {
  it('deny-simulate turns every permission check to ? and blocks nothing', async () => {
    applyNetworkFault(sandbox.world, 'deny-simulate');
    const { code, report } = await doctor('web-1');
    const perms = report.checks.filter((c) => c.id.startsWith('perm-'));
    expect(perms.length).toBe(5);
    for (const c of perms) expect(c.detail).toBe('could not check: iam:SimulatePrincipalPolicy failed: AccessDenied');
    expect(perms.every((c) => c.status === 'unknown')).toBe(true);
    expect(code).toBe(0);
    expect(report.verdict).toBe('reachable via direct, eice, ssm');
  });

  it('the simulation follows the push knobs for the OS user asked with -l', async () => {
    sandbox.world.knobs.deniedOsUsers.add('root');
    const root = await doctor('web-1', '-l', 'root');
    const check = root.report.checks.find((c) => c.id === 'perm-send-ssh-public-key')!;
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/^aws iam put-user-policy --user-name sandbox-developer --policy-name eic-ssh-SendSSHPublicKey --policy-document '/);
    expect(root.code).toBe(1);
    expect(statusOf((await doctor('web-1')).report, 'perm-send-ssh-public-key')).toBe('ok');
    sandbox.world.knobs.deniedOsUsers.delete('root');
  });
});

describe('denied describe calls', () => {
  it('turn the checks that need them to ? and say which call failed', async () => {
    sandbox.world.network.deniedActions.add('DescribeSecurityGroups');
    sandbox.world.network.deniedActions.add('DescribeVpcEndpoints');
    const { code, report } = await doctor('db-1');
    for (const id of ['sg-ssh-inbound', 'eice-egress', 'eice-instance-sg', 'vpce-ssm', 'vpce-https']) {
      const check = report.checks.find((c) => c.id === id)!;
      expect(check.status, id).toBe('unknown');
      expect(check.detail, id).toMatch(/^could not check: ec2:Describe(SecurityGroups|VpcEndpoints) failed: UnauthorizedOperation$/);
    }
    // '?' does not block a route.
    expect(code).toBe(0);
    expect(report.routes.eice.usable).toBe(true);
  });
});

describe('--from checks the inbound rule against the caller address', () => {
  it('ok inside the admitted range, ✗ outside it, ? without --from', async () => {
    const [group] = sandbox.world.network.instanceGroups.get(sandbox.instance('web-1').instanceId)!;
    const rule = sandbox.world.network.securityGroups.get(group)!.inbound[0];
    rule.cidrs = ['198.51.100.0/24'];
    expect(statusOf((await doctor('web-1', '--from', '198.51.100.9')).report, 'sg-ssh-inbound')).toBe('ok');
    const outside = (await doctor('web-1', '--from', '203.0.113.7')).report.checks.find((c) => c.id === 'sg-ssh-inbound')!;
    expect(outside.status).toBe('fail');
    expect(outside.fix).toBe(`aws ec2 authorize-security-group-ingress --group-id ${group} --protocol tcp --port 22 --cidr 203.0.113.7/32`);
    expect(statusOf((await doctor('web-1')).report, 'sg-ssh-inbound')).toBe('unknown');
  });
});

describe('output', () => {
  it('prints a checklist grouped by route with ✓ ✗ ? and the fix under each ✗', async () => {
    applyNetworkFault(sandbox.world, 'imds-disabled', sandbox.instance('web-1').instanceId);
    applyNetworkFault(sandbox.world, 'deny-simulate');
    const result = await sandbox.run(['doctor', 'web-1']);
    expect(result.code).toBe(0);
    const text = result.stdoutText;
    const headings = ['General', 'Direct (public address)', 'EC2 Instance Connect Endpoint', 'SSM Session Manager'].map((h) => text.indexOf(`\n${h}\n`));
    expect(headings.every((i) => i > 0)).toBe(true);
    expect([...headings].sort((a, b) => a - b)).toEqual(headings);
    expect(text).toContain('  ✓ Instance is running: ');
    expect(text).toContain('  ? You may call ssm:StartSession: could not check: iam:SimulatePrincipalPolicy failed: AccessDenied\n');
    expect(text).toMatch(/ {2}✗ Instance metadata service enabled: HttpEndpoint disabled: .*\n {6}fix: aws ec2 modify-instance-metadata-options --instance-id i-[0-9a-f]+ --http-endpoint enabled\n/);
    expect(text).toMatch(/\nVerdict: reachable via direct, eice; ssm blocked: Instance metadata service enabled\n$/);
  });

  it('--json has the instance, every check with its route and status, the routes and the verdict', async () => {
    const { report } = await doctor('web-1');
    expect(Object.keys(report).sort()).toEqual(['checks', 'instanceId', 'routes', 'verdict']);
    expect(report.instanceId).toBe(sandbox.instance('web-1').instanceId);
    expect(report.routes).toEqual({ direct: { usable: true, blockedBy: [] }, eice: { usable: true, blockedBy: [] }, ssm: { usable: true, blockedBy: [] } });
    for (const c of report.checks) {
      expect(['general', 'direct', 'eice', 'ssm']).toContain(c.route);
      expect(['ok', 'fail', 'unknown']).toContain(c.status);
      expect(typeof c.title).toBe('string');
      expect(typeof c.detail).toBe('string');
      expect('fix' in c).toBe(c.status === 'fail');
    }
  });

  it('rejects a missing target and a bad --from with exit 255 and a hint', async () => {
    const none = await sandbox.run(['doctor']);
    expect(none.code).toBe(255);
    expect(none.stderr).toMatch(/doctor: no target given/);
    const bad = await sandbox.run(['doctor', '--from', 'nowhere', 'web-1']);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toMatch(/--from wants an IPv4 address/);
    const missing = await sandbox.run(['doctor', 'no-such-instance']);
    expect(missing.code).toBe(255);
  });
});

describe('the verdict agrees with connecting', () => {
  it('db-1: EICE and SSM connect by default; each fails when its knob blocks it, as the doctor says', async () => {
    const user = sandbox.userOf('db-1');
    const id = sandbox.instance('db-1').instanceId;
    for (const via of ['eice', 'ssm']) {
      const ok = await sandbox.run(['--via', via, `${user}@db-1`, 'echo', via]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdoutText).toBe(`${via}\n`);
    }
    applyNetworkFault(sandbox.world, 'instance-sg-no-eice', id);
    applyNetworkFault(sandbox.world, 'ssm-offline', id);
    const { report } = await doctor('db-1');
    expect(report.routes.eice.usable).toBe(false);
    expect(report.routes.ssm.usable).toBe(false);
    for (const via of ['eice', 'ssm']) {
      const blocked = await sandbox.run(['--via', via, `${user}@db-1`, 'echo', via]);
      expect(blocked.code, via).toBe(255);
      expect(blocked.stdoutText).toBe('');
    }
  });
});

describe('denied permissions are refused as the simulation says', () => {
  it('deny-open-tunnel and deny-start-session: the doctor blocks the routes and connecting fails', async () => {
    const user = sandbox.userOf('db-1');
    applyNetworkFault(sandbox.world, 'deny-open-tunnel');
    applyNetworkFault(sandbox.world, 'deny-start-session');
    const { code, report } = await doctor('db-1');
    expect(code).toBe(1);
    expect(report.routes.eice.blockedBy).toEqual(['You may call ec2-instance-connect:OpenTunnel']);
    expect(report.routes.ssm.blockedBy).toEqual(['You may call ssm:StartSession']);
    for (const via of ['eice', 'ssm']) {
      const blocked = await sandbox.run(['--via', via, `${user}@db-1`, 'true']);
      expect(blocked.code, via).toBe(255);
      expect(blocked.stderr, via).toMatch(/not authorized|AccessDenied|access denied/i);
    }
  });
});
