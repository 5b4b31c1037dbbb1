// Parses `eic-ssh [options] [user@]TARGET [COMMAND...]` with ssh(1)'s grammar:
// short flags may be bundled (-vvv, -tt, -qT) and take values attached or apart
// (-p22, -p 22, -oKey=value); options may follow TARGET, and the first word after
// TARGET that is not an option starts COMMAND; `--` ends options. We support a
// deliberate subset of ssh's flags, and every other flag is an error, never ignored.
import { UsageError } from '../errors.js';
import { applySshOption, type SshConfigOptions } from './ssh-options.js';
import type { Via } from '../tunnel/route.js';
import { applyForwardFlag, type ForwardingOptions } from './forward-args.js';
import type { HostKeySource } from './host-key-pin.js';
import type { Ec2Filter } from '../aws/aws.js';
import { parseFilterOption } from '../aws/selector.js';
import { parseDuration } from '../mux/paths.js';

export type KeyType = 'ed25519' | 'rsa-2048' | 'rsa-4096';

export interface SshOptions extends SshConfigOptions, ForwardingOptions {
  target?: string;
  command: string[];
  identityFile?: string;
  via: Via;
  keyType: KeyType;
  // ssh's -t count: 0 = decide from the terminal, 1 = -t, 2 = -tt; -T sets 'disable'.
  requestTty: 'auto' | 'force' | 'force-always' | 'disable';
  verbosity: number;
  quiet: boolean;
  escapeChar: string | null;
  profile?: string;
  region?: string;
  // EICE (--via eice / auto): endpoint to use, and maxTunnelDuration to ask for.
  eiceId?: string;
  maxTunnelDuration?: number;
  // --host-key-source and --audit (host-key-pin.ts, audit.ts); undefined = config default.
  hostKeySource?: HostKeySource;
  audit?: string;
  // --filter Name=…,Values=… (repeatable): EC2 filters ANDed with TARGET (selector.ts).
  filters?: Ec2Filter[];
  // Connection reuse (cli/mux-session.ts): reuse and persistMs come from SshConfigOptions,
  // set here by --reuse / --no-reuse and --persist TIME (which implies --reuse).
  // -O check|exit: ask this target's reuse master (mux-session.ts controlRequest).
  controlCommand?: 'check' | 'exit';
}

// ssh flags that take no value and that we implement.
const BOOLEAN_FLAGS = new Set(['t', 'T', 'v', 'q', 'N', 'C', 'f']);
// ssh flags that take a value and that we implement.
const VALUE_FLAGS = new Set(['l', 'p', 'i', 'o', 'e', 'L', 'R', 'D', 'F', 'S', 'O']);
// ssh flags we know but do not implement (yet): a clear error, not "unknown".
// (-N -C -f -L -R -D -F are implemented: forward-args.ts, background.ts.)
const UNSUPPORTED_FLAGS = new Set('46AaGgKkMnsXxYyBbcEIJmPQWw'.split(''));

const LONG_VALUE_OPTIONS = new Set(['via', 'key-type', 'profile', 'region', 'eice-id', 'max-tunnel-duration', 'filter', 'host-key-source', 'audit']);

