// Pure helpers the network checks share: IPv4 CIDR containment, whether a security
// group rule admits a TCP port, and the route table a subnet uses (its explicit
// association, else the VPC's main table: "Configure route tables", VPC user guide).
import type { RouteTableInfo, SecurityGroupInfo, SgRuleInfo } from '../../aws/network-info.js';
import type { CheckResult, CheckStatus, Fact, Route } from '../facts.js';

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

// Whether `cidr` contains `ip` (or, for a CIDR argument, the whole range `ip`).
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText = '32'] = cidr.split('/');
  const [inner, innerBitsText = '32'] = ip.split('/');
  const bits = Number(bitsText);
  const innerBits = Number(innerBitsText);
  const a = ipv4ToInt(base);
  const b = ipv4ToInt(inner);
  if (a === undefined || b === undefined || !(bits >= 0 && bits <= 32) || innerBits < bits) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

// TCP `port` falls in the rule ('-1' = all traffic, ports ignored).
export function ruleCoversTcp(rule: SgRuleInfo, port: number): boolean {
  if (rule.protocol === '-1' || rule.protocol === 'all') return true;
  if (rule.protocol !== 'tcp' && rule.protocol !== '6') return false;
  return (rule.fromPort ?? 0) <= port && port <= (rule.toPort ?? 65535);
}

export function rulesFor(groups: SecurityGroupInfo[], direction: 'inbound' | 'outbound', port: number): SgRuleInfo[] {
  return groups.flatMap((g) => g[direction]).filter((r) => ruleCoversTcp(r, port));
}

export function subnetRouteTable(tables: RouteTableInfo[], subnetId: string | undefined): RouteTableInfo | undefined {
  return tables.find((t) => subnetId !== undefined && t.subnetIds.includes(subnetId)) ?? tables.find((t) => t.main);
}

export function defaultRoute(table: RouteTableInfo | undefined): { igw?: string; nat?: string } {
  const route = table?.routes.find((r) => r.destination === '0.0.0.0/0' && r.state !== 'blackhole');
  return { igw: route?.gatewayId?.startsWith('igw-') ? route.gatewayId : undefined, nat: route?.natGatewayId };
}

// Builds a result; a check over an unknown fact answers 'unknown' with the reason.
export function result(route: Route, id: string, title: string, status: CheckStatus, detail: string, fix?: string): CheckResult {
  return status === 'fail' ? { id, route, status, title, detail, fix } : { id, route, status, title, detail };
}

export function unknownFrom(route: Route, id: string, title: string, fact: Fact<unknown>): CheckResult | undefined {
  return fact.ok ? undefined : result(route, id, title, 'unknown', `could not check: ${fact.error}`);
}
