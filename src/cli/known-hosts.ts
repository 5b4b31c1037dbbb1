// `eic-ssh known-hosts`: lists the host keys eic-ssh has recorded (by instance id),
// or removes an instance's entries after a legitimate host-key change (the command
// the changed-key warning points to).
import { Command } from 'commander';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { fingerprintOfPublicKey } from '../ssh/key.js';
import { KnownHostsFile } from '../ssh/known-hosts.js';
import { parseWithCommander } from './commander-parse.js';
import { knownHostsPath } from './connect-instance.js';

export interface KnownHostsOptions {
  action: { kind: 'list' } | { kind: 'remove'; instanceId: string };
  file?: string;
}

export function parseKnownHostsArgs(argv: string[], io: Io): KnownHostsOptions | 'help-shown' {
  const program = new Command('eic-ssh known-hosts')
    .description('List or remove the host keys eic-ssh has recorded, by instance id')
    .usage('[--list | --remove <instance-id>] [--file <path>]')
    .option('--list', 'list every recorded host key (the default)')
    .option('--remove <instance-id>', 'forget the host keys of an instance')
    .option('--file <path>', 'known-hosts file (default: $EIC_SSH_KNOWN_HOSTS or ~/.eic-ssh/known_hosts)');
  const o = parseWithCommander<{ list?: boolean; remove?: string; file?: string }>(program, argv, io, 'known-hosts');
  if (o === 'help-shown') return o;
  if (o.list && o.remove) throw new UsageError('known-hosts: choose one of --list and --remove', 'see eic-ssh known-hosts --help');
  return { action: o.remove ? { kind: 'remove', instanceId: o.remove } : { kind: 'list' }, file: o.file };
}

export async function knownHostsCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  const options = parseKnownHostsArgs(argv, io);
  if (options === 'help-shown') return 0;
  const file = new KnownHostsFile(knownHostsPath({ userKnownHostsFile: options.file }, io.env, deps.homeDir));
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
