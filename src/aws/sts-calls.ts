// The STS call eic-ssh makes: GetCallerIdentity, for the caller ARN of audit lines
// (the principal CloudTrail records for the push). Loaded on first use, like the
// other service modules.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Aws, AwsConfig } from './aws.js';
import { serviceEndpoint } from './endpoints.js';
import { sdkCaller, sdkCommon } from './sdk-config.js';

export type StsCalls = Pick<Aws, 'getCallerIdentity'>;

export function createStsCalls(config: AwsConfig): StsCalls {
  const sts = new STSClient({ ...sdkCommon(config), endpoint: serviceEndpoint(config.env, 'STS') });
  const call = sdkCaller(config);
  return {
    async getCallerIdentity() {
      const output = await call('STS', 'GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})));
      return { arn: output.Arn ?? '', account: output.Account ?? '', userId: output.UserId ?? '' };
    },
  };
}
