// --host-key-source console (instance-side.md §7.4, choice 1): pin an instance's host
// keys from its console output. GetConsoleOutput is an AWS-authenticated call, so the
// keys cloud-init printed there (§7.2) are a better anchor than the first key a
// network path presents. When the console shows no keys block (no cloud-init,
// emit_keys_to_console: false, scrolled away) we fall back to trust on first use by
// instance id (§7.4, choice 2) and say so in one line; verification is never skipped.
import type { Aws } from '../aws/aws.js';
import { parseConsoleHostKeys } from '../ssh/console-host-keys.js';
import type { KnownHostsFile } from '../ssh/known-hosts.js';

export type HostKeySource = 'console' | 'tofu';

export type PinOutcome =
  | { kind: 'pinned'; keyLines: string[]; changed: boolean } // the file now holds exactly these keys for the id
  | { kind: 'no-console-keys' };

// Makes the known-hosts entries of `instanceId` equal to the console's keys. The
// console is the authority in this mode: when it shows other keys than the file
// (the instance was re-keyed and rebooted), the file follows it; when sshd presents
// a key the console does not show, the ordinary check refuses it as changed.
export async function pinFromConsole(
  aws: Pick<Aws, 'getConsoleOutput'>,
  instanceId: string,
  knownHosts: Pick<KnownHostsFile, 'lookup' | 'replace'>,
): Promise<PinOutcome> {
  const keyLines = parseConsoleHostKeys(await aws.getConsoleOutput(instanceId));
  if (keyLines.length === 0) return { kind: 'no-console-keys' };
  const recorded = (await knownHosts.lookup(instanceId)).map((entry) => entry.keyLine);
  const same = recorded.length === keyLines.length && keyLines.every((line) => recorded.includes(line));
  if (!same) await knownHosts.replace(instanceId, keyLines);
  return { kind: 'pinned', keyLines, changed: !same };
}

export function pinnedNotice(instanceId: string, count: number): string {
  return `eic-ssh: pinned ${String(count)} host key${count === 1 ? '' : 's'} of ${instanceId} from its console output\n`;
}

export function noConsoleKeysNotice(instanceId: string): string {
  return `eic-ssh: the console output of ${instanceId} shows no host keys; trusting the first key it presents (by instance id)\n`;
}
