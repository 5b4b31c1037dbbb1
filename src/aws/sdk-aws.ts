// The AWS SDK v3 implementation of `Aws`: one lazily loaded module per service, so a
// command loads only the clients it calls, and independent calls (resolving the
// target, pushing the key) can overlap while the larger clients load.
import type { Aws, AwsConfig } from './aws.js';
import type { Ec2Calls } from './ec2-calls.js';
import type { EicCalls } from './eic-calls.js';

export async function createSdkAws(config: AwsConfig): Promise<Aws> {
  const eic = lazy(async () => (await import('./eic-calls.js')).createEicCalls(config));
  const ec2 = lazy(async () => (await import('./ec2-calls.js')).createEc2Calls(config));
  // The region is needed up front (messages, presigning); the small EIC client resolves it.
  const region = await (await eic()).region();
  return {
    region,
    describeInstances: async (query) => (await ec2()).describeInstances(query),
    getConsoleOutput: async (instanceId) => (await ec2()).getConsoleOutput(instanceId),
    sendSshPublicKey: async (request) => (await eic()).sendSshPublicKey(request),
  };
}

function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

