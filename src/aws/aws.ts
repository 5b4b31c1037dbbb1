// The narrow interface to the AWS calls eic-ssh makes. Commands and tunnels depend on
// `Aws`, never on the SDK; `createAws` builds the SDK-backed implementation and loads
// the SDK lazily, so commands that make no AWS call (help, version) start fast.
import type { InstanceInfo } from './instance-info.js';
import type { InstanceProfileAssociation, RouteTableInfo, SecurityGroupInfo, VpcDnsAttribute, VpcEndpointInfo, VpcInfo } from './network-info.js';

export interface Ec2Filter {
  name: string;
  values: string[];
}

// One EC2 Instance Connect Endpoint as DescribeInstanceConnectEndpoints reports it (eice.md §2.3).
export interface InstanceConnectEndpoint {
  endpointId: string;
  state: string;
  vpcId?: string;
  subnetId?: string;
  dnsName?: string;
  fipsDnsName?: string;
  securityGroupIds?: string[];
}

// Credentials for presigning the EICE tunnel URL. Never logged, never written.
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface PushResult {
  requestId: string;
}

export interface Aws {
  readonly region: string;
  // DescribeInstances, every page.
  describeInstances(query: { instanceIds?: string[]; filters?: Ec2Filter[] }): Promise<InstanceInfo[]>;
  // SendSSHPublicKey without AvailabilityZone (eice.md §3.1). One attempt: callers own retries.
  sendSshPublicKey(request: { instanceId: string; osUser: string; publicKey: string }): Promise<PushResult>;
  // GetConsoleOutput, decoded; undefined when nothing was posted.
  getConsoleOutput(instanceId: string): Promise<string | undefined>;
  // DescribeImages for these ids (OS user inference, os-user.ts). Unknown ids: [].
  describeImages(imageIds: string[]): Promise<ImageInfo[]>;
  // DescribeInstanceConnectEndpoints, every page (eice.md §2.3).
  describeInstanceConnectEndpoints(query: { endpointIds?: string[]; filters?: Ec2Filter[] }): Promise<InstanceConnectEndpoint[]>;
  // The resolved credentials, for presigning the EICE openTunnel URL (eice.md §5).
  credentials(): Promise<SigningCredentials>;
  // SSM StartSession with AWS-StartSSHSession (ssm.md §3.1).
  startSsmSession(request: { instanceId: string; port: number; reason?: string }): Promise<SsmSessionStart>;
  // SSM ResumeSession (§3.2); tokenValue undefined = the session timed out.
  resumeSsmSession(sessionId: string): Promise<{ sessionId: string; streamUrl?: string; tokenValue?: string }>;
  // SSM TerminateSession (§3.3), idempotent.
  terminateSsmSession(sessionId: string): Promise<void>;
  // SSM DescribeInstanceInformation (§3.4): managed nodes, optionally only these ids.
  describeSsmInstances(instanceIds?: string[]): Promise<SsmManagedInstance[]>;
  // Headers for the SigV4-signed websocket upgrade to a StreamUrl (§4.3); {} if presigned.
  signSsmStreamUpgrade(streamUrl: string): Promise<Record<string, string>>;
  // SendSerialConsoleSSHPublicKey (eice.md §3.3): SerialPort 0 only. One attempt.
  sendSerialConsoleSshPublicKey(request: { instanceId: string; publicKey: string; serialPort: number }): Promise<PushResult>;
  // STS GetCallerIdentity: who the credentials belong to (audit lines).
  getCallerIdentity(): Promise<CallerIdentity>;
  // ---- doctor (ec2-net-calls.ts): the network facts each route depends on ----
  describeSecurityGroups(groupIds: string[]): Promise<SecurityGroupInfo[]>;
  describeRouteTables(vpcId: string): Promise<RouteTableInfo[]>;
  describeVpcs(vpcIds: string[]): Promise<VpcInfo[]>;
  describeVpcAttribute(vpcId: string, attribute: VpcDnsAttribute): Promise<boolean>;
  describeVpcEndpoints(vpcId: string): Promise<VpcEndpointInfo[]>;
  describeIamInstanceProfileAssociations(instanceId: string): Promise<InstanceProfileAssociation[]>;
  // IAM (iam-calls.ts): the profile's roles, a role's attached managed policy ARNs, and
  // SimulatePrincipalPolicy (decision per action and resource: allowed | explicitDeny | implicitDeny).
  instanceProfileRoles(profileArn: string): Promise<string[]>;
  listAttachedRolePolicies(roleName: string): Promise<string[]>;
  simulatePrincipalPolicy(request: {
    policySourceArn: string;
    actions: string[];
    resources?: string[];
    context?: Record<string, string[]>;
  }): Promise<{ action: string; resource: string; decision: string }[]>;
}

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

// One machine image as DescribeImages reports it.
export interface ImageInfo {
  imageId: string;
  name?: string;
  description?: string;
  platformDetails?: string;
  ownerId?: string;
}

export interface SsmSessionStart {
  sessionId: string;
  streamUrl: string;
  // Secret: never logged.
  tokenValue: string;
}

// One managed node as DescribeInstanceInformation reports it (ssm.md §3.4).
export interface SsmManagedInstance {
  instanceId: string;
  pingStatus: string; // 'Online' | 'ConnectionLost' | 'Inactive'
  agentVersion?: string;
  platformType?: string;
  platformName?: string;
}

export interface AwsConfig {
  region?: string;
  profile?: string;
  env: Record<string, string | undefined>;
  // -vvv: one line per AWS request (operation and status only, never credentials).
  debug?: (line: string) => void;
}

export async function createAws(config: AwsConfig): Promise<Aws> {
  const { createSdkAws } = await import('./sdk-aws.js');
  return createSdkAws(config);
}
