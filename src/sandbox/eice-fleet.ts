// The sandbox's EC2 Instance Connect Endpoints: short specs → SandboxEndpoint records
// with EC2-style ids and DNS names (eice.md §2.3). The default fleet has one endpoint
// in subnet a of the sandbox VPC, so private instances are reachable through it.
import { createHash } from 'node:crypto';
import { SANDBOX_SUBNETS, SANDBOX_VPC_ID } from './fleet.js';
import type { EndpointState, SandboxEndpoint } from './world.js';

export interface EndpointSpec {
  subnet?: 'a' | 'b';
  state?: EndpointState;
  endpointId?: string;
  vpcId?: string;
}

export const DEFAULT_ENDPOINTS: EndpointSpec[] = [{ subnet: 'a' }];

export function buildEndpoint(spec: EndpointSpec, index: number, region: string, createdAt: Date): SandboxEndpoint {
  const subnet = spec.subnet ?? 'a';
  const endpointId = spec.endpointId ?? `eice-0e1c5a4db0c0e1c${(index + 1).toString(16).padStart(2, '0')}`;
  const tag = createHash('sha256').update(endpointId).digest('hex').slice(0, 8);
  return {
    endpointId,
    state: spec.state ?? 'create-complete',
    vpcId: spec.vpcId ?? SANDBOX_VPC_ID,
    subnetId: SANDBOX_SUBNETS[subnet],
    az: `${region}${subnet}`,
    dnsName: `${endpointId}.${tag}.ec2-instance-connect-endpoint.${region}.amazonaws.com`,
    fipsDnsName: `${endpointId}.fips.ec2-instance-connect-endpoint.${region}.amazonaws.com`,
    securityGroupIds: [`sg-${tag}0e1c5a4db`],
    networkInterfaceIds: [`eni-${tag}0e1c5a4db`],
    createdAt,
    tags: {},
  };
}
