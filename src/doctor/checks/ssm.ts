// The SSM route's prerequisites (seeds 000-003; ssm.md §3.4): a managed node that is
// Online with an agent new enough for SSH sessions (2.3.672.0, "Allow and control
// permissions for SSH connections through Session Manager"), IMDS on (the agent reads
// its role credentials there), an instance profile with AmazonSSMManagedInstanceCore,
// and, when the subnet has no way to the internet, interface endpoints for ssm,
// ssmmessages and ec2messages with private DNS in a VPC with DNS support and hostnames,
// whose security groups admit HTTPS from the instance (seed 002).
import type { CheckResult, DoctorFacts } from '../facts.js';
import { rolePolicyCheck } from './iam.js';
import { cidrContains, defaultRoute, result, rulesFor, subnetRouteTable, unknownFrom } from './net.js';

const MIN_AGENT = [2, 3, 672, 0];
export const SSM_SERVICES = ['ssm', 'ssmmessages', 'ec2messages'];

export function compareVersions(a: string, b: number[]): number {
  const parts = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < b.length; i++) if ((parts[i] ?? 0) !== b[i]) return (parts[i] ?? 0) - b[i];
  return 0;
}

export function registrationCheck(f: DoctorFacts): CheckResult {
  const title = 'Registered as an SSM managed node';
  const u = unknownFrom('ssm', 'ssm-registered', title, f.ssm);
  if (u || !f.ssm.ok) return u!;
  if (f.ssm.value) return result('ssm', 'ssm-registered', title, 'ok', `${f.ssm.value.platformName ?? 'managed'} node`);
  return result(
    'ssm',
    'ssm-registered',
    title,
    'fail',
    'DescribeInstanceInformation does not list the instance: no SSM Agent, or it cannot reach Systems Manager',
    'install and start the SSM Agent (sudo systemctl enable --now amazon-ssm-agent), attach a role with AmazonSSMManagedInstanceCore, and give it a route to Systems Manager',
  );
}

export function pingCheck(f: DoctorFacts): CheckResult {
  const title = 'SSM Agent is Online';
  if (!f.ssm.ok || !f.ssm.value) return result('ssm', 'ssm-ping', title, 'unknown', f.ssm.ok ? 'not a managed node' : `could not check: ${f.ssm.error}`);
  const ping = f.ssm.value.pingStatus;
  if (ping === 'Online') return result('ssm', 'ssm-ping', title, 'ok', 'PingStatus Online');
  return result('ssm', 'ssm-ping', title, 'fail', `PingStatus ${ping}`, 'check the agent on the instance: sudo systemctl restart amazon-ssm-agent; then its route to Systems Manager and its role');
}

export function agentVersionCheck(f: DoctorFacts): CheckResult {
  const title = 'SSM Agent 2.3.672.0 or later (SSH sessions)';
  const version = f.ssm.ok ? f.ssm.value?.agentVersion : undefined;
  if (version === undefined) return result('ssm', 'ssm-agent-version', title, 'unknown', f.ssm.ok ? 'no agent version reported' : `could not check: ${f.ssm.error}`);
  if (compareVersions(version, MIN_AGENT) >= 0) return result('ssm', 'ssm-agent-version', title, 'ok', version);
  return result('ssm', 'ssm-agent-version', title, 'fail', `agent ${version} is too old for SSH sessions`, `aws ssm send-command --document-name AWS-UpdateSSMAgent --instance-ids ${f.instance.instanceId}`);
}

export function imdsCheck(f: DoctorFacts): CheckResult {
  const title = 'Instance metadata service enabled';
  const endpoint = f.instance.metadataHttpEndpoint;
  if (endpoint === undefined) return result('ssm', 'imds', title, 'unknown', 'DescribeInstances reports no metadata options');
  if (endpoint === 'enabled') return result('ssm', 'imds', title, 'ok', 'HttpEndpoint enabled');
  return result('ssm', 'imds', title, 'fail', `HttpEndpoint ${endpoint}: the agent cannot read its role credentials`, `aws ec2 modify-instance-metadata-options --instance-id ${f.instance.instanceId} --http-endpoint enabled`);
}

export function profileCheck(f: DoctorFacts): CheckResult {
  const title = 'Instance profile attached';
  const u = unknownFrom('ssm', 'instance-profile', title, f.profiles);
  if (u || !f.profiles.ok) return u!;
  const live = f.profiles.value.find((a) => a.state === undefined || a.state === 'associated');
  if (live) return result('ssm', 'instance-profile', title, 'ok', live.instanceProfileArn ?? live.associationId);
  return result(
    'ssm',
    'instance-profile',
    title,
    'fail',
    'no instance profile is associated',
    `aws ec2 associate-iam-instance-profile --instance-id ${f.instance.instanceId} --iam-instance-profile Name=<profile-with-AmazonSSMManagedInstanceCore>`,
  );
}

