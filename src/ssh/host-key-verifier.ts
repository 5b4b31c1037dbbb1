// Joins the known-hosts file, the StrictHostKeyChecking policy and the warnings
// into the verifyHostKey callback that connectSsh calls during key exchange.
import type { HostKeyVerdict } from './connect.js';
import {
  changedHostKeyWarning,
  continuingUnverifiedNotice,
  hostKeyAddedNotice,
  hostKeyChangedMessage,
  hostKeyUnknownMessage,
} from './host-key-messages.js';
import { checkHostKey, type KnownHostEntry, type StrictHostKeyChecking } from './known-hosts.js';
import { formatPublicKeyLine } from './openssh-key-format.js';

// The part of KnownHostsFile the verifier needs (tests may pass a plain object).
export interface HostKeyStore {
  readonly path: string;
  lookup(id: string): Promise<KnownHostEntry[]>;
  add(id: string, keyLine: string): Promise<void>;
}

export interface HostKeyVerifierOptions {
  knownHosts: HostKeyStore;
  instanceId: string;
  policy: StrictHostKeyChecking;
  // Receives warnings and notices for stderr (each ends with a newline).
  warn(text: string): void;
}

export function createHostKeyVerifier(options: HostKeyVerifierOptions): (key: Buffer) => Promise<HostKeyVerdict> {
  const { knownHosts, instanceId, policy, warn } = options;
  return async (key) => {
    const presented = formatPublicKeyLine(key);
    const type = presented.split(' ')[0] ?? '';
    const known = await knownHosts.lookup(instanceId);
    const decision = checkHostKey(policy, known.map((entry) => entry.keyLine), presented);
    if (decision === 'match') return true;
    if (decision === 'record') {
      await record(options, presented);
      return true;
    }
    if (decision === 'accept-unverified' || decision.refuse === 'changed') {
      const offending = known.find((entry) => entry.type === type);
      warn(
        changedHostKeyWarning({
          instanceId,
          presentedKeyLine: presented,
          file: knownHosts.path,
          line: offending?.line ?? 0,
        }),
      );
    }
    if (decision === 'accept-unverified') {
      warn(continuingUnverifiedNotice(instanceId));
      return true;
    }
    return decision.refuse === 'changed'
      ? { refuse: 'changed', message: hostKeyChangedMessage(instanceId, type) }
      : { refuse: 'unknown', message: hostKeyUnknownMessage(instanceId, type) };
  };
}

// Like OpenSSH, a key that cannot be saved does not stop the connection: the
// user is told, and the next connection will be "new" again.
async function record(options: HostKeyVerifierOptions, keyLine: string): Promise<void> {
  try {
    await options.knownHosts.add(options.instanceId, keyLine);
    options.warn(hostKeyAddedNotice(options.instanceId, keyLine));
  } catch {
    options.warn(`Failed to add the host to the list of known hosts (${options.knownHosts.path}).\n`);
  }
}
