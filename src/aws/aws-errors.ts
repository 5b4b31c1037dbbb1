// Turns whatever the SDK throws into an EicError that keeps the AWS error name
// (`awsCode`), HTTP status and request id, with a generic message and hint for the
// errors every call can meet (credentials, permissions, throttling). Call sites
// refine the ones that are specific to them (send-key.ts).
import { EicError, type ErrorCode } from '../errors.js';

export class AwsCallError extends EicError {
  override name = 'AwsCallError';
  readonly operation: string;
  readonly awsCode: string;
  readonly status?: number;
  readonly requestId?: string;

  constructor(
    details: { operation: string; awsCode: string; status?: number; requestId?: string; message: string },
    code: ErrorCode,
    hint: string | undefined,
    cause: unknown,
  ) {
    super(code, details.message, { hint, cause });
    this.operation = details.operation;
    this.awsCode = details.awsCode;
    this.status = details.status;
    this.requestId = details.requestId;
  }
}

const CREDENTIAL_CODES = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AuthFailure',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const ACCESS_CODES = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);
const THROTTLE_CODES = new Set(['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException']);

export function toAwsCallError(operation: string, error: unknown): EicError {
  if (error instanceof EicError) return error;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string }; code?: string };
  const awsCode = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const requestId = e?.$metadata?.requestId;
  const detail = e?.message ? `: ${oneLine(e.message)}` : '';
  const base = { operation, awsCode, status, requestId };
  if (CREDENTIAL_CODES.has(awsCode)) {
    return new AwsCallError(
      { ...base, message: `AWS rejected the credentials for ${operation} (${awsCode})${detail}` },
      'AWS_CREDENTIALS',
      'check your AWS credentials and profile (aws sts get-caller-identity); refresh an expired SSO or assumed-role session',
      error,
    );
  }
  if (ACCESS_CODES.has(awsCode)) {
    return new AwsCallError(
      { ...base, message: `not authorized to call ${operation} (${awsCode})${detail}` },
      'AWS_ACCESS_DENIED',
      `grant the IAM permission for ${operation} to your principal`,
      error,
    );
  }
  if (THROTTLE_CODES.has(awsCode)) {
    return new AwsCallError(
      { ...base, message: `AWS throttled ${operation} (${awsCode})` },
      'AWS_THROTTLED',
      'wait a moment and try again, or lower the request rate',
      error,
    );
  }
  if (isNetworkError(e?.code)) {
    return new AwsCallError(
      { ...base, awsCode: e.code ?? awsCode, message: `cannot reach the AWS API for ${operation}${detail}` },
      'AWS_ERROR',
      'check your network, proxy and AWS_ENDPOINT_URL settings',
      error,
    );
  }
  return new AwsCallError(
    { ...base, message: `${operation} failed: ${awsCode}${detail}` },
    'AWS_ERROR',
    requestId ? `AWS request id ${requestId}` : undefined,
    error,
  );
}

function isNetworkError(code: string | undefined): boolean {
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EAI_AGAIN';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
