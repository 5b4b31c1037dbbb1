// The EC2 calls eic-ssh makes. Loaded on first use: the EC2 client is by far the
// largest module eic-ssh loads (~250 ms), so nothing waits on it that need not.
import {
  EC2Client,
  DescribeImagesCommand,
  DescribeInstanceConnectEndpointsCommand,
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  type Ec2InstanceConnectEndpoint,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { InstanceConnectEndpoint } from './aws.js';
import type { Aws, AwsConfig } from './aws.js';
import { serviceEndpoint } from './endpoints.js';
import type { InstanceInfo } from './instance-info.js';
import { sdkCaller, sdkCommon } from './sdk-config.js';

export type Ec2Calls = Pick<Aws, 'describeInstances' | 'getConsoleOutput' | 'describeInstanceConnectEndpoints' | 'describeImages'>;

export function createEc2Calls(config: AwsConfig): Ec2Calls {
  const ec2 = new EC2Client({ ...sdkCommon(config), endpoint: serviceEndpoint(config.env, 'EC2') });
  const call = sdkCaller(config);
  return {
    async describeInstances(query) {
      const found: InstanceInfo[] = [];
      let nextToken: string | undefined;
      // Bounded: 100 pages of up to 1000 instances is far beyond any account's quota.
      for (let page = 0; page < 100; page++) {
        const output = await call('EC2', 'DescribeInstances', () =>
          ec2.send(
            new DescribeInstancesCommand({
              InstanceIds: query.instanceIds,
              Filters: query.filters?.map((f) => ({ Name: f.name, Values: f.values })),
              NextToken: nextToken,
            }),
          ),
        );
        for (const reservation of output.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) found.push(toInstanceInfo(instance));
        }
        nextToken = output.NextToken;
        if (!nextToken) break;
      }
      return found;
    },
    async getConsoleOutput(instanceId) {
      const output = await call('EC2', 'GetConsoleOutput', () => ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId })));
      return output.Output === undefined ? undefined : Buffer.from(output.Output, 'base64').toString('utf8');
    },
    async describeImages(imageIds) {
      if (imageIds.length === 0) return [];
      try {
        // One page: a handful of ids never needs more.
        const output = await call('EC2', 'DescribeImages', () => ec2.send(new DescribeImagesCommand({ ImageIds: imageIds })));
        return (output.Images ?? []).map((i) => ({
          imageId: i.ImageId ?? '',
          name: i.Name || undefined,
          description: i.Description || undefined,
          platformDetails: i.PlatformDetails || undefined,
          ownerId: i.OwnerId || undefined,
        }));
      } catch (error) {
        // A deregistered image (the instance outlives it) is simply unknown.
        if ((error as { awsCode?: string }).awsCode === 'InvalidAMIID.NotFound') return [];
        throw error;
      }
    },
    async describeInstanceConnectEndpoints(query) {
      const found: InstanceConnectEndpoint[] = [];
      let nextToken: string | undefined;
      // Bounded: one endpoint per VPC and a few per account (eice.md §8); 20 pages is plenty.
      for (let page = 0; page < 20; page++) {
        const output = await call('EC2', 'DescribeInstanceConnectEndpoints', () =>
          ec2.send(
            new DescribeInstanceConnectEndpointsCommand({
              InstanceConnectEndpointIds: query.endpointIds,
              Filters: query.filters?.map((f) => ({ Name: f.name, Values: f.values })),
              NextToken: nextToken,
            }),
          ),
        );
        for (const endpoint of output.InstanceConnectEndpoints ?? []) found.push(toEndpoint(endpoint));
        nextToken = output.NextToken;
        if (!nextToken) break;
      }
      return found;
    },
  };
}

function toEndpoint(endpoint: Ec2InstanceConnectEndpoint): InstanceConnectEndpoint {
  return {
    endpointId: endpoint.InstanceConnectEndpointId ?? '',
    state: endpoint.State ?? 'unknown',
    vpcId: endpoint.VpcId,
    subnetId: endpoint.SubnetId,
    dnsName: endpoint.DnsName || undefined,
    fipsDnsName: endpoint.FipsDnsName || undefined,
    securityGroupIds: endpoint.SecurityGroupIds ?? [],
  };
}

function toInstanceInfo(instance: Instance): InstanceInfo {
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  return {
    instanceId: instance.InstanceId ?? '',
    state: instance.State?.Name ?? 'unknown',
    name: tags.Name,
    tags,
    privateIp: instance.PrivateIpAddress || undefined,
    publicIp: instance.PublicIpAddress || undefined,
    ipv6: instance.Ipv6Address || undefined,
    privateDnsName: instance.PrivateDnsName || undefined,
    publicDnsName: instance.PublicDnsName || undefined,
    vpcId: instance.VpcId,
    subnetId: instance.SubnetId,
    availabilityZone: instance.Placement?.AvailabilityZone,
    imageId: instance.ImageId,
    platformDetails: instance.PlatformDetails,
    metadataHttpEndpoint: instance.MetadataOptions?.HttpEndpoint,
    securityGroupIds: (instance.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
  };
}
