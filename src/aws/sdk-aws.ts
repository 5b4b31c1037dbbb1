// The AWS SDK v3 implementation of `Aws`: one lazily loaded module per service, so a
// command loads only the clients it calls, and independent calls (resolving the
// target, pushing the key) can overlap while the larger clients load.
import type { Aws, AwsConfig } from './aws.js';

export async function createSdkAws(config: AwsConfig): Promise<Aws> {
  const eic = lazy(async () => (await import('./eic-calls.js')).createEicCalls(config));
  const ec2 = lazy(async () => (await import('./ec2-calls.js')).createEc2Calls(config));
  const ssm = lazy(async () => (await import('./ssm-calls.js')).createSsmCalls(config));
  // The region is needed up front (messages, presigning); the small EIC client resolves it.
  const region = await (await eic()).region();
  return {
    region,
    describeInstances: async (query) => (await ec2()).describeInstances(query),
    getConsoleOutput: async (instanceId) => (await ec2()).getConsoleOutput(instanceId),
    sendSshPublicKey: async (request) => (await eic()).sendSshPublicKey(request),
    describeInstanceConnectEndpoints: async (query) => (await ec2()).describeInstanceConnectEndpoints(query),
    credentials: async () => (await eic()).credentials(),
    startSsmSession: async (request) => (await ssm()).startSsmSession(request),
    resumeSsmSession: async (sessionId) => (await ssm()).resumeSsmSession(sessionId),
    terminateSsmSession: async (sessionId) => (await ssm()).terminateSsmSession(sessionId),
    describeSsmInstances: async (instanceIds) => (await ssm()).describeSsmInstances(instanceIds),
    signSsmStreamUpgrade: async (streamUrl) => (await ssm()).signSsmStreamUpgrade(streamUrl),
  };
}

function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

