// The Systems Manager calls of the SSM route (ssm.md §3): StartSession with
// AWS-StartSSHSession, ResumeSession, TerminateSession, DescribeInstanceInformation,
// and the signed websocket upgrade (§4.3) with the client's own, fresh credentials.
// Loaded on first use, like the other service modules.
import {
  DescribeInstanceInformationCommand,
  ResumeSessionCommand,
  SSMClient,
  StartSessionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-ssm';
import type { Aws, AwsConfig, SsmManagedInstance } from './aws.js';
import { serviceEndpoint } from './endpoints.js';
import { resolveRegion, sdkCaller, sdkCommon } from './sdk-config.js';
import { signStreamUpgrade } from './ssm-stream-sign.js';

export type SsmCalls = Pick<Aws, 'startSsmSession' | 'resumeSsmSession' | 'terminateSsmSession' | 'describeSsmInstances' | 'signSsmStreamUpgrade'>;

export function createSsmCalls(config: AwsConfig): SsmCalls {
  const ssm = new SSMClient({ ...sdkCommon(config), endpoint: serviceEndpoint(config.env, 'SSM') });
  const call = sdkCaller(config);
  return {
    async startSsmSession(request) {
      const output = await call('SSM', 'StartSession', () =>
        ssm.send(
          new StartSessionCommand({
            Target: request.instanceId,
            DocumentName: 'AWS-StartSSHSession',
            Parameters: { portNumber: [String(request.port)] },
            Reason: request.reason,
          }),
        ),
      );
      return { sessionId: output.SessionId ?? '', streamUrl: output.StreamUrl ?? '', tokenValue: output.TokenValue ?? '' };
    },
    async resumeSsmSession(sessionId) {
      const output = await call('SSM', 'ResumeSession', () => ssm.send(new ResumeSessionCommand({ SessionId: sessionId })));
      // §3.2: no TokenValue means the session timed out.
      return { sessionId: output.SessionId ?? sessionId, streamUrl: output.StreamUrl || undefined, tokenValue: output.TokenValue || undefined };
    },
    async terminateSsmSession(sessionId) {
      await call('SSM', 'TerminateSession', () => ssm.send(new TerminateSessionCommand({ SessionId: sessionId })));
    },
    async describeSsmInstances(instanceIds) {
      const found: SsmManagedInstance[] = [];
      let nextToken: string | undefined;
      // Bounded: 50 ids per page (the API maximum), 100 pages.
      for (let page = 0; page < 100; page++) {
        const output = await call('SSM', 'DescribeInstanceInformation', () =>
          ssm.send(
            new DescribeInstanceInformationCommand({
              Filters: instanceIds ? [{ Key: 'InstanceIds', Values: instanceIds }] : undefined,
              NextToken: nextToken,
            }),
          ),
        );
        for (const info of output.InstanceInformationList ?? []) {
          found.push({
            instanceId: info.InstanceId ?? '',
            pingStatus: info.PingStatus ?? 'Unknown',
            agentVersion: info.AgentVersion,
            platformType: info.PlatformType,
            platformName: info.PlatformName,
          });
        }
        nextToken = output.NextToken;
        if (!nextToken) break;
      }
      return found;
    },
    async signSsmStreamUpgrade(streamUrl) {
      const region = await resolveRegion(() => ssm.config.region());
      const c = await ssm.config.credentials(); // the provider chain refreshes expiring credentials
      return signStreamUpgrade({
        streamUrl,
        region,
        credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken || undefined },
        signingDate: new Date(),
      });
    },
  };
}
