// Configuration shared by every SDK client: credentials, region and profile from the
// injected environment (not process.env), so tests can run the program in-process
// against a sandbox and endpoint overrides reach every client.
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { EicError } from '../errors.js';
import type { AwsConfig } from './aws.js';
import { toAwsCallError } from './aws-errors.js';

export interface SdkCommon {
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  profile?: string;
  region?: string;
}

export function sdkCommon(config: AwsConfig): SdkCommon {
  return {
    credentials: credentialsFrom(config),
    profile: config.profile,
    region: config.region ?? config.env.AWS_REGION ?? config.env.AWS_DEFAULT_REGION,
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

export async function resolveRegion(region: () => Promise<string>): Promise<string> {
  try {
    const resolved = await region();
    if (resolved) return resolved;
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

// Runs one SDK call, logs it at -vvv (operation and outcome only), and turns a
// failure into an EicError that keeps the AWS error name.
export function sdkCaller(config: AwsConfig) {
  return async function call<T>(service: string, operation: string, send: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      const result = await send();
      config.debug?.(`aws: ${service} ${operation} ok (${Date.now() - started} ms)`);
      return result;
    } catch (error) {
      const failure = toAwsCallError(operation, error);
      config.debug?.(`aws: ${service} ${operation} failed: ${(failure as { awsCode?: string }).awsCode ?? failure.code} (${Date.now() - started} ms)`);
      throw failure;
    }
  };
}
