// The sandbox's network model: security groups with rules, route tables, VPC attributes,
// interface VPC endpoints and instance profiles: what the doctor's describe calls read
// (ec2-net-api.ts, iam-api.ts). The default is healthy and matches how the sandbox behaves: public
// instances are reachable directly (SG admits 22, subnets route 0.0.0.0/0 to an internet
// gateway), private ones through the EICE (instance SG admits the endpoint's SG) and SSM
// (interface endpoints for ssm, ssmmessages, ec2messages with private DNS).
// Misconfigurations: network-faults.ts. Nothing here imports the rest of the sandbox.

export interface SgRule {
  protocol: string; // 'tcp' | 'udp' | '-1' (all)
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
  groupIds: string[];
}

export interface SandboxSecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  inbound: SgRule[];
  outbound: SgRule[];
}

export interface SandboxRoute {
  destination: string; // CIDR
  gatewayId?: string; // 'igw-…' or 'local'
  natGatewayId?: string;
}

export interface SandboxRouteTable {
  routeTableId: string;
  vpcId: string;
  main: boolean;
  subnetIds: string[]; // explicit associations
  routes: SandboxRoute[];
}

export interface SandboxVpc {
  vpcId: string;
  cidrBlock: string;
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
}

export interface SandboxVpcEndpoint {
  vpcEndpointId: string;
  vpcId: string;
  serviceName: string; // com.amazonaws.<region>.ssm
  type: 'Interface' | 'Gateway';
  state: string; // lowercase, as EC2 answers: 'available', 'pending', …
  privateDnsEnabled: boolean;
  subnetIds: string[];
  groupIds: string[];
}

export interface SandboxInstanceProfile {
  associationId: string;
  arn: string; // arn:aws:iam::<account>:instance-profile/<name>
  profileId: string;
  roleName: string;
  // Managed policy ARNs attached to the role (ListAttachedRolePolicies, iam-api.ts).
  policyArns: string[];
}

export interface SandboxNetwork {
  vpcs: Map<string, SandboxVpc>;
  securityGroups: Map<string, SandboxSecurityGroup>;
  routeTables: SandboxRouteTable[];
  vpcEndpoints: SandboxVpcEndpoint[];
  // Security groups of each instance (DescribeInstances groupSet).
  instanceGroups: Map<string, string[]>;
  // Instance profile associated with each instance; absent = none.
  instanceProfiles: Map<string, SandboxInstanceProfile>;
  // EC2 and IAM actions of the network model answering UnauthorizedOperation /
  // AccessDenied (a policy that does not allow the doctor to read them).
  deniedActions: Set<string>;
  // IAM actions ('ssm:StartSession', …) the caller's policies do not allow:
  // SimulatePrincipalPolicy answers implicitDeny for them (iam-api.ts).
  deniedPermissions: Set<string>;
}

export function emptyNetwork(): SandboxNetwork {
  return {
    vpcs: new Map(),
    securityGroups: new Map(),
    routeTables: [],
    vpcEndpoints: [],
    instanceGroups: new Map(),
    instanceProfiles: new Map(),
    deniedActions: new Set(),
    deniedPermissions: new Set(),
  };
}

export const SSM_ENDPOINT_SERVICES = ['ssm', 'ssmmessages', 'ec2messages'] as const;
export const SSM_MANAGED_POLICY = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';

export interface NetworkContext {
  region: string;
  accountId: string;
  vpcId: string;
  vpcCidr: string;
  instanceIds: string[];
  // Security groups of the EICE endpoints in the VPC.
  endpointGroupIds: string[];
}

export const INSTANCE_SG = 'sg-0e1c5a4db0c0aa001';
export const SSM_ENDPOINT_SG = 'sg-0e1c5a4db0c0aa002';
export const INTERNET_GATEWAY = 'igw-0e1c5a4db0c0aa003';

// The healthy default network of the default fleet.
export function defaultNetwork(c: NetworkContext): SandboxNetwork {
  const n = emptyNetwork();
  n.vpcs.set(c.vpcId, { vpcId: c.vpcId, cidrBlock: c.vpcCidr, enableDnsSupport: true, enableDnsHostnames: true });
  const allOut: SgRule = { protocol: '-1', cidrs: ['0.0.0.0/0'], groupIds: [] };
  n.securityGroups.set(INSTANCE_SG, {
    groupId: INSTANCE_SG,
    groupName: 'sandbox-instances',
    description: 'SSH from anywhere and from the EC2 Instance Connect Endpoint',
    vpcId: c.vpcId,
    inbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0'], groupIds: [...c.endpointGroupIds] }],
    outbound: [allOut],
  });
  for (const groupId of c.endpointGroupIds) {
    n.securityGroups.set(groupId, {
      groupId,
      groupName: `eice-${groupId.slice(3, 11)}`,
      description: 'EC2 Instance Connect Endpoint',
      vpcId: c.vpcId,
      inbound: [],
      outbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: [c.vpcCidr], groupIds: [] }],
    });
  }
  n.securityGroups.set(SSM_ENDPOINT_SG, {
    groupId: SSM_ENDPOINT_SG,
    groupName: 'ssm-endpoints',
    description: 'HTTPS from the VPC to the SSM interface endpoints',
    vpcId: c.vpcId,
    inbound: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: [c.vpcCidr], groupIds: [] }],
    outbound: [allOut],
  });
  n.routeTables.push({
    routeTableId: 'rtb-0e1c5a4db0c0aa004',
    vpcId: c.vpcId,
    main: true,
    subnetIds: [],
    routes: [{ destination: c.vpcCidr, gatewayId: 'local' }, { destination: '0.0.0.0/0', gatewayId: INTERNET_GATEWAY }],
  });
  SSM_ENDPOINT_SERVICES.forEach((service, index) =>
    n.vpcEndpoints.push({
      vpcEndpointId: `vpce-0e1c5a4db0c0aa0${(index + 10).toString(16)}`,
      vpcId: c.vpcId,
      serviceName: `com.amazonaws.${c.region}.${service}`,
      type: 'Interface',
      state: 'available',
      privateDnsEnabled: true,
      subnetIds: [],
      groupIds: [SSM_ENDPOINT_SG],
    }),
  );
  c.instanceIds.forEach((instanceId, index) => {
    n.instanceGroups.set(instanceId, [INSTANCE_SG]);
    n.instanceProfiles.set(instanceId, {
      associationId: `iip-assoc-0e1c5a4db0c0a${index.toString(16).padStart(4, '0')}`,
      arn: `arn:aws:iam::${c.accountId}:instance-profile/SandboxSSMInstanceProfile`,
      profileId: 'AIPA0E1C5A4DB0C0SANDBOX',
      roleName: 'SandboxSSMRole',
      policyArns: [SSM_MANAGED_POLICY],
    });
  });
  return n;
}
