// `eic-ssh known-hosts`: lists the host keys eic-ssh has recorded (by instance id),
// removes an instance's entries after a legitimate host-key change (the command
// the changed-key warning points to), or re-pins them from the console (--pin).
import { Command } from 'commander';
import type { Deps } from '../deps.js';
import { resolveTarget } from '../aws/resolve-target.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { fingerprintOfPublicKey } from '../ssh/key.js';
import { KnownHostsFile } from '../ssh/known-hosts.js';
import { parseWithCommander } from './commander-parse.js';
import { knownHostsPath } from './state-dir.js';
import { pinFromConsole } from './host-key-pin.js';

export interface KnownHostsOptions {
  action: { kind: 'list' } | { kind: 'remove'; instanceId: string } | { kind: 'pin'; target: string };
  file?: string;
  region?: string;
  profile?: string;
}

export function parseKnownHostsArgs(argv: string[], io: Io): KnownHostsOptions | 'help-shown' {
  const program = new Command('eic-ssh known-hosts')
    .description('List, remove or re-pin the host keys eic-ssh has recorded, by instance id')
    .usage('[--list | --remove <instance-id> | --pin <target>] [--file <path>]')
    .option('--list', 'list every recorded host key (the default)')
    .option('--remove <instance-id>', 'forget the host keys of an instance')
    .option('--pin <target>', "replace an instance's host keys with those its console output shows (GetConsoleOutput)")
    .option('--region <region>', 'AWS region (for --pin)')
    .option('--profile <name>', 'AWS profile (for --pin)')
    .option('--file <path>', 'known-hosts file (default: $EIC_SSH_KNOWN_HOSTS or ~/.eic-ssh/known_hosts)');
  const o = parseWithCommander<{ list?: boolean; remove?: string; pin?: string; file?: string; region?: string; profile?: string }>(
    program,
    argv,
    io,
    'known-hosts',
  );
  if (o === 'help-shown') return o;
  if ([o.list, o.remove, o.pin].filter((x) => x !== undefined).length > 1) {
    throw new UsageError('known-hosts: choose one of --list, --remove and --pin', 'see eic-ssh known-hosts --help');
  }
  const action: KnownHostsOptions['action'] = o.remove
    ? { kind: 'remove', instanceId: o.remove }
    : o.pin
      ? { kind: 'pin', target: o.pin }
      : { kind: 'list' };
  return { action, file: o.file, region: o.region, profile: o.profile };
}

export async function knownHostsCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  const options = parseKnownHostsArgs(argv, io);
  if (options === 'help-shown') return 0;
  const file = new KnownHostsFile(knownHostsPath({ userKnownHostsFile: options.file }, io.env, deps.homeDir));
  if (options.action.kind === 'pin') {
    const aws = await deps.createAws({ region: options.region, profile: options.profile, env: io.env });
    const instance = await resolveTarget(aws, options.action.target);
    const pin = await pinFromConsole(aws, instance.instanceId, file);
    if (pin.kind === 'no-console-keys') {
      throw new EicError('HOST_KEY_UNKNOWN', `the console output of ${instance.instanceId} shows no SSH host keys`, {
        hint: 'cloud-init prints them at first boot (emit_keys_to_console); without them, connect once to trust the first key (by instance id)',
      });
    }
    io.stderr.write(
      `${pin.changed ? 'Pinned' : 'Already pinned:'} ${String(pin.keyLines.length)} host key${pin.keyLines.length === 1 ? '' : 's'} of ${instance.instanceId} in ${file.path}\n`,
    );
    return 0;
  }
  if (options.action.kind === 'remove') {
    const removed = await file.remove(options.action.instanceId);
    if (removed === 0) {
      throw new UsageError(`known-hosts: no host key is recorded for ${options.action.instanceId} in ${file.path}`, 'list them with: eic-ssh known-hosts');
    }
    io.stderr.write(`Removed ${removed} host key${removed === 1 ? '' : 's'} of ${options.action.instanceId} from ${file.path}\n`);
    return 0;
  }
  for (const entry of await file.list()) {
    const blob = Buffer.from(entry.keyLine.split(' ')[1], 'base64');
    io.stdout.write(`${entry.hosts.join(',')}\t${entry.type}\t${fingerprintOfPublicKey(blob)}\n`);
  }
  return 0;
}
