// Every doctor check, table-tested both ways over pure facts: healthy facts give ✓,
// one change gives ✗ (with a fix) or ? (with the reason).
import { describe, expect, it } from 'vitest';
import { type DoctorFacts, notKnown, known } from '../facts.js';
import { buildReport, runChecks } from '../report.js';
import { cidrContains, ruleCoversTcp } from './net.js';
import { compareVersions } from './ssm.js';
import { PERMISSIONS, policySourceArn } from '../permissions.js';

// Healthy facts: a public instance in a VPC with an internet gateway, an EICE endpoint,
// SSM interface endpoints and an instance profile.
function healthyFacts(): DoctorFacts {
  return {
    region: 'us-east-1',
    identity: known({ arn: 'arn:aws:iam::111122223333:user/dev', account: '111122223333', userId: 'AIDA' }),
    instance: {
      instanceId: 'i-0123456789abcdef0',
      state: 'running',
      tags: {},
      privateIp: '10.0.1.5',
      publicIp: '198.51.100.20',
      vpcId: 'vpc-1',
      subnetId: 'subnet-1',
      imageId: 'ami-1',
      platformDetails: 'Linux/UNIX',
      metadataHttpEndpoint: 'enabled',
      securityGroupIds: ['sg-inst'],
    },
    instanceGroups: known([
      { groupId: 'sg-inst', inbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0'], groupIds: ['sg-eice'] }], outbound: [] },
    ]),
    routeTables: known([{ routeTableId: 'rtb-1', main: true, subnetIds: [], routes: [{ destination: '0.0.0.0/0', gatewayId: 'igw-1', state: 'active' }] }]),
    vpc: known({ vpcId: 'vpc-1', cidrBlocks: ['10.0.0.0/16'] }),
    eiceEndpoints: known([{ endpointId: 'eice-1', state: 'create-complete', vpcId: 'vpc-1', securityGroupIds: ['sg-eice'] }]),
    eiceGroups: known([{ groupId: 'sg-eice', inbound: [], outbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['10.0.0.0/16'], groupIds: [] }] }]),
    ssm: known({ instanceId: 'i-0123456789abcdef0', pingStatus: 'Online', agentVersion: '3.3.1000.0', platformName: 'Amazon Linux' }),
    profiles: known([{ associationId: 'iip-assoc-1', instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/p', state: 'associated' }]),
    vpcEndpoints: known(
      ['ssm', 'ssmmessages', 'ec2messages'].map((s, i) => ({ vpcEndpointId: `vpce-${i}`, serviceName: `com.amazonaws.us-east-1.${s}`, state: 'available', privateDnsEnabled: true, groupIds: ['sg-vpce'] })),
    ),
    vpcEndpointGroups: known([{ groupId: 'sg-vpce', inbound: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['10.0.0.0/16'], groupIds: [] }], outbound: [] }]),
    dnsSupport: known(true),
    dnsHostnames: known(true),
    rolePolicies: known({ roles: ['ssm-role'], policyArns: ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'] }),
    permissions: known(PERMISSIONS.map((p) => ({ permission: p.id, action: p.action, resource: '*', decision: 'allowed' }))),
  };
}

function statusOf(facts: DoctorFacts, id: string) {
  const check = runChecks(facts).find((c) => c.id === id);
  if (!check) throw new Error(`no check ${id}`);
  return check;
}

const noInternet = (f: DoctorFacts) => {
  f.routeTables = known([{ routeTableId: 'rtb-1', main: true, subnetIds: [], routes: [] }]);
};

// [check id, change that breaks it, expected status]
const CASES: [string, (f: DoctorFacts) => void, 'fail' | 'unknown'][] = [
  ['identity', (f) => (f.identity = notKnown('sts:GetCallerIdentity failed: InvalidClientTokenId')), 'unknown'],
  ['instance-state', (f) => (f.instance.state = 'stopped'), 'fail'],
  ['platform', (f) => (f.instance.platformDetails = 'Windows'), 'fail'],
  ['platform', (f) => (f.instance.platformDetails = undefined), 'unknown'],
  ['public-address', (f) => (f.instance.publicIp = undefined), 'fail'],
  ['sg-ssh-inbound', (f) => (f.instanceGroups = known([{ groupId: 'sg-inst', inbound: [], outbound: [] }])), 'fail'],
  ['sg-ssh-inbound', (f) => (f.instanceGroups = known([{ groupId: 'sg-inst', inbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['192.0.2.0/24'], groupIds: [] }], outbound: [] }])), 'unknown'],
  ['sg-ssh-inbound', (f) => {
    f.callerAddress = '203.0.113.1';
    f.instanceGroups = known([{ groupId: 'sg-inst', inbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['192.0.2.0/24'], groupIds: [] }], outbound: [] }]);
  }, 'fail'],
  ['sg-ssh-inbound', (f) => (f.instanceGroups = notKnown('denied')), 'unknown'],
  ['igw-route', noInternet, 'fail'],
  ['igw-route', (f) => (f.routeTables = known([{ routeTableId: 'rtb-1', main: true, subnetIds: [], routes: [{ destination: '0.0.0.0/0', gatewayId: 'igw-1', state: 'blackhole' }] }])), 'fail'],
  ['eice-endpoint', (f) => (f.eiceEndpoints = known([])), 'fail'],
  ['eice-endpoint', (f) => (f.eiceEndpoints = known([{ endpointId: 'eice-1', state: 'create-in-progress' }])), 'fail'],
  ['eice-endpoint', (f) => (f.eiceEndpoints = notKnown('denied')), 'unknown'],
  ['eice-egress', (f) => (f.eiceGroups = known([{ groupId: 'sg-eice', inbound: [], outbound: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['0.0.0.0/0'], groupIds: [] }] }])), 'fail'],
  ['eice-egress', (f) => (f.eiceGroups = known([{ groupId: 'sg-eice', inbound: [], outbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['10.9.0.0/16'], groupIds: [] }] }])), 'fail'],
  ['eice-instance-sg', (f) => (f.instanceGroups = known([{ groupId: 'sg-inst', inbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['192.0.2.0/24'], groupIds: ['sg-other'] }], outbound: [] }])), 'fail'],
  ['eice-instance-sg', (f) => {
    f.instanceGroups = known([{ groupId: 'sg-inst', inbound: [], outbound: [] }]);
    f.vpc = notKnown('denied');
  }, 'unknown'],
  ['ssm-registered', (f) => (f.ssm = known(undefined)), 'fail'],
  ['ssm-registered', (f) => (f.ssm = notKnown('ssm:DescribeInstanceInformation failed: AccessDeniedException')), 'unknown'],
  ['ssm-ping', (f) => (f.ssm = known({ instanceId: 'i-0123456789abcdef0', pingStatus: 'ConnectionLost', agentVersion: '3.3.1000.0' })), 'fail'],
  ['ssm-agent-version', (f) => (f.ssm = known({ instanceId: 'i-0123456789abcdef0', pingStatus: 'Online', agentVersion: '2.3.671.9' })), 'fail'],
  ['imds', (f) => (f.instance.metadataHttpEndpoint = 'disabled'), 'fail'],
  ['instance-profile', (f) => (f.profiles = known([])), 'fail'],
  ['instance-profile', (f) => (f.profiles = known([{ associationId: 'a', state: 'disassociating' }])), 'fail'],
  ['vpce-ssm', (f) => { f.vpcEndpoints = known([]); }, 'fail'],
  ['vpce-ssmmessages', (f) => { (f.vpcEndpoints as { value: { state: string }[] }).value[1].state = 'pending'; }, 'fail'],
  ['vpce-ec2messages', (f) => { (f.vpcEndpoints as { value: { privateDnsEnabled: boolean }[] }).value[2].privateDnsEnabled = false; }, 'fail'],
  ['vpce-ssm', (f) => { f.vpcEndpoints = notKnown('denied'); }, 'unknown'],
  ['vpc-enableDnsSupport', (f) => { f.dnsSupport = known(false); }, 'fail'],
  ['vpc-enableDnsHostnames', (f) => { f.dnsHostnames = known(false); }, 'fail'],
  ['role-policy', (f) => (f.rolePolicies = known({ roles: ['ssm-role'], policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] })), 'fail'],
  ['role-policy', (f) => (f.rolePolicies = notKnown('iam:GetInstanceProfile failed: AccessDenied')), 'unknown'],
  ['role-policy', (f) => (f.rolePolicies = known(undefined)), 'unknown'],
  ['perm-start-session', (f) => (f.permissions = known([{ permission: 'perm-start-session', action: 'ssm:StartSession', resource: 'arn:aws:ssm:us-east-1::document/AWS-StartSSHSession', decision: 'implicitDeny' }])), 'fail'],
  ['perm-send-ssh-public-key', (f) => (f.permissions = known([{ permission: 'perm-send-ssh-public-key', action: 'ec2-instance-connect:SendSSHPublicKey', resource: 'arn:aws:ec2:us-east-1:111122223333:instance/i-1', decision: 'explicitDeny' }])), 'fail'],
  ['perm-open-tunnel', (f) => (f.permissions = notKnown('iam:SimulatePrincipalPolicy failed: AccessDenied')), 'unknown'],
  ['perm-open-tunnel', (f) => (f.permissions = known([])), 'unknown'],
  ['vpce-https', (f) => { f.vpcEndpointGroups = known([{ groupId: 'sg-vpce', inbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['10.0.0.0/16'], groupIds: [] }], outbound: [] }]); }, 'fail'],
];