export function parseSshArgs(argv: string[]): SshOptions {
  const options: SshOptions = {
    command: [],
    via: 'auto',
    keyType: 'ed25519',
    requestTty: 'auto',
    verbosity: 0,
    quiet: false,
    escapeChar: '~',
    strictHostKeyChecking: 'accept-new',
    localForwards: [],
    remoteForwards: [],
    dynamicForwards: [],
    noCommand: false,
    compression: false,
    background: false,
    commandLineOptions: [],
  };
  let ttyCount = 0;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const [name, attached] = splitLong(arg.slice(2));
      if ((name === 'reuse' || name === 'no-reuse') && attached === undefined) {
        options.reuse = name === 'reuse';
        continue;
      }
      if (name === 'persist') {
        const value = attached ?? argv[++i];
        if (value === undefined) throw new UsageError('option --persist needs a value', 'for example: --persist 10m');
        options.persistMs = parseDuration(value, '--persist');
        continue;
      }
      if (!LONG_VALUE_OPTIONS.has(name)) throw new UsageError(`unknown option --${name}`, 'see eic-ssh --help');
      const value = attached ?? argv[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`, 'see eic-ssh --help');
      applyLong(options, name, value);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      i = parseShortBundle(argv, i, options, () => ttyCount++);
      continue;
    }
    if (options.target === undefined) {
      setTarget(options, arg);
      continue;
    }
    break; // the first word after TARGET that is not an option starts COMMAND
  }
  if (options.target === undefined && i < argv.length) setTarget(options, argv[i++]);
  options.command = argv.slice(i);
  if (options.requestTty !== 'disable' && ttyCount > 0) options.requestTty = ttyCount > 1 ? 'force-always' : 'force';
  return options;
}

function parseShortBundle(argv: string[], index: number, options: SshOptions, countTty: () => void): number {
  const arg = argv[index];
  for (let k = 1; k < arg.length; k++) {
    const flag = arg[k];
    if (BOOLEAN_FLAGS.has(flag)) {
      if (flag === 't') countTty();
      if (flag === 'T') options.requestTty = 'disable';
      if (flag === 'v') options.verbosity++;
      if (flag === 'q') options.quiet = true;
      if (flag === 'N') options.noCommand = true;
      if (flag === 'C') options.compression = true;
      if (flag === 'f') options.background = true;
      continue;
    }
    if (VALUE_FLAGS.has(flag)) {
      const attached = arg.slice(k + 1);
      const value = attached !== '' ? attached : argv[++index];
      if (value === undefined) throw new UsageError(`option -${flag} needs a value`, 'see eic-ssh --help');
      applyShort(options, flag, value);
      return index;
    }
    if (flag === 'V') throw new UsageError('-V is not an eic-ssh option', 'use --version to print the version');
    if (UNSUPPORTED_FLAGS.has(flag)) {
      throw new UsageError(`ssh option -${flag} is not supported by eic-ssh`, 'see eic-ssh --help for the supported ssh options');
    }
    throw new UsageError(`unknown option -${flag}`, 'see eic-ssh --help');
  }
  return index;
}

function applyShort(options: SshOptions, flag: string, value: string): void {
  switch (flag) {
    case 'l':
      // ssh(1) keeps the first user it is given, whether by -l or user@host.
      options.user ??= value;
      return;
    case 'p':
      options.port = parsePort(value, '-p');
      return;
    case 'i':
      options.identityFile = value;
      return;
    case 'o':
      applySshOption(options, value);
      options.commandLineOptions.push(value);
      return;
    case 'L':
    case 'R':
    case 'D':
    case 'F':
      applyForwardFlag(options, flag, value);
      return;
    case 'e':
      options.escapeChar = parseEscapeChar(value);
      return;
    case 'S':
      // ssh's ControlPath: none turns reuse off; a path needs nothing (our masters live
      // in eic-ssh's own private directory).
      if (value.toLowerCase() === 'none') options.reuse = false;
      return;
    case 'O': {
      const command = value.toLowerCase();
      if (command !== 'check' && command !== 'exit') {
        throw new UsageError(`-O ${value} is not supported by eic-ssh`, 'eic-ssh supports -O check and -O exit (eic-ssh reuse lists and stops masters)');
      }
      options.controlCommand = command;
      return;
    }
  }
}

function applyLong(options: SshOptions, name: string, value: string): void {
  switch (name) {
    case 'via':
      if (value !== 'auto' && value !== 'direct' && value !== 'eice' && value !== 'ssm') {
        throw new UsageError(`--via must be auto, direct, eice or ssm, not '${value}'`, 'auto tries direct, then EICE, then SSM');
      }
      options.via = value;
      return;
    case 'eice-id':
      // aws-cli's endpointId pattern (eice.md §7.2).
      if (!/^eice-[0-9a-zA-Z_]+$/.test(value)) throw new UsageError(`--eice-id: '${value}' is not an endpoint id`, 'for example: --eice-id eice-0123456789abcdef0');
      options.eiceId = value;
      return;
    case 'max-tunnel-duration': {
      const seconds = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
      if (!(seconds >= 1 && seconds <= 3600)) {
        throw new UsageError(`--max-tunnel-duration must be 1 to 3600 seconds, not '${value}'`, 'the service closes any tunnel after one hour');
      }
      options.maxTunnelDuration = seconds;
      return;
    }
    case 'key-type':
      options.keyType = parseKeyType(value);
      return;
    case 'host-key-source':
      if (value !== 'console' && value !== 'tofu') {
        throw new UsageError(`--host-key-source must be console or tofu, not '${value}'`, 'console pins the keys the instance printed to its console');
      }
      options.hostKeySource = value;
      return;
    case 'audit':
      if (value === '') throw new UsageError('--audit needs a file', 'for example: --audit ~/.eic-ssh/audit.jsonl');
      options.audit = value;
      return;
    case 'profile':
      options.profile = value;
      return;
    case 'region':
      options.region = value;
      return;
    case 'filter':
      (options.filters ??= []).push(parseFilterOption(value));
      return;
  }
}

export function parsePort(value: string, what: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`${what}: '${value}' is not a port number`, 'use a number from 1 to 65535');
  return port;
}

export function parseKeyType(value: string): KeyType {
  const normalized = value.toLowerCase();
  if (normalized === 'ed25519') return 'ed25519';
  if (normalized === 'rsa' || normalized === 'rsa-2048') return 'rsa-2048';
  if (normalized === 'rsa-4096') return 'rsa-4096';
  throw new UsageError(`--key-type must be ed25519, rsa or rsa-4096, not '${value}'`, 'EC2 Instance Connect accepts Ed25519 and RSA keys');
}

// ssh -e: a single character, '^X' for a control character, or 'none'.
function parseEscapeChar(value: string): string | null {
  if (value === 'none') return null;
  if (value.length === 1) return value;
  if (/^\^[@-_a-z]$/.test(value)) return String.fromCharCode(value[1].toUpperCase().charCodeAt(0) & 0x1f);
  throw new UsageError(`-e: bad escape character '${value}'`, "use a single character, '^X', or 'none'");
}

// `name=value` or `name` (value undefined); shared with eic-scp's parser (cp-args.ts).
export function splitLong(text: string): [string, string | undefined] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

// user@target: the last '@' separates them, so user names may contain '@' as EIC allows.
function setTarget(options: SshOptions, target: string): void {
  const at = target.lastIndexOf('@');
  if (at < 0) {
    options.target = target;
    return;
  }
  const user = target.slice(0, at);
  const host = target.slice(at + 1);
  if (!user || !host) throw new UsageError(`'${target}' is not [user@]target`, 'for example: eic-ssh ec2-user@i-0123456789abcdef0');
  // ssh(1) keeps the first user it is given, whether by -l or user@host.
  options.user ??= user;
  options.target = host;
}
