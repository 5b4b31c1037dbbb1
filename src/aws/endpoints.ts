// Endpoint overrides, read from the injected environment the way the AWS SDKs and
// the AWS CLI read them: AWS_ENDPOINT_URL_<SERVICE> first, then AWS_ENDPOINT_URL,
// unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.

// `serviceKey` is the service id upper-cased with spaces as underscores:
// 'EC2', 'EC2_INSTANCE_CONNECT', 'SSM'.
export function serviceEndpoint(env: Record<string, string | undefined>, serviceKey: string): string | undefined {
  if ((env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '').toLowerCase() === 'true') return undefined;
  return env[`AWS_ENDPOINT_URL_${serviceKey}`] || env.AWS_ENDPOINT_URL || undefined;
}
