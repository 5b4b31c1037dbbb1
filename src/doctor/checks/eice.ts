// The EICE route's prerequisites (eice.md §8.1, §2.4): an endpoint in the instance's
// VPC in an accepted state, its security group allowing outbound TCP 22, and the
// instance's security group admitting the endpoint's group or the VPC CIDR.
import { ACCEPTED_ENDPOINT_STATES } from '../../aws/eice-endpoint.js';
import type { CheckResult, DoctorFacts } from '../facts.js';
import { cidrContains, result, rulesFor, unknownFrom } from './net.js';

export function endpointCheck(f: DoctorFacts): CheckResult {
  const title = 'EC2 Instance Connect Endpoint in the VPC';
  const u = unknownFrom('eice', 'eice-endpoint', title, f.eiceEndpoints);
  if (u || !f.eiceEndpoints.ok) return u!;
  const list = f.eiceEndpoints.value;
  const usable = list.find((e) => ACCEPTED_ENDPOINT_STATES.includes(e.state));
  if (usable) return result('eice', 'eice-endpoint', title, 'ok', `${usable.endpointId} (${usable.state})`);
  if (list.length) {
    return result('eice', 'eice-endpoint', title, 'fail', `${list.map((e) => `${e.endpointId} is ${e.state}`).join(', ')}`, 'wait for create-complete: aws ec2 describe-instance-connect-endpoints');
  }
  return result(
    'eice',
    'eice-endpoint',
    title,
    'fail',
    `no endpoint in ${f.instance.vpcId ?? 'the VPC'}`,
    `aws ec2 create-instance-connect-endpoint --subnet-id ${f.instance.subnetId ?? '<subnet-id>'} --security-group-ids <sg-id>`,
  );
}

function vpcCidrs(f: DoctorFacts): string[] {
  return f.vpc.ok && f.vpc.value ? f.vpc.value.cidrBlocks : [];
}

export function endpointEgressCheck(f: DoctorFacts): CheckResult {
  const title = 'Endpoint security group allows outbound TCP 22';
  const u = unknownFrom('eice', 'eice-egress', title, f.eiceGroups);
  if (u || !f.eiceGroups.ok) return u!;
  if (!f.eiceEndpoints.ok || f.eiceEndpoints.value.length === 0) return result('eice', 'eice-egress', title, 'unknown', 'no endpoint to check');
  const rules = rulesFor(f.eiceGroups.value, 'outbound', 22);
  const instanceGroups = f.instance.securityGroupIds ?? [];
  const ip = f.instance.privateIp;
  const admits = rules.some((r) => r.groupIds.some((g) => instanceGroups.includes(g)) || (ip !== undefined && r.cidrs.some((c) => cidrContains(c, ip))));
  const groups = f.eiceEndpoints.value.flatMap((e) => e.securityGroupIds ?? []);
  if (admits) return result('eice', 'eice-egress', title, 'ok', `${groups.join(', ')} reaches ${ip ?? 'the instance'} on 22`);
  const cidr = vpcCidrs(f)[0] ?? '<vpc-cidr>';
  return result(
    'eice',
    'eice-egress',
    title,
    'fail',
    `${groups.join(', ') || 'the endpoint'} has no outbound rule to ${ip ?? 'the instance'} on TCP 22`,
    `aws ec2 authorize-security-group-egress --group-id ${groups[0] ?? '<sg-id>'} --protocol tcp --port 22 --cidr ${cidr}`,
  );
}

export function instanceAdmitsEndpointCheck(f: DoctorFacts): CheckResult {
  const title = 'Instance security group admits the endpoint on TCP 22';
  const u = unknownFrom('eice', 'eice-instance-sg', title, f.instanceGroups) ?? unknownFrom('eice', 'eice-instance-sg', title, f.eiceEndpoints);
  if (u || !f.instanceGroups.ok || !f.eiceEndpoints.ok) return u!;
  if (f.eiceEndpoints.value.length === 0) return result('eice', 'eice-instance-sg', title, 'unknown', 'no endpoint to check');
  const endpointGroups = f.eiceEndpoints.value.flatMap((e) => e.securityGroupIds ?? []);
  const cidrs = vpcCidrs(f);
  const rules = rulesFor(f.instanceGroups.value, 'inbound', 22);
  const byGroup = rules.find((r) => r.groupIds.some((g) => endpointGroups.includes(g)));
  if (byGroup) return result('eice', 'eice-instance-sg', title, 'ok', `admits ${byGroup.groupIds.filter((g) => endpointGroups.includes(g)).join(', ')}`);
  const byCidr = rules.flatMap((r) => r.cidrs).find((c) => cidrs.some((v) => cidrContains(c, v)));
  if (byCidr) return result('eice', 'eice-instance-sg', title, 'ok', `admits ${byCidr} (covers the VPC CIDR)`);
  if (!f.vpc.ok) return result('eice', 'eice-instance-sg', title, 'unknown', `no rule names the endpoint's group; could not check the VPC CIDR: ${f.vpc.error}`);
  return result(
    'eice',
    'eice-instance-sg',
    title,
    'fail',
    `no inbound TCP 22 rule from ${endpointGroups.join(', ') || 'the endpoint group'} or ${cidrs.join(', ') || 'the VPC CIDR'}`,
    `aws ec2 authorize-security-group-ingress --group-id ${f.instance.securityGroupIds?.[0] ?? '<sg-id>'} --protocol tcp --port 22 --source-group ${endpointGroups[0] ?? '<endpoint-sg-id>'}`,
  );
}

export function eiceChecks(f: DoctorFacts): CheckResult[] {
  return [endpointCheck(f), endpointEgressCheck(f), instanceAdmitsEndpointCheck(f)];
}