describe('doctor checks', () => {
  it('are all ✓ on healthy facts', () => {
    const checks = runChecks(healthyFacts());
    expect(checks.filter((c) => c.status !== 'ok').map((c) => c.id)).toEqual([]);
    expect(checks.some((c) => 'fix' in c)).toBe(false);
  });

  // The interface-endpoint checks exist only for a subnet without internet egress.
  const context = (id: string) => (f: DoctorFacts) => {
    if (id.startsWith('vpc')) noInternet(f);
  };

  it.each(CASES.map(([id, change, expected], n) => [n, id, expected, change] as const))('case %i: %s → %s', (_n, id, expected, change) => {
    const healthy = healthyFacts();
    context(id)(healthy);
    expect(statusOf(healthy, id).status).toBe('ok');
    expect(statusOf(healthy, id).fix).toBeUndefined();
    const facts = healthyFacts();
    context(id)(facts);
    change(facts);
    const broken = statusOf(facts, id);
    expect(broken.status).toBe(expected);
    if (expected === 'fail') expect(broken.fix).toMatch(/^(aws |wait for |install |check |allocate |use RDP)/);
    else expect(broken.fix).toBeUndefined();
  });

  it('checks the SSM interface endpoints only when the subnet has no way to the internet', () => {
    const ids = (f: DoctorFacts) => runChecks(f).filter((c) => c.route === 'ssm').map((c) => c.id);
    expect(ids(healthyFacts())).toContain('ssm-egress');
    expect(ids(healthyFacts())).not.toContain('vpce-ssm');
    const privateOnly = healthyFacts();
    privateOnly.instance.publicIp = undefined; // an IGW route without a public address reaches nothing
    expect(ids(privateOnly)).toContain('vpce-ssm');
    const nat = healthyFacts();
    nat.instance.publicIp = undefined;
    nat.routeTables = known([{ routeTableId: 'rtb-1', main: true, subnetIds: [], routes: [{ destination: '0.0.0.0/0', natGatewayId: 'nat-1' }] }]);
    expect(ids(nat)).toContain('ssm-egress');
    const vpceOk = healthyFacts();
    noInternet(vpceOk);
    expect(runChecks(vpceOk).filter((c) => c.route === 'ssm' && c.status === 'fail')).toEqual([]);
  });

  it('uses the subnet\'s explicit route table before the main one', () => {
    const f = healthyFacts();
    f.routeTables = known([
      { routeTableId: 'rtb-main', main: true, subnetIds: [], routes: [{ destination: '0.0.0.0/0', gatewayId: 'igw-1' }] },
      { routeTableId: 'rtb-private', main: false, subnetIds: ['subnet-1'], routes: [] },
    ]);
    expect(statusOf(f, 'igw-route').status).toBe('fail');
    expect(statusOf(f, 'igw-route').detail).toContain('rtb-private');
  });
});