// Whether the instance can reach public Systems Manager endpoints without VPC endpoints.
export function hasInternetEgress(f: DoctorFacts): boolean | undefined {
  if (!f.routeTables.ok) return undefined;
  const { igw, nat } = defaultRoute(subnetRouteTable(f.routeTables.value, f.instance.subnetId));
  return nat !== undefined || (igw !== undefined && f.instance.publicIp !== undefined);
}

export function vpcEndpointChecks(f: DoctorFacts): CheckResult[] {
  const egress = hasInternetEgress(f);
  if (egress === true) return [result('ssm', 'ssm-egress', 'Route to Systems Manager', 'ok', 'the subnet reaches the internet (NAT, or internet gateway with a public address)')];
  const checks: CheckResult[] = [];
  if (egress === undefined && !f.routeTables.ok) checks.push(result('ssm', 'ssm-egress', 'Route to Systems Manager', 'unknown', `could not check: ${f.routeTables.error}`));
  const endpoints = f.vpcEndpoints;
  for (const service of SSM_SERVICES) {
    const id = `vpce-${service}`;
    const title = `Interface endpoint com.amazonaws.${f.region}.${service}`;
    const u = unknownFrom('ssm', id, title, endpoints);
    if (u || !endpoints.ok) {
      checks.push(u!);
      continue;
    }
    const found = endpoints.value.find((e) => e.serviceName === `com.amazonaws.${f.region}.${service}`);
    const create = `aws ec2 create-vpc-endpoint --vpc-id ${f.instance.vpcId ?? '<vpc-id>'} --vpc-endpoint-type Interface --service-name com.amazonaws.${f.region}.${service} --subnet-ids ${f.instance.subnetId ?? '<subnet-id>'} --security-group-ids <sg-id> --private-dns-enabled`;
    if (!found) checks.push(result('ssm', id, title, 'fail', 'no such endpoint and no NAT or internet route', create));
    else if (found.state.toLowerCase() !== 'available') checks.push(result('ssm', id, title, 'fail', `${found.vpcEndpointId} is ${found.state}`, `wait for available: aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${found.vpcEndpointId}`));
    else if (!found.privateDnsEnabled) checks.push(result('ssm', id, title, 'fail', `${found.vpcEndpointId} has private DNS off`, `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${found.vpcEndpointId} --private-dns-enabled`));
    else checks.push(result('ssm', id, title, 'ok', `${found.vpcEndpointId} available, private DNS on`));
  }
  checks.push(dnsCheck(f, 'dnsSupport'), dnsCheck(f, 'dnsHostnames'), endpointHttpsCheck(f));
  return checks;
}

function dnsCheck(f: DoctorFacts, which: 'dnsSupport' | 'dnsHostnames'): CheckResult {
  const attribute = which === 'dnsSupport' ? 'enableDnsSupport' : 'enableDnsHostnames';
  const flag = which === 'dnsSupport' ? '--enable-dns-support' : '--enable-dns-hostnames';
  const title = `VPC ${attribute}`;
  const fact = f[which];
  const u = unknownFrom('ssm', `vpc-${attribute}`, title, fact);
  if (u || !fact.ok) return u!;
  if (fact.value) return result('ssm', `vpc-${attribute}`, title, 'ok', 'true');
  return result('ssm', `vpc-${attribute}`, title, 'fail', 'false: private DNS names of the endpoints do not resolve', `aws ec2 modify-vpc-attribute --vpc-id ${f.instance.vpcId ?? '<vpc-id>'} ${flag} "{\\"Value\\":true}"`);
}

function endpointHttpsCheck(f: DoctorFacts): CheckResult {
  const title = 'Endpoint security groups admit HTTPS from the instance';
  const u = unknownFrom('ssm', 'vpce-https', title, f.vpcEndpointGroups);
  if (u || !f.vpcEndpointGroups.ok) return u!;
  if (f.vpcEndpointGroups.value.length === 0) return result('ssm', 'vpce-https', title, 'unknown', 'no endpoint security groups to check');
  const ip = f.instance.privateIp;
  const own = f.instance.securityGroupIds ?? [];
  const rules = rulesFor(f.vpcEndpointGroups.value, 'inbound', 443);
  const ok = rules.some((r) => r.groupIds.some((g) => own.includes(g)) || (ip !== undefined && r.cidrs.some((c) => cidrContains(c, ip))));
  if (ok) return result('ssm', 'vpce-https', title, 'ok', `443 admits ${ip ?? 'the instance'}`);
  const group = f.vpcEndpointGroups.value[0].groupId;
  const cidr = f.vpc.ok && f.vpc.value ? f.vpc.value.cidrBlocks[0] : '<vpc-cidr>';
  return result('ssm', 'vpce-https', title, 'fail', `no inbound TCP 443 rule admits ${ip ?? 'the instance'}`, `aws ec2 authorize-security-group-ingress --group-id ${group} --protocol tcp --port 443 --cidr ${cidr}`);
}

export function ssmChecks(f: DoctorFacts): CheckResult[] {
  return [registrationCheck(f), pingCheck(f), agentVersionCheck(f), imdsCheck(f), profileCheck(f), rolePolicyCheck(f), ...vpcEndpointChecks(f)];
}
