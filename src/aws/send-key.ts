// Pushes a public key with SendSSHPublicKey, retrying what the service says is
// transient (throttling, an instance not ready yet, a service error) with capped
// exponential backoff, and giving every error name of eice.md §3.3 its own message.
// Every attempt first takes a token from the client-side rate limiter (rate-limit.ts).
import { EicError } from '../errors.js';
import type { Aws, PushResult } from './aws.js';
import { AwsCallError } from './aws-errors.js';
import { pushLimiter } from './rate-limit.js';

export interface PushRequest {
  instanceId: string;
  osUser: string;
  publicKey: string;
}

export interface PushDeps {
  aws: Aws;
  sleep(ms: number): Promise<void>;
  random?: () => number;
  log?: (line: string) => void;
  // Client-side rate limit (rate-limit.ts); default: the process-wide push limiter.
  limiter?: { take(): Promise<number> };
}

// Retried error names and how long each may keep us waiting in total.
const RETRY_POLICY: Record<string, { attempts: number; baseMs: number; capMs: number }> = {
  ThrottlingException: { attempts: 8, baseMs: 200, capMs: 5_000 },
  // "The instance is currently unavailable. Wait a few minutes and try again."
  EC2InstanceUnavailableException: { attempts: 6, baseMs: 1_000, capMs: 10_000 },
  ServiceException: { attempts: 3, baseMs: 500, capMs: 4_000 },
};

export async function pushPublicKey(request: PushRequest, deps: PushDeps): Promise<PushResult> {
  const random = deps.random ?? Math.random;
  // Bounded by the largest policy's attempt count.
  for (let attempt = 1; ; attempt++) {
    try {
      const waited = await (deps.limiter ?? pushLimiter).take();
      if (waited > 0) deps.log?.(`push: waited ${waited} ms for the client-side rate limit`);
      return await deps.aws.sendSshPublicKey(request);
    } catch (error) {
      const awsCode = error instanceof AwsCallError ? error.awsCode : undefined;
      const policy = awsCode ? RETRY_POLICY[awsCode] : undefined;
      if (!policy || attempt >= policy.attempts) throw explainPushError(request, deps.aws.region, error);
      // Full jitter keeps many parallel pushes from retrying in lock-step.
      const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
      const delay = Math.round(ceiling / 2 + (random() * ceiling) / 2);
      deps.log?.(`push: ${awsCode}, retrying in ${delay} ms (attempt ${attempt + 1} of ${policy.attempts})`);
      await deps.sleep(delay);
    }
  }
}

export function explainPushError(request: PushRequest, region: string, error: unknown): EicError {
  if (!(error instanceof AwsCallError)) return error instanceof EicError ? error : new EicError('AWS_ERROR', String(error), { cause: error });
  const { instanceId, osUser } = request;
  const said = error.cause instanceof Error && error.cause.message ? ` (${error.cause.message})` : '';
  switch (error.awsCode) {
    case 'AuthException':
      return new EicError('PUSH_AUTH', `not allowed to push a key to ${instanceId} for OS user '${osUser}'${said}`, {
        hint: `allow ec2-instance-connect:SendSSHPublicKey on arn:aws:ec2:${region}:<account>:instance/${instanceId} (check any ec2:osuser condition for '${osUser}')`,
        cause: error,
      });
    case 'InvalidArgsException':
      return new EicError('PUSH_INVALID_ARGS', `EC2 Instance Connect rejected the request${said}`, {
        hint: `check the OS user name '${osUser}' (-l) and that the key is RSA or Ed25519`,
        cause: error,
      });
    case 'EC2InstanceNotFoundException':
      return new EicError('TARGET_NOT_FOUND', `EC2 Instance Connect cannot find ${instanceId} in ${region}`, {
        hint: 'check --region and --profile',
        cause: error,
      });
    case 'EC2InstanceStateInvalidException':
      return new EicError('INSTANCE_STATE', `${instanceId} is not running, so it cannot take a key`, {
        hint: `start it first: aws ec2 start-instances --instance-ids ${instanceId}`,
        cause: error,
      });
    case 'EC2InstanceUnavailableException':
      return new EicError('INSTANCE_UNAVAILABLE', `${instanceId} is not ready for EC2 Instance Connect yet`, {
        hint: 'an instance that just started needs a few minutes; try again shortly',
        cause: error,
      });
    case 'ThrottlingException':
      return new EicError('AWS_THROTTLED', 'SendSSHPublicKey is still throttled after several retries', {
        hint: 'too many key pushes in this account and region; wait a moment and try again',
        cause: error,
      });
    case 'ServiceException':
      return new EicError('PUSH_SERVICE', `EC2 Instance Connect had an internal error${said}`, {
        hint: error.requestId ? `try again; AWS request id ${error.requestId}` : 'try again in a moment',
        cause: error,
      });
    default:
      return error;
  }
}
