// Named misconfigurations: each breaks one prerequisite a seed document lists, so the
// doctor can be tested against it (docs/sandbox.md "Doctor misconfigurations"). Where the
// sandbox models the effect (SSM registration and ping, EICE reachability, IMDS), the
// fault changes behaviour too; security-group and route faults change only what the
// describe calls report (the sandbox's direct route does not evaluate SG rules).
import { SSM_ENDPOINT_SERVICES, SSM_MANAGED_POLICY } from './network.js';
import type { World } from './world.js';

export const NETWORK_FAULTS = [
  'no-ssh-inbound', // instance SGs: no inbound 22 from any CIDR (seed 004)
  'no-igw-route', // VPC route tables: no 0.0.0.0/0 route (seeds 000, 004)
  'no-eice', // no EC2 Instance Connect Endpoint in the VPC
  'eice-creating', // the VPC's endpoints are still create-in-progress
  'eice-no-egress', // endpoint SGs: no outbound 22
  'instance-sg-no-eice', // instance SGs admit neither the endpoint SG nor the VPC CIDR
  'ssm-unregistered', // not a managed node (no agent, no role: seeds 000, 001, 003)
  'ssm-offline', // PingStatus ConnectionLost
  'ssm-old-agent', // agent older than 2.3.672.0 (no SSH sessions)
  'imds-disabled', // MetadataOptions.HttpEndpoint disabled
  'no-instance-profile', // no instance profile associated (seeds 000, 001, 003)
  'no-ssm-endpoints', // none of the ssm/ssmmessages/ec2messages interface endpoints (seed 002)
  'no-ssmmessages-endpoint', // only ssmmessages missing (Session Manager's extra one, seed 002)
  'ssm-endpoints-pending', // the interface endpoints are 'pending'
  'ssm-endpoints-no-private-dns', // private DNS off on the interface endpoints (seed 002)
  'vpc-no-dns-hostnames', // enableDnsHostnames false (seed 002)
  'vpc-no-dns-support', // enableDnsSupport false (seed 002)
  'ssm-endpoint-sg-no-443', // endpoint SG admits no 443 (seed 002)
  'no-ssm-policy', // the instance's role lacks AmazonSSMManagedInstanceCore (seeds 000, 003)
  'deny-send-ssh-public-key', // the caller may not push keys (every route)
  'deny-open-tunnel', // the caller may not open EICE tunnels
  'deny-start-session', // the caller may not start SSM sessions
  'deny-simulate', // iam:SimulatePrincipalPolicy is not allowed (the doctor cannot check permissions)
] as const;

export type NetworkFault = (typeof NETWORK_FAULTS)[number];

export function isNetworkFault(name: string): name is NetworkFault {
  return (NETWORK_FAULTS as readonly string[]).includes(name);
}

// Applies a fault. Instance-scoped faults need the instance id; VPC-wide ones ignore it.
export function applyNetworkFault(world: World, fault: NetworkFault, instanceId?: string): void {
  const net = world.network;
  const instance = instanceId === undefined ? undefined : world.instances.get(instanceId);
  const need = () => {
    if (!instance) throw new Error(`network fault ${fault} needs an instance id`);
    return instance;
  };
  const instanceGroups = () => (net.instanceGroups.get(need().instanceId) ?? []).map((id) => net.securityGroups.get(id)).filter((g) => g !== undefined);
  const endpointGroups = () => [...world.endpoints.values()].flatMap((e) => e.securityGroupIds).map((id) => net.securityGroups.get(id)).filter((g) => g !== undefined);
  const ssmEndpoints = () => net.vpcEndpoints.filter((e) => SSM_ENDPOINT_SERVICES.some((s) => e.serviceName.endsWith(`.${s}`)));
  switch (fault) {
    case 'no-ssh-inbound':
      for (const g of instanceGroups()) g.inbound = g.inbound.map((r) => ({ ...r, cidrs: [] })).filter((r) => r.groupIds.length > 0);
      return;
    case 'no-igw-route':
      for (const t of net.routeTables) t.routes = t.routes.filter((r) => r.destination !== '0.0.0.0/0');
      return;
    case 'no-eice':
      world.endpoints.clear();
      return;
    case 'eice-creating':
      for (const e of world.endpoints.values()) e.state = 'create-in-progress';
      return;
    case 'eice-no-egress':
      for (const g of endpointGroups()) g.outbound = [];
      for (const id of world.instances.keys()) world.eiceKnobs.blockedInstances.add(id);
      return;
    case 'instance-sg-no-eice': {
      const vpcCidrs = [...net.vpcs.values()].map((v) => v.cidrBlock);
      for (const g of instanceGroups()) {
        g.inbound = g.inbound.map((r) => ({ ...r, groupIds: [], cidrs: r.cidrs.filter((c) => !vpcCidrs.includes(c) && c !== '0.0.0.0/0') }));
      }
      world.eiceKnobs.blockedInstances.add(need().instanceId);
      return;
    }
    case 'ssm-unregistered':
      need().ssm = undefined;
      return;
    case 'ssm-offline':
      if (need().ssm) need().ssm!.pingStatus = 'ConnectionLost';
      return;
    case 'ssm-old-agent':
      if (need().ssm) need().ssm!.agentVersion = '2.3.50.0';
      return;
    case 'imds-disabled':
      need().metadataHttpEndpoint = 'disabled';
      return;
    case 'no-instance-profile':
      net.instanceProfiles.delete(need().instanceId);
      return;
    case 'no-ssm-endpoints':
      net.vpcEndpoints = net.vpcEndpoints.filter((e) => !ssmEndpoints().includes(e));
      return;
    case 'no-ssmmessages-endpoint':
      net.vpcEndpoints = net.vpcEndpoints.filter((e) => !e.serviceName.endsWith('.ssmmessages'));
      return;
    case 'ssm-endpoints-pending':
      for (const e of ssmEndpoints()) e.state = 'pending';
      return;
    case 'ssm-endpoints-no-private-dns':
      for (const e of ssmEndpoints()) e.privateDnsEnabled = false;
      return;
    case 'vpc-no-dns-hostnames':
      for (const v of net.vpcs.values()) v.enableDnsHostnames = false;
      return;
    case 'vpc-no-dns-support':
      for (const v of net.vpcs.values()) v.enableDnsSupport = false;
      return;
    case 'ssm-endpoint-sg-no-443':
      for (const id of new Set(ssmEndpoints().flatMap((e) => e.groupIds))) {
        const g = net.securityGroups.get(id);
        if (g) g.inbound = [];
      }
      return;
    case 'no-ssm-policy': {
      // A role is shared by every profile naming it: the change applies to all of them.
      const role = net.instanceProfiles.get(need().instanceId)?.roleName;
      for (const p of net.instanceProfiles.values()) if (p.roleName === role) p.policyArns = p.policyArns.filter((a) => a !== SSM_MANAGED_POLICY);
      return;
    }
    case 'deny-send-ssh-public-key':
      net.deniedPermissions.add('ec2-instance-connect:SendSSHPublicKey');
      return;
    case 'deny-open-tunnel':
      net.deniedPermissions.add('ec2-instance-connect:OpenTunnel');
      return;
    case 'deny-start-session':
      net.deniedPermissions.add('ssm:StartSession');
      return;
    case 'deny-simulate':
      net.deniedActions.add('SimulatePrincipalPolicy');
      return;
  }
}
