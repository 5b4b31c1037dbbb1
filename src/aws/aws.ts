// The narrow interface to the AWS calls eic-ssh makes. Commands and tunnels depend on
// `Aws`, never on the SDK; `createAws` builds the SDK-backed implementation and loads
// the SDK lazily, so commands that make no AWS call (help, version) start fast.
import type { InstanceInfo } from './instance-info.js';

export interface Ec2Filter {
  name: string;
  values: string[];
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
