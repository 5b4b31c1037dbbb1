// Turns short instance specs into full SandboxInstance records: ids, loopback
// addresses, EC2-style DNS names, images and the OS users those images have.
import type { AddressBlock } from './addresses.js';
import type { InstanceStateName, SandboxInstance, SsmManagedInfo } from './world.js';

export type ImageKind = 'amazon-linux' | 'ubuntu' | 'debian';

export interface InstanceSpec {
  name?: string;
  tags?: Record<string, string>;
  // false: no public address; reachable only through a tunnel (later issues).
  public?: boolean;
  state?: InstanceStateName;
  image?: ImageKind;
  instanceId?: string;
  subnet?: 'a' | 'b';
  // Public key lines baked into the image for its default OS user, like an EC2 launch
  // key pair (benchmarks compare plain OpenSSH with them). Default: none.
  keyPair?: string[];
  // SSM: a managed node whose agent is Online (ssm.md §3.4); 'offline' = managed but
  // ConnectionLost. Default: not managed.
  ssm?: boolean | 'offline';
}

interface Image {
  imageId: string;
  platformDetails: string;
  osUser: string;
}

// Image ids are made up but well-formed; the OS users are those of the real images.
export const IMAGES: Record<ImageKind, Image> = {
  'amazon-linux': { imageId: 'ami-0a1e2d3c4b5a69788', platformDetails: 'Linux/UNIX', osUser: 'ec2-user' },
  ubuntu: { imageId: 'ami-0b2f3e4d5c6b7a899', platformDetails: 'Linux/UNIX', osUser: 'ubuntu' },
  debian: { imageId: 'ami-0c3a4f5e6d7c8b9aa', platformDetails: 'Linux/UNIX', osUser: 'admin' },
};

// The fleet `eic-ssh sandbox` starts with when given none.
export const DEFAULT_FLEET: InstanceSpec[] = [
  { name: 'web-1', image: 'amazon-linux', ssm: true },
  { name: 'web-2', image: 'ubuntu', subnet: 'b', ssm: true },
  { name: 'db-1', image: 'amazon-linux', public: false, ssm: true },
  { name: 'worker', image: 'debian', ssm: true },
  { name: 'worker', image: 'debian', subnet: 'b' }, // not an SSM managed node
  { name: 'old-batch', image: 'amazon-linux', state: 'stopped', ssm: true },
];

export const SANDBOX_VPC_ID = 'vpc-0e1c5a4db0c0ffee1';
const SUBNETS = { a: 'subnet-0e1c5a4db0c0aaaa1', b: 'subnet-0e1c5a4db0c0bbbb2' };
export const SANDBOX_SUBNETS: Readonly<Record<'a' | 'b', string>> = SUBNETS;

export interface FleetContext {
  region: string;
  addresses: AddressBlock;
  sshPort: number;
  launchTime: Date;
}

export function buildInstance(spec: InstanceSpec, index: number, context: FleetContext): SandboxInstance {
  const image = IMAGES[spec.image ?? 'amazon-linux'];
  const isPublic = spec.public ?? true;
  const subnet = spec.subnet ?? 'a';
  // Public instances listen on their public address; private ones on an address
  // that DescribeInstances never reports.
  const hostAddress = context.addresses.next();
  const privateIp = context.addresses.next();
  const tags = { ...(spec.name ? { Name: spec.name } : {}), ...spec.tags };
  return {
    instanceId: spec.instanceId ?? `i-0e1c5a4db${(index + 1).toString(16).padStart(8, '0')}`,
    tags,
    state: spec.state ?? 'running',
    imageId: image.imageId,
    platformDetails: image.platformDetails,
    instanceType: 't3.micro',
    az: `${context.region}${subnet}`,
    vpcId: SANDBOX_VPC_ID,
    subnetId: SUBNETS[subnet],
    privateIp,
    privateDnsName: privateDnsName(privateIp, context.region),
    publicIp: isPublic ? hostAddress : undefined,
    publicDnsName: isPublic ? publicDnsName(hostAddress, context.region) : undefined,
    hostAddress,
    sshPort: context.sshPort,
    imdsPort: 0,
    osUsers: [image.osUser],
    launchTime: context.launchTime,
    hostKeys: [],
    metadataHttpEndpoint: 'enabled',
    clockSkewSeconds: 0,
    authorizedKeys: spec.keyPair ? { [image.osUser]: spec.keyPair } : undefined,
    ssm: spec.ssm ? ssmInfo(spec.image ?? 'amazon-linux', spec.ssm === 'offline') : undefined,
  };
}

// EC2's naming: us-east-1 uses ec2.internal and compute-1; other regions name themselves.
export function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

export function publicDnsName(ip: string, region: string): string {
  const host = `ec2-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.compute-1.amazonaws.com` : `${host}.${region}.compute.amazonaws.com`;
}

// What DescribeInstanceInformation reports for each image's SSM Agent (ssm.md §3.4).
const SSM_PLATFORMS: Record<ImageKind, { platformName: string; platformVersion: string }> = {
  'amazon-linux': { platformName: 'Amazon Linux', platformVersion: '2023' },
  ubuntu: { platformName: 'Ubuntu', platformVersion: '24.04' },
  debian: { platformName: 'Debian GNU/Linux', platformVersion: '12' },
};

function ssmInfo(image: ImageKind, offline: boolean): SsmManagedInfo {
  return { pingStatus: offline ? 'ConnectionLost' : 'Online', agentVersion: SSM_AGENT_VERSION, platformType: 'Linux', ...SSM_PLATFORMS[image] };
}

// The SSM Agent version the fleet reports (same default as knobs.ssmAgentVersion).
export const SSM_AGENT_VERSION = '3.3.1000.0';
