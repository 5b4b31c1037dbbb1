// The EC2 Instance Connect calls. A small client that loads fast, so a key push can
// start while the EC2 client is still loading.
import { EC2InstanceConnectClient, SendSerialConsoleSSHPublicKeyCommand, SendSSHPublicKeyCommand } from '@aws-sdk/client-ec2-instance-connect';
import type { Aws, AwsConfig } from './aws.js';
import { serviceEndpoint } from './endpoints.js';
import { EicError } from '../errors.js';
import { resolveRegion, sdkCaller, sdkCommon } from './sdk-config.js';

export type EicCalls = Pick<Aws, 'sendSshPublicKey' | 'sendSerialConsoleSshPublicKey' | 'credentials'> & { region(): Promise<string> };

export function createEicCalls(config: AwsConfig): EicCalls {
  const eic = new EC2InstanceConnectClient({
    ...sdkCommon(config),
    endpoint: serviceEndpoint(config.env, 'EC2_INSTANCE_CONNECT'),
    // send-key.ts retries with its own backoff and messages; one attempt per call here.
    maxAttempts: 1,
  });
  const call = sdkCaller(config);
  return {
    region: () => resolveRegion(() => eic.config.region()),
    // The client's own provider chain, so presigning uses exactly what API calls use.
    async credentials() {
      try {
        const c = await eic.config.credentials();
        return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken || undefined };
      } catch (error) {
        throw new EicError('AWS_CREDENTIALS', 'no AWS credentials found', {
          hint: 'set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run aws configure / aws sso login',
          cause: error,
        });
      }
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
    async sendSerialConsoleSshPublicKey(request) {
      const output = await call('EC2InstanceConnect', 'SendSerialConsoleSSHPublicKey', () =>
        eic.send(
          new SendSerialConsoleSSHPublicKeyCommand({
            InstanceId: request.instanceId,
            SSHPublicKey: request.publicKey,
            SerialPort: request.serialPort,
          }),
        ),
      );
      return { requestId: output.RequestId ?? output.$metadata.requestId ?? '' };
    },
  };
}
