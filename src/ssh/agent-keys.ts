// Lists the public keys an ssh-agent holds (SSH_AUTH_SOCK), for `eic-ssh proxy`:
// the key it pushes must be one the OpenSSH client will offer. Only public halves
// ever cross the agent socket here (SSH_AGENTC_REQUEST_IDENTITIES,
// draft-miller-ssh-agent §4.4); ssh2 speaks the agent protocol.
import ssh2 from 'ssh2';
import { EicError } from '../errors.js';
import { formatPublicKeyLine } from './openssh-key-format.js';

export interface AgentPublicKey {
  // 'ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', ...
  type: string;
  // '<type> <base64>' (no comment), the form SendSSHPublicKey takes.
  publicLine: string;
  comment: string;
}

// A socket that does not answer within this time is treated as no agent.
const AGENT_TIMEOUT_MS = 5_000;

export function listAgentKeys(socketPath: string): Promise<AgentPublicKey[]> {
  const agent = new ssh2.OpenSSHAgent(socketPath);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new EicError('LOCAL_IO', `ssh-agent at ${socketPath} did not answer within ${AGENT_TIMEOUT_MS / 1000} s`));
    }, AGENT_TIMEOUT_MS);
    agent.getIdentities((error, keys) => {
      clearTimeout(timer);
      if (error || !keys) {
        reject(
          new EicError('LOCAL_IO', `cannot list the keys of ssh-agent at ${socketPath}: ${error?.message ?? 'no answer'}`, {
            hint: 'check SSH_AUTH_SOCK, or name the public key to push with --push-key',
            cause: error,
          }),
        );
        return;
      }
      // ssh2's OpenSSH agent client yields parsed keys (the typings also allow
      // wrapper entries, which only user-written agents produce).
      const parsed = keys.flatMap((key) => ('getPublicSSH' in key ? [key] : []));
      resolve(
        parsed.map((key) => ({
          type: key.type,
          publicLine: formatPublicKeyLine(key.getPublicSSH()),
          comment: key.comment ?? '',
        })),
      );
    });
  });
}
