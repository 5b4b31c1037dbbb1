// The AWS SDK v3 implementation of `Aws`. Loaded only through createAws().
// Configuration comes from the injected environment (not process.env) so that tests
// can run the real program in-process against a sandbox, and so that endpoint
// overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) reach every client.
import { EC2Client, DescribeInstancesCommand, GetConsoleOutputCommand, type Instance } from '@aws-sdk/client-ec2';
import { EC2InstanceConnectClient, SendSSHPublicKeyCommand } from '@aws-sdk/client-ec2-instance-connect';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { EicError } from '../errors.js';
import type { Aws, AwsConfig } from './aws.js';
import { toAwsCallError } from './aws-errors.js';
import { serviceEndpoint } from './endpoints.js';
import type { InstanceInfo } from './instance-info.js';

export async function createSdkAws(config: AwsConfig): Promise<Aws> {
  const env = config.env;
  const credentials = credentialsFrom(config);
  const common = { credentials, profile: config.profile, region: config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION };
  const ec2 = new EC2Client({ ...common, endpoint: serviceEndpoint(env, 'EC2') });
  const eic = new EC2InstanceConnectClient({
    ...common,
    endpoint: serviceEndpoint(env, 'EC2_INSTANCE_CONNECT'),
    // send-key.ts retries with its own backoff and messages; one attempt per call here.
    maxAttempts: 1,
  });
  const region = await resolveRegion(ec2);

  async function call<T>(service: string, operation: string, send: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      const result = await send();
      config.debug?.(`aws: ${service} ${operation} ok (${Date.now() - started} ms)`);
      return result;
    } catch (error) {
      const failure = toAwsCallError(operation, error);
      config.debug?.(`aws: ${service} ${operation} failed: ${failure.code} (${Date.now() - started} ms)`);
      throw failure;
    }
  }

  return {
    region,
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
    async sendSshPublicKey(request) {
      const output = await call('EC2InstanceConnect', 'SendSSHPublicKey', () =>
        eic.send(
          new SendSSHPublicKeyCommand({
            InstanceId: request.instanceId,
            InstanceOSUser: request.osUser,
            SSHPublicKey: request.publicKey,
          }),
        ),
      );
      return { requestId: output.RequestId ?? output.$metadata.requestId ?? '' };
    },
    async getConsoleOutput(instanceId) {
      const output = await call('EC2', 'GetConsoleOutput', () =>
        ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId })),
      );
      return output.Output === undefined ? undefined : Buffer.from(output.Output, 'base64').toString('utf8');
    },
  };
}

// Static keys from the (injected) environment, as the SDK's fromEnv would read them;
// otherwise the SDK's default chain (shared files, SSO, assume-role, IMDS/ECS).
function credentialsFrom(config: AwsConfig): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  const { env, profile } = config;
  if (!profile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
  }
  return fromNodeProviderChain({ profile });
}

async function resolveRegion(client: EC2Client): Promise<string> {
  try {
    const region = await client.config.region();
    if (region) return region;
  } catch (error) {
    throw noRegion(error);
  }
  throw noRegion();
}

function noRegion(cause?: unknown): EicError {
  return new EicError('AWS_CONFIG', 'no AWS region is configured', {
    hint: 'pass --region, set AWS_REGION, or set `region` in your AWS profile (aws configure)',
    cause,
  });
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
  };
}
