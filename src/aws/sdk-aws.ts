// The AWS SDK v3 implementation of `Aws`: one lazily loaded module per service, so a
// command loads only the clients it calls, and independent calls (resolving the
// target, pushing the key) can overlap while the larger clients load.
import type { Aws, AwsConfig } from './aws.js';

export async function createSdkAws(config: AwsConfig): Promise<Aws> {
  const eic = lazy(async () => (await import('./eic-calls.js')).createEicCalls(config));
  const ec2 = lazy(async () => (await import('./ec2-calls.js')).createEc2Calls(config));
  const ssm = lazy(async () => (await import('./ssm-calls.js')).createSsmCalls(config));
  const net = lazy(async () => (await import('./ec2-net-calls.js')).createEc2NetCalls(config));
  const iam = lazy(async () => (await import('./iam-calls.js')).createIamCalls(config));
  const sts = lazy(async () => (await import('./sts-calls.js')).createStsCalls(config));
  // The region is needed up front (messages, presigning); the small EIC client resolves it.
  const region = await (await eic()).region();
  return {
    region,
    describeInstances: async (query) => (await ec2()).describeInstances(query),
    getConsoleOutput: async (instanceId) => (await ec2()).getConsoleOutput(instanceId),
    sendSshPublicKey: async (request) => (await eic()).sendSshPublicKey(request),
    sendSerialConsoleSshPublicKey: async (request) => (await eic()).sendSerialConsoleSshPublicKey(request),
    describeInstanceConnectEndpoints: async (query) => (await ec2()).describeInstanceConnectEndpoints(query),
    describeImages: async (imageIds) => (await ec2()).describeImages(imageIds),
    credentials: async () => (await eic()).credentials(),
    startSsmSession: async (request) => (await ssm()).startSsmSession(request),
    resumeSsmSession: async (sessionId) => (await ssm()).resumeSsmSession(sessionId),
    terminateSsmSession: async (sessionId) => (await ssm()).terminateSsmSession(sessionId),
    describeSsmInstances: async (instanceIds) => (await ssm()).describeSsmInstances(instanceIds),
    signSsmStreamUpgrade: async (streamUrl) => (await ssm()).signSsmStreamUpgrade(streamUrl),
    describeSecurityGroups: async (ids) => (await net()).describeSecurityGroups(ids),
    describeRouteTables: async (vpcId) => (await net()).describeRouteTables(vpcId),
    describeVpcs: async (ids) => (await net()).describeVpcs(ids),
    describeVpcAttribute: async (vpcId, attribute) => (await net()).describeVpcAttribute(vpcId, attribute),
    describeVpcEndpoints: async (vpcId) => (await net()).describeVpcEndpoints(vpcId),
    describeIamInstanceProfileAssociations: async (instanceId) => (await net()).describeIamInstanceProfileAssociations(instanceId),
    instanceProfileRoles: async (arn) => (await iam()).instanceProfileRoles(arn),
    listAttachedRolePolicies: async (roleName) => (await iam()).listAttachedRolePolicies(roleName),
    simulatePrincipalPolicy: async (request) => (await iam()).simulatePrincipalPolicy(request),
    getCallerIdentity: async () => (await sts()).getCallerIdentity(),
  };
}

function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

