// The one error type of eic-ssh: a stable code to branch on, a one-line message,
// a hint telling the user what to do, and the original error as `cause`.
// Messages and hints are printed in exactly one place: src/main.ts.

export type ErrorCode =
  | 'USAGE'
  | 'AWS_CONFIG'
  | 'AWS_CREDENTIALS'
  | 'AWS_ACCESS_DENIED'
  | 'AWS_THROTTLED'
  | 'AWS_ERROR'
  | 'TARGET_NOT_FOUND'
  | 'TARGET_AMBIGUOUS'
  | 'INSTANCE_STATE'
  | 'INSTANCE_UNAVAILABLE'
  | 'PUSH_INVALID_ARGS'
  | 'PUSH_AUTH'
  | 'PUSH_SERVICE'
  | 'NO_ROUTE'
  | 'CONNECT'
  | 'CONNECT_TIMEOUT'
  | 'HOST_KEY_CHANGED'
  | 'HOST_KEY_UNKNOWN'
  | 'SSH_AUTH'
  | 'SSH_PROTOCOL'
  | 'SSH_CHANNEL'
  | 'KEY_FILE'
  | 'KEY_PASSPHRASE'
  | 'KEY_UNSUPPORTED'
  | 'LOCAL_IO'
  | 'SANDBOX'
  // EICE tunnel: handshake refused, tunnel closed with a reason, framing broken.
  | 'EICE_REJECTED'
  | 'EICE_CLOSED'
  | 'EICE_PROTOCOL'
  | 'COPY_FILE'
  | 'SSM_PROTOCOL'
  | 'SSM_SESSION';

export interface EicErrorOptions {
  hint?: string;
  cause?: unknown;
  // Extra lines printed under the message (e.g. the instances an ambiguous name matches).
  details?: string[];
}

export class EicError extends Error {
  override name = 'EicError';
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: EicErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

// Bad command-line input: main prints the message, the hint and a pointer to --help.
export class UsageError extends EicError {
  override name = 'UsageError';
  constructor(message: string, hint?: string) {
    super('USAGE', message, { hint });
  }
}

export function isEicError(error: unknown): error is EicError {
  return error instanceof EicError;
}
