// What eic-ssh needs to know about an instance, independent of the SDK's shapes.

export interface InstanceInfo {
  instanceId: string;
  state: string; // 'running', 'stopped', …
  name?: string;
  tags: Record<string, string>;
  privateIp?: string;
  publicIp?: string;
  ipv6?: string;
  privateDnsName?: string;
  publicDnsName?: string;
  vpcId?: string;
  subnetId?: string;
  availabilityZone?: string;
  imageId?: string;
  platformDetails?: string;
  metadataHttpEndpoint?: string;
  // The instance's security group ids (DescribeInstances groupSet).
  securityGroupIds?: string[];
}

// "i-0abc (web-1)" for messages.
export function describeInstance(instance: InstanceInfo): string {
  return instance.name ? `${instance.instanceId} (${instance.name})` : instance.instanceId;
}
