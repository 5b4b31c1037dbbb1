// `-o Key=Value` for the ssh_config(5) options users pass most. Keywords are
// case-insensitive and take `Key=Value` or `Key Value`, as in ssh. Any other keyword
// is an error that lists what is supported: silently ignoring an option could make a
// script believe it got a behaviour (say, strict host-key checking) that it did not.
import { UsageError } from '../errors.js';
import { parseDuration } from '../mux/paths.js';

export type StrictHostKeyChecking = 'yes' | 'accept-new' | 'no';

export interface SshConfigOptions {
  user?: string;
  port?: number;
  identityFile?: string;
  strictHostKeyChecking: StrictHostKeyChecking;
  userKnownHostsFile?: string;
  connectTimeoutSeconds?: number;
  serverAliveIntervalSeconds?: number;
  serverAliveCountMax?: number;
  requestTty: 'auto' | 'force' | 'force-always' | 'disable';
  // Connection reuse (mux-session.ts): undefined = the environment's or config's default
  // (on); from --reuse/--no-reuse/--persist, ControlMaster, ControlPersist, ControlPath.
  reuse?: boolean;
  persistMs?: number;
}

// ControlPersist yes (or 0) means "forever" to ssh; our masters live at most 7 days.
const PERSIST_FOREVER = 7 * 24 * 3_600_000;

type Setter = (options: SshConfigOptions, value: string, keyword: string) => void;

const SETTERS: Record<string, Setter> = {
  stricthostkeychecking: (o, v, k) => {
    const map: Record<string, StrictHostKeyChecking> = {
      yes: 'yes',
      true: 'yes',
      // We never prompt mid-connection: 'ask' refuses unknown keys like 'yes'.
      ask: 'yes',
      'accept-new': 'accept-new',
      no: 'no',
      off: 'no',
      false: 'no',
    };
    const mode = map[v.toLowerCase()];
    if (!mode) throw badValue(k, v, 'yes, accept-new or no');
    o.strictHostKeyChecking = mode;
  },
  userknownhostsfile: (o, v) => {
    o.userKnownHostsFile = v.split(/\s+/)[0];
  },
  connecttimeout: (o, v, k) => {
    o.connectTimeoutSeconds = positiveInteger(k, v);
  },
  serveraliveinterval: (o, v, k) => {
    o.serverAliveIntervalSeconds = nonNegativeInteger(k, v);
  },
  serveralivecountmax: (o, v, k) => {
    o.serverAliveCountMax = nonNegativeInteger(k, v);
  },
  user: (o, v) => {
    o.user ??= v;
  },
  port: (o, v, k) => {
    const port = positiveInteger(k, v);
    if (port > 65535) throw badValue(k, v, 'a port from 1 to 65535');
    o.port ??= port;
  },
  identityfile: (o, v) => {
    o.identityFile ??= v;
  },
  // Connection reuse in ssh's words (ssh_config(5)). eic-ssh keeps its masters in its own
  // private directory, so a ControlPath other than none needs no action. ControlMaster no
  // and ControlPersist no both mean "no master to come back to": reuse off.
  controlmaster: (o, v, k) => {
    const map: Record<string, boolean> = { yes: true, auto: true, ask: true, autoask: true, no: false };
    const reuse = map[v.toLowerCase()];
    if (reuse === undefined) throw badValue(k, v, 'yes, auto, ask, autoask or no');
    o.reuse = reuse;
  },
  controlpersist: (o, v, k) => {
    const value = v.toLowerCase();
    if (value === 'no') o.reuse = false;
    else o.persistMs = value === 'yes' || value === '0' ? PERSIST_FOREVER : parseDuration(v, `-o ${k}`);
  },
  controlpath: (o, v) => {
    if (v.toLowerCase() === 'none') o.reuse = false;
  },
  requesttty: (o, v, k) => {
    const map: Record<string, SshConfigOptions['requestTty']> = { auto: 'auto', yes: 'force', force: 'force-always', no: 'disable' };
    const mode = map[v.toLowerCase()];
    if (!mode) throw badValue(k, v, 'auto, yes, force or no');
    o.requestTty = mode;
  },
};

export const SUPPORTED_SSH_OPTIONS = [
  'StrictHostKeyChecking',
  'UserKnownHostsFile',
  'ConnectTimeout',
  'ServerAliveInterval',
  'ServerAliveCountMax',
  'User',
  'Port',
  'IdentityFile',
  'RequestTTY',
  'ControlMaster',
  'ControlPersist',
  'ControlPath',
];

export function applySshOption(options: SshConfigOptions, text: string): void {
  const match = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*?)\s*$/.exec(text);
  if (!match || match[2] === '') {
    throw new UsageError(`-o '${text}' is not Key=Value`, 'for example: -o StrictHostKeyChecking=yes');
  }
  const [, keyword, value] = match;
  const setter = SETTERS[keyword.toLowerCase()];
  if (!setter) {
    throw new UsageError(`-o ${keyword} is not supported by eic-ssh`, `supported: ${SUPPORTED_SSH_OPTIONS.join(', ')}`);
  }
  setter(options, unquote(value), keyword);
}

function unquote(value: string): string {
  return /^".*"$/.test(value) ? value.slice(1, -1) : value;
}

function positiveInteger(keyword: string, value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1)) throw badValue(keyword, value, 'a whole number of at least 1');
  return n;
}

function nonNegativeInteger(keyword: string, value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0)) throw badValue(keyword, value, 'a whole number');
  return n;
}

function badValue(keyword: string, value: string, expected: string): UsageError {
  return new UsageError(`-o ${keyword}: bad value '${value}'`, `expected ${expected}`);
}
