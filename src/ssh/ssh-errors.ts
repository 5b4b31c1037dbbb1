// Maps ssh2's errors to EicErrors. ssh2 reports failures as plain Errors with a
// `level` field ('client-socket', 'client-timeout', 'client-authentication',
// 'handshake', 'protocol') or, for a DISCONNECT from the server, a numeric `code`
// (RFC 4253 §11.1 reason). We branch on those fields, never on message text.
import { EicError } from '../errors.js';

// Where the connection was when the error happened.
export type SshPhase = 'handshake' | 'auth' | 'session';

export interface SshErrorContext {
  hostKeyAlias: string; // the instance id, used in messages
  username: string;
  phase: SshPhase;
  heardFromServer: boolean; // any byte received from the server yet
  readyTimeoutMs: number;
}

// RFC 4253 §11.1 SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE.
const NO_MORE_AUTH_METHODS = 14;

export const SSH_AUTH_HINT =
  'Check the login user (-l or user@host; Amazon Linux uses ec2-user, Ubuntu ubuntu, Debian admin). ' +
  'A pushed key is accepted only for 60 seconds, and the instance must run EC2 Instance Connect.';

export function mapSshError(error: unknown, context: SshErrorContext): EicError {
  // A route's own failure on the socket (e.g. the EICE tunnel closed with a reason) is already an EicError.
  if (error instanceof EicError) return error;
  const { hostKeyAlias: host, username } = context;
  const err: Error & { level?: unknown; code?: unknown } = error instanceof Error ? error : new Error(String(error));
  const detail = err.message;
  switch (err.level) {
    case 'client-authentication':
      return new EicError('SSH_AUTH', `Permission denied (publickey) for ${username}@${host}`, {
        cause: err,
        hint: SSH_AUTH_HINT,
      });
    case 'client-timeout':
      return context.phase === 'session'
        ? new EicError('CONNECT_TIMEOUT', `Timeout, server ${host} not responding`, { cause: err })
        : new EicError(
            'CONNECT_TIMEOUT',
            `Timed out after ${String(context.readyTimeoutMs)} ms waiting for the SSH ${context.phase} with ${host}`,
            { cause: err },
          );
    case 'client-socket':
      return new EicError('CONNECT', `Connection to ${host} failed: ${detail}`, { cause: err });
    case 'handshake':
    case 'protocol':
      if (!context.heardFromServer) {
        // OpenSSH: "kex_exchange_identification: Connection closed by remote host".
        return new EicError('CONNECT', `Connection closed by ${host} before the SSH handshake`, {
          cause: err,
          hint: 'Check that sshd is running on the instance and listening on port 22.',
        });
      }
      return new EicError('SSH_PROTOCOL', `SSH protocol error with ${host}: ${detail}`, { cause: err });
  }
  if (typeof err.code === 'number') {
    // A DISCONNECT from the server. sshd disconnects during authentication on
    // "Too many authentication failures", so in that phase it means auth failed.
    if (context.phase === 'auth' || err.code === NO_MORE_AUTH_METHODS) {
      return new EicError('SSH_AUTH', `${host} closed the connection during authentication: ${detail}`, {
        cause: err,
        hint: SSH_AUTH_HINT,
      });
    }
    return new EicError('SSH_PROTOCOL', `Disconnected by ${host}: ${detail}`, { cause: err });
  }
  return new EicError('SSH_PROTOCOL', `SSH error with ${host}: ${detail}`, { cause: err });
}
