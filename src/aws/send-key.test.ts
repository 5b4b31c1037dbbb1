import { describe, expect, it } from 'vitest';
import { pushPublicKey } from './send-key.js';
import { AwsCallError } from './aws-errors.js';
import type { Aws } from './aws.js';
import { EicError } from '../errors.js';

function awsFailing(codes: string[]): Aws & { calls: number } {
  const fake = {
    region: 'us-east-1',
    calls: 0,
    async describeInstances() {
      return [];
    },
    async sendSshPublicKey() {
      const code = codes[fake.calls++];
      if (code === undefined) return { requestId: 'req-ok' };
      throw new AwsCallError({ operation: 'SendSSHPublicKey', awsCode: code, message: code }, 'AWS_ERROR', undefined, new Error(`${code} said so`));
    },
    async getConsoleOutput() {
      return undefined;
    },
    async describeInstanceConnectEndpoints() {
      return [];
    },
    async credentials() {
      return { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };
    },
  };
  return fake;
}

const request = { instanceId: 'i-0123456789abcdef0', osUser: 'ec2-user', publicKey: 'ssh-ed25519 AAAA' };

describe('pushPublicKey', () => {
  it.each(['ThrottlingException', 'EC2InstanceUnavailableException', 'ServiceException'])('retries %s with growing backoff', async (code) => {
    const aws = awsFailing([code, code]);
    const sleeps: number[] = [];
    const result = await pushPublicKey(request, { aws, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 });
    expect(result.requestId).toBe('req-ok');
    expect(aws.calls).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
  });

  it.each([
    ['AuthException', 'PUSH_AUTH', /not allowed to push a key to i-0123456789abcdef0 for OS user 'ec2-user'/],
    ['InvalidArgsException', 'PUSH_INVALID_ARGS', /rejected the request/],
    ['EC2InstanceNotFoundException', 'TARGET_NOT_FOUND', /cannot find i-0123456789abcdef0 in us-east-1/],
    ['EC2InstanceStateInvalidException', 'INSTANCE_STATE', /is not running/],
  ])('does not retry %s and explains it', async (awsCode, code, message) => {
    const aws = awsFailing([awsCode]);
    const error = (await pushPublicKey(request, { aws, sleep: async () => {} }).catch((e: unknown) => e)) as EicError;
    expect(aws.calls).toBe(1);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
  });

  it('gives up on endless throttling with its own message', async () => {
    const aws = awsFailing(Array(20).fill('ThrottlingException'));
    const error = (await pushPublicKey(request, { aws, sleep: async () => {} }).catch((e: unknown) => e)) as EicError;
    expect(error.code).toBe('AWS_THROTTLED');
    expect(aws.calls).toBe(8);
  });

  it('gives up on an instance that stays unavailable with its own message', async () => {
    const aws = awsFailing(Array(20).fill('EC2InstanceUnavailableException'));
    const error = (await pushPublicKey(request, { aws, sleep: async () => {} }).catch((e: unknown) => e)) as EicError;
    expect(error.code).toBe('INSTANCE_UNAVAILABLE');
    expect(aws.calls).toBe(6);
  });
});
