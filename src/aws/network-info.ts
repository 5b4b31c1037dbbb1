// What `eic-ssh doctor` reads about an instance's network, independent of the SDK's
// shapes: security groups, route tables, VPCs, interface endpoints, instance profiles.

export interface SgRuleInfo {
  protocol: string; // 'tcp', 'udp', 'icmp' or '-1' (all traffic)
  fromPort?: number;
  toPort?: number;
  cidrs: string[]; // IPv4 ranges
  groupIds: string[]; // referenced security groups
}

export interface SecurityGroupInfo {
  groupId: string;
  groupName?: string;
  vpcId?: string;
  inbound: SgRuleInfo[];
  outbound: SgRuleInfo[];
}

export interface RouteInfo {
  destination?: string;
  gatewayId?: string; // 'igw-…', 'local', 'vgw-…'
  natGatewayId?: string;
  state?: string; // 'active' | 'blackhole'
}

export interface RouteTableInfo {
  routeTableId: string;
  main: boolean;
  subnetIds: string[];
  routes: RouteInfo[];
}

export interface VpcInfo {
  vpcId: string;
  cidrBlocks: string[];
}

export interface VpcEndpointInfo {
  vpcEndpointId: string;
  serviceName: string;
  type?: string;
  state: string;
  privateDnsEnabled: boolean;
  groupIds: string[];
}

export interface InstanceProfileAssociation {
  associationId: string;
  instanceProfileArn?: string;
  state?: string;
}

export type VpcDnsAttribute = 'enableDnsSupport' | 'enableDnsHostnames';
