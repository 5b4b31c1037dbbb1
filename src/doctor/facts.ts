// The facts `eic-ssh doctor` gathers (gather.ts) and its checks read (checks/*.ts).
// Each AWS-derived fact is a Fact: a value, or why it could not be read (a denied or
// failed call), so that a check can answer 'unknown' and say why.
import type { CallerIdentity, InstanceConnectEndpoint, SsmManagedInstance } from '../aws/aws.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import type { InstanceProfileAssociation, RouteTableInfo, SecurityGroupInfo, VpcEndpointInfo, VpcInfo } from '../aws/network-info.js';

export type Fact<T> = { ok: true; value: T } | { ok: false; error: string };

export type Route = 'general' | 'direct' | 'eice' | 'ssm';
export type CheckStatus = 'ok' | 'fail' | 'unknown';

export interface CheckResult {
  id: string;
  route: Route;
  status: CheckStatus;
  title: string;
  detail: string;
  // For 'fail': the console setting or `aws` CLI command that fixes it.
  fix?: string;
}

export interface DoctorFacts {
  region: string;
  // The caller's public IPv4 address (--from); undefined = not known.
  callerAddress?: string;
  identity: Fact<CallerIdentity>;
  instance: InstanceInfo;
  instanceGroups: Fact<SecurityGroupInfo[]>;
  routeTables: Fact<RouteTableInfo[]>;
  vpc: Fact<VpcInfo | undefined>;
  eiceEndpoints: Fact<InstanceConnectEndpoint[]>;
  eiceGroups: Fact<SecurityGroupInfo[]>;
  ssm: Fact<SsmManagedInstance | undefined>;
  profiles: Fact<InstanceProfileAssociation[]>;
  vpcEndpoints: Fact<VpcEndpointInfo[]>;
  vpcEndpointGroups: Fact<SecurityGroupInfo[]>;
  dnsSupport: Fact<boolean>;
  dnsHostnames: Fact<boolean>;
  // The instance profile's role(s) and their attached managed policy ARNs; undefined =
  // no profile associated.
  rolePolicies: Fact<{ roles: string[]; policyArns: string[] } | undefined>;
  // SimulatePrincipalPolicy answers for each permission the routes need (permissions.ts).
  permissions: Fact<PermissionResult[]>;
}

export interface PermissionResult {
  permission: string; // key in PERMISSIONS
  action: string;
  resource: string;
  decision: string; // 'allowed' | 'explicitDeny' | 'implicitDeny'
}

export function known<T>(value: T): Fact<T> {
  return { ok: true, value };
}

export function notKnown<T>(error: string): Fact<T> {
  return { ok: false, error };
}
