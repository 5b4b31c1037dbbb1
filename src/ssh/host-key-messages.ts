// Every text eic-ssh shows about host keys, in one place: OpenSSH's wording
// (sshconnect.c check_host_key / warn_changed_key) adapted to instance ids and to
// eic-ssh's own known-hosts file and commands.
import { fingerprintOfPublicKey, keyTypeLabel, parsePublicKeyLine } from './openssh-key-format.js';

// The command that forgets a recorded host key. Keep this the only copy: the
// warning block and the error hints below both use it.
export function removeHostKeyCommand(instanceId: string): string {
  return `eic-ssh known-hosts --remove ${instanceId}`;
}

export interface ChangedKeyDetails {
  instanceId: string;
  presentedKeyLine: string; // '<type> <base64>' sent by the server
  file: string; // the known-hosts file
  line: number; // line of the recorded key of the same type
}

// OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED" block, printed on stderr
// whatever the policy, before refusing or (StrictHostKeyChecking=no) continuing.
export function changedHostKeyWarning(details: ChangedKeyDetails): string {
  const key = parsePublicKeyLine(details.presentedKeyLine);
  const label = key === undefined ? 'host' : keyTypeLabel(key.type);
  const fingerprint = key === undefined ? '(unreadable key)' : fingerprintOfPublicKey(key.blob);
  return [
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    'IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!',
    'Someone could be eavesdropping on you right now (man-in-the-middle attack)!',
    'It is also possible that a host key has just been changed.',
    `The fingerprint for the ${label} key sent by ${details.instanceId} is`,
    `${fingerprint}.`,
    'Please contact your system administrator.',
    `Add correct host key in ${details.file} to get rid of this message.`,
    `Offending ${label} key in ${details.file}:${String(details.line)}`,
    '  remove with:',
    `  ${removeHostKeyCommand(details.instanceId)}`,
    '',
  ].join('\n');
}

// What OpenSSH adds when StrictHostKeyChecking=no lets a changed host through.
export function continuingUnverifiedNotice(instanceId: string): string {
  return (
    `Connecting to ${instanceId} anyway because StrictHostKeyChecking=no; ` +
    'the known-hosts file was not updated.\n'
  );
}

// OpenSSH logs this line (LogLevel INFO) whenever it records a new host key.
export function hostKeyAddedNotice(instanceId: string, keyLine: string): string {
  const key = parsePublicKeyLine(keyLine);
  const label = key === undefined ? 'host' : keyTypeLabel(key.type);
  return `Warning: Permanently added '${instanceId}' (${label}) to the list of known hosts.\n`;
}

export function hostKeyChangedMessage(instanceId: string, keyType: string): string {
  return `Host key verification failed: the ${keyTypeLabel(keyType)} host key of ${instanceId} has changed`;
}

export function hostKeyChangedHint(instanceId: string): string {
  return (
    'If the instance was rebuilt or its host keys were regenerated on purpose, ' +
    `forget the old key with: ${removeHostKeyCommand(instanceId)}`
  );
}

export function hostKeyUnknownMessage(instanceId: string, keyType: string): string {
  return (
    `Host key verification failed: no ${keyTypeLabel(keyType)} host key is known for ${instanceId} ` +
    'and StrictHostKeyChecking=yes'
  );
}

export function hostKeyUnknownHint(): string {
  return 'Connect once with -o StrictHostKeyChecking=accept-new (the default) to record the key.';
}
