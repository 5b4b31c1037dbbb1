// The direct route's prerequisites (seed 004; "Connect using EC2 Instance Connect",
// EC2 user guide): a public address, inbound TCP 22 from the caller, and a subnet whose
// route table sends 0.0.0.0/0 to an internet gateway.
import type { CheckResult, DoctorFacts } from '../facts.js';
import { cidrContains, defaultRoute, result, rulesFor, subnetRouteTable, unknownFrom } from './net.js';

export function publicAddressCheck(f: DoctorFacts): CheckResult {
  const i = f.instance;
  if (i.publicIp) return result('direct', 'public-address', 'Public IPv4 address', 'ok', i.publicIp);
  return result(
    'direct',
    'public-address',
    'Public IPv4 address',
    'fail',
    'the instance has no public IPv4 address',
    `allocate and associate an Elastic IP: aws ec2 allocate-address && aws ec2 associate-address --instance-id ${i.instanceId} --allocation-id <eipalloc-id>`,
  );
}

export function sshInboundCheck(f: DoctorFacts): CheckResult {
  const title = 'Security group admits TCP 22 from you';
  const u = unknownFrom('direct', 'sg-ssh-inbound', title, f.instanceGroups);
  if (u || !f.instanceGroups.ok) return u!;
  const cidrs = rulesFor(f.instanceGroups.value, 'inbound', 22).flatMap((r) => r.cidrs);
  const group = f.instance.securityGroupIds?.[0] ?? '<sg-id>';
  const from = f.callerAddress ? `${f.callerAddress}/32` : '<your-ip>/32';
  const fix = `aws ec2 authorize-security-group-ingress --group-id ${group} --protocol tcp --port 22 --cidr ${from}`;
  if (f.callerAddress) {
    const match = cidrs.find((c) => cidrContains(c, f.callerAddress!));
    if (match) return result('direct', 'sg-ssh-inbound', title, 'ok', `${match} admits ${f.callerAddress}`);
    return result('direct', 'sg-ssh-inbound', title, 'fail', cidrs.length ? `22 is open only to ${cidrs.join(', ')}` : 'no inbound rule admits TCP 22 from any address', fix);
  }
  if (cidrs.includes('0.0.0.0/0')) return result('direct', 'sg-ssh-inbound', title, 'ok', '0.0.0.0/0 admits TCP 22');
  if (cidrs.length) return result('direct', 'sg-ssh-inbound', title, 'unknown', `22 is open to ${cidrs.join(', ')}; pass --from <your-ip> to check yours`);
  return result('direct', 'sg-ssh-inbound', title, 'fail', 'no inbound rule admits TCP 22 from any address', fix);
}

export function igwRouteCheck(f: DoctorFacts): CheckResult {
  const title = 'Subnet routes 0.0.0.0/0 to an internet gateway';
  const u = unknownFrom('direct', 'igw-route', title, f.routeTables);
  if (u || !f.routeTables.ok) return u!;
  const table = subnetRouteTable(f.routeTables.value, f.instance.subnetId);
  const { igw } = defaultRoute(table);
  if (igw) return result('direct', 'igw-route', title, 'ok', `${table!.routeTableId}: 0.0.0.0/0 → ${igw}`);
  return result(
    'direct',
    'igw-route',
    title,
    'fail',
    table ? `${table.routeTableId} has no 0.0.0.0/0 route to an internet gateway` : `no route table found for ${f.instance.subnetId ?? 'the subnet'}`,
    `aws ec2 create-route --route-table-id ${table?.routeTableId ?? '<rtb-id>'} --destination-cidr-block 0.0.0.0/0 --gateway-id <igw-id>`,
  );
}

export function directChecks(f: DoctorFacts): CheckResult[] {
  return [publicAddressCheck(f), sshInboundCheck(f), igwRouteCheck(f)];
}
