// Parses `eic-scp [options] SRC... DST` (also `eic-ssh cp ...`) with scp(1)'s grammar:
// getopt-style short flags, bundled (-rp) or with values attached or apart (-P22,
// -P 22, -oKey=value), all before the first operand (scp stops at the first operand,
// so a file named '-x' after it is a file); `--` ends options. scp's -P is the port
// (-p preserves times); -l is a bandwidth limit in scp, which we do not implement.
// Every flag we do not implement is an error, never silently ignored. Pure.
import { UsageError } from '../errors.js';
import type { RouteName, Via } from '../tunnel/route.js';
import { planOperands, type Operand } from '../copy/operands.js';
import { parseKeyType, parsePort, splitLong, type KeyType } from './ssh-args.js';
import { applySshOption, type SshConfigOptions } from './ssh-options.js';

export interface CopyOptions extends SshConfigOptions {
  sources: Operand[];
  destination: Operand;
  recursive: boolean;
  preserve: boolean;
  quiet: boolean;
  verbosity: number;
  identityFile?: string;
  via: Via;
  keyType: KeyType;
  profile?: string;
  region?: string;
  // --audit FILE: one JSON line per connection (audit.ts); undefined = the config default.
  audit?: string;
  // --no-reuse: never copy through a live connection-reuse master (mux-session.ts).
  reuse?: boolean;
}

// scp flags without a value that we implement. -3 (relay remote→remote through here)
// is what eic-scp always does; -B (batch: never prompt) is how eic-scp always runs;
// -s (use SFTP) is the only protocol eic-scp speaks; -T (skip scp's filename checks)
// has nothing to skip over SFTP. They are accepted so that scp command lines work.
const BOOLEAN_FLAGS = new Set(['r', 'p', 'q', 'v', '3', 'B', 's', 'T']);
const VALUE_FLAGS = new Set(['P', 'i', 'o']);
// scp flags we know but do not implement: a clear error, not "unknown".
const UNSUPPORTED: Record<string, string> = {
  l: 'bandwidth limits (-l) are not supported by eic-scp',
  C: 'compression (-C) is not supported by eic-scp',
  O: 'the legacy scp protocol (-O) is not supported: eic-scp always uses SFTP',
  R: 'remote-to-remote copy without the local relay (-R) is not supported: eic-scp relays through this machine',
  J: 'jump hosts (-J) are not supported: eic-scp reaches instances through its own routes (--via)',
  F: 'ssh config files (-F) are not supported by eic-scp; pass -o options instead',
  S: 'another ssh program (-S) cannot be used: eic-scp speaks SSH itself',
  D: 'another sftp-server (-D) is not supported by eic-scp',
  c: 'choosing ciphers (-c) is not supported by eic-scp',
  A: 'agent forwarding (-A) is not supported by eic-scp',
  X: 'SFTP extension options (-X) are not supported by eic-scp',
  '4': 'forcing IPv4 (-4) is not supported by eic-scp',
  '6': 'IPv6 (-6) is not supported by eic-scp',
};
const LONG_VALUE_OPTIONS = new Set(['via', 'key-type', 'profile', 'region', 'audit']);
const ROUTES: ReadonlySet<string> = new Set<RouteName | 'auto'>(['auto', 'direct', 'eice', 'ssm']);

export function parseCopyArgs(argv: string[]): CopyOptions {
  const options: Omit<CopyOptions, 'sources' | 'destination'> = {
    recursive: false,
    preserve: false,
    quiet: false,
    verbosity: 0,
    via: 'auto',
    keyType: 'ed25519',
    strictHostKeyChecking: 'accept-new',
    requestTty: 'disable',
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const [name, attached] = splitLong(arg.slice(2));
      if (name === 'no-reuse' && attached === undefined) {
        options.reuse = false;
        continue;
      }
      if (!LONG_VALUE_OPTIONS.has(name)) throw new UsageError(`unknown option --${name}`, 'see eic-scp --help');
      const value = attached ?? argv[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`, 'see eic-scp --help');
      applyLong(options, name, value);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      i = parseShortBundle(argv, i, options);
      continue;
    }
    break; // the first operand ends the options, as in scp
  }
  return { ...options, ...planOperands(argv.slice(i)) };
}

function parseShortBundle(argv: string[], index: number, options: Omit<CopyOptions, 'sources' | 'destination'>): number {
  const arg = argv[index];
  for (let k = 1; k < arg.length; k++) {
    const flag = arg[k];
    if (BOOLEAN_FLAGS.has(flag)) {
      if (flag === 'r') options.recursive = true;
      if (flag === 'p') options.preserve = true;
      if (flag === 'q') options.quiet = true;
      if (flag === 'v') options.verbosity++;
      continue;
    }
    if (VALUE_FLAGS.has(flag)) {
      const attached = arg.slice(k + 1);
      const value = attached !== '' ? attached : argv[++index];
      if (value === undefined) throw new UsageError(`option -${flag} needs a value`, 'see eic-scp --help');
      if (flag === 'P') options.port = parsePort(value, '-P');
      if (flag === 'i') options.identityFile = value;
      if (flag === 'o') applySshOption(options, value);
      return index;
    }
    if (UNSUPPORTED[flag]) throw new UsageError(UNSUPPORTED[flag], 'see eic-scp --help for the supported options');
    throw new UsageError(`unknown option -${flag}`, 'see eic-scp --help');
  }
  return index;
}

function applyLong(options: Omit<CopyOptions, 'sources' | 'destination'>, name: string, value: string): void {
  switch (name) {
    case 'via':
      if (!ROUTES.has(value)) throw new UsageError(`--via must be auto, direct, eice or ssm, not '${value}'`, 'see eic-scp --help');
      options.via = value as Via;
      return;
    case 'key-type':
      options.keyType = parseKeyType(value);
      return;
    case 'profile':
      options.profile = value;
      return;
    case 'region':
      options.region = value;
      return;
    case 'audit':
      if (value === '') throw new UsageError('--audit needs a file', 'for example: --audit ~/.eic-ssh/audit.jsonl');
      options.audit = value;
      return;
  }
}