describe('verdict', () => {
  it('names the usable routes and what blocks the others; general failures block all', () => {
    const f = healthyFacts();
    f.instance.publicIp = undefined;
    f.ssm = known(undefined);
    expect(buildReport('i-1', runChecks(f)).verdict).toBe('reachable via eice; direct blocked: Public IPv4 address; ssm blocked: Registered as an SSM managed node');
    const stopped = healthyFacts();
    stopped.instance.state = 'stopped';
    const report = buildReport('i-1', runChecks(stopped));
    expect(report.verdict).toBe('not reachable by any route; direct blocked: Instance is running; eice blocked: Instance is running; ssm blocked: Instance is running');
    expect(Object.values(report.routes).every((r) => !r.usable)).toBe(true);
  });
});

describe('permissions', () => {
  it.each([
    ['arn:aws:iam::111122223333:user/dev', 'arn:aws:iam::111122223333:user/dev'],
    ['arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com', 'arn:aws:iam::111122223333:role/Admin'],
    ['arn:aws-cn:sts::111122223333:assumed-role/Ops/s1', 'arn:aws-cn:iam::111122223333:role/Ops'],
  ])('simulates %s as %s', (caller, source) => expect(policySourceArn(caller)).toBe(source));

  it('a denied permission names the decision and resource, and the fix grants exactly that to the caller', () => {
    const f = healthyFacts();
    f.identity = known({ arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice', account: '111122223333', userId: 'AROA' });
    const resource = 'arn:aws:ec2:us-east-1:111122223333:instance-connect-endpoint/eice-1';
    f.permissions = known([{ permission: 'perm-open-tunnel', action: 'ec2-instance-connect:OpenTunnel', resource, decision: 'implicitDeny' }]);
    const check = statusOf(f, 'perm-open-tunnel');
    expect(check.route).toBe('eice');
    expect(check.detail).toBe(`implicitDeny on ${resource}`);
    expect(check.fix).toBe(
      `aws iam put-role-policy --role-name Dev --policy-name eic-ssh-OpenTunnel --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2-instance-connect:OpenTunnel","Resource":"${resource}"}]}'`,
    );
  });
});

describe('network helpers', () => {
  it.each([
    ['0.0.0.0/0', '203.0.113.7', true],
    ['10.0.0.0/16', '10.0.255.1', true],
    ['10.0.0.0/16', '10.1.0.1', false],
    ['10.0.0.0/8', '10.2.0.0/16', true],
    ['10.2.0.0/16', '10.0.0.0/8', false],
    ['198.51.100.7/32', '198.51.100.7', true],
    ['198.51.100.7/32', '198.51.100.8', false],
    ['bad', '10.0.0.1', false],
  ])('cidrContains(%s, %s) = %s', (cidr, ip, expected) => expect(cidrContains(cidr, ip)).toBe(expected));

  it.each([
    [{ protocol: '-1', cidrs: [], groupIds: [] }, 22, true],
    [{ protocol: 'tcp', fromPort: 0, toPort: 65535, cidrs: [], groupIds: [] }, 22, true],
    [{ protocol: 'tcp', fromPort: 80, toPort: 443, cidrs: [], groupIds: [] }, 22, false],
    [{ protocol: 'udp', fromPort: 22, toPort: 22, cidrs: [], groupIds: [] }, 22, false],
  ])('ruleCoversTcp(%j, %i) = %s', (rule, port, expected) => expect(ruleCoversTcp(rule, port)).toBe(expected));

  it.each([
    ['2.3.672.0', 0],
    ['3.3.1000.0', 1],
    ['2.3.50.0', -1],
    ['2.3.672', 0],
  ])('compareVersions(%s, 2.3.672.0) has sign %i', (v, sign) => expect(Math.sign(compareVersions(v, [2, 3, 672, 0]))).toBe(sign));
});
