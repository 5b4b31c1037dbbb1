// Parses ssh(1)'s forwarding specifications: -L [bind_address:]port:host:hostport,
// -R [bind_address:]port:host:hostport and -D [bind_address:]port. IPv6 addresses go
// in square brackets. Without a bind address, listeners bind to loopback only (ssh's
// GatewayPorts=no); an explicit address (or '*' for all) is taken as given.
import { UsageError } from '../errors.js';
import type { DynamicForward, LocalForward, RemoteForward } from '../ssh/forward.js';

// Local listeners: ssh binds "localhost"; we bind 127.0.0.1 so that nothing leaves
// IPv4 loopback unless asked.
export const DEFAULT_LOCAL_BIND = '127.0.0.1';
// Remote listeners: what OpenSSH sends in "tcpip-forward" without a bind address
// (channels.c channel_rfwd_bind_host): sshd then binds the instance's loopback.
export const DEFAULT_REMOTE_BIND = 'localhost';

export function parseLocalForward(spec: string): LocalForward {
  const parts = splitSpec(spec, '-L');
  if (parts.length !== 3 && parts.length !== 4) throw badSpec('-L', spec, '[bind_address:]port:host:hostport');
  const [bind, port, host, hostPort] = withOptionalBind(parts, 4);
  return {
    bindAddress: localBind(bind),
    bindPort: portOf(port, '-L', spec, false),
    host: hostOf(host, '-L', spec),
    hostPort: portOf(hostPort, '-L', spec, false),
  };
}

export function parseRemoteForward(spec: string): RemoteForward {
  const parts = splitSpec(spec, '-R');
  if (parts.length <= 2) {
    throw new UsageError(`-R ${spec}: remote dynamic (SOCKS) forwarding is not supported by eic-ssh`, 'use -R [bind_address:]port:host:hostport');
  }
  if (parts.length !== 3 && parts.length !== 4) throw badSpec('-R', spec, '[bind_address:]port:host:hostport');
  const [bind, port, host, hostPort] = withOptionalBind(parts, 4);
  return {
    bindAddress: bind === undefined ? DEFAULT_REMOTE_BIND : bind === '*' ? '' : bind,
    // Port 0: the server picks one, and eic-ssh prints it (ssh(1) -R).
    bindPort: portOf(port, '-R', spec, true),
    host: hostOf(host, '-R', spec),
    hostPort: portOf(hostPort, '-R', spec, false),
  };
}

export function parseDynamicForward(spec: string): DynamicForward {
  const parts = splitSpec(spec, '-D');
  if (parts.length !== 1 && parts.length !== 2) throw badSpec('-D', spec, '[bind_address:]port');
  const [bind, port] = withOptionalBind(parts, 2);
  return { bindAddress: localBind(bind), bindPort: portOf(port, '-D', spec, false) };
}

// [bind, ...rest] when the spec has all `full` parts, else [undefined, ...parts].
function withOptionalBind(parts: string[], full: number): [string | undefined, ...string[]] & { 1: string; 2: string; 3: string } {
  return (parts.length === full ? parts : [undefined, ...parts]) as [string | undefined, ...string[]] & { 1: string; 2: string; 3: string };
}

// Splits on ':' outside square brackets and removes the brackets.
function splitSpec(spec: string, flag: string): string[] {
  const parts: string[] = [];
  let current = '';
  let inBrackets = false;
  for (const char of spec) {
    if (char === '[' && !inBrackets && current === '') inBrackets = true;
    else if (char === ']' && inBrackets) inBrackets = false;
    else if (char === ':' && !inBrackets) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (inBrackets) throw new UsageError(`${flag} ${spec}: unclosed '['`, 'write IPv6 addresses as [::1]');
  parts.push(current);
  if (parts.some((p) => p.includes('/'))) {
    throw new UsageError(`${flag} ${spec}: Unix socket forwarding is not supported by eic-ssh`, 'forward TCP ports');
  }
  return parts;
}

function localBind(bind: string | undefined): string {
  if (bind === undefined || bind === 'localhost') return DEFAULT_LOCAL_BIND;
  if (bind === '' || bind === '*') return '0.0.0.0';
  return bind;
}

function portOf(text: string, flag: string, spec: string, allowZero: boolean): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) {
    throw new UsageError(`${flag} ${spec}: '${text}' is not a port number`, `use a number from ${allowZero ? 0 : 1} to 65535`);
  }
  return port;
}

function hostOf(text: string, flag: string, spec: string): string {
  if (text === '') throw new UsageError(`${flag} ${spec}: empty host`, 'for example: -L 8080:localhost:80');
  return text;
}

function badSpec(flag: string, spec: string, grammar: string): UsageError {
  return new UsageError(`${flag} '${spec}' is not ${grammar}`, `for example: ${flag === '-D' ? '-D 1080' : `${flag} 8080:localhost:80`}`);
}

// The ssh-args.ts fields this module fills.
export interface ForwardingOptions {
  localForwards: LocalForward[];
  remoteForwards: RemoteForward[];
  dynamicForwards: DynamicForward[];
  // -N: no remote command, forward only.
  noCommand: boolean;
  // -f: go to the background after authentication (background.ts).
  background: boolean;
  // -C: ask for zlib compression.
  compression: boolean;
  // -F: an ssh_config file to read for the target (ssh-config-file.ts).
  configFile?: string;
  // Every -o given, in order, so that -F values never override them (ssh_config(5):
  // the first obtained value wins, and the command line comes first).
  commandLineOptions: string[];
}

export function applyForwardFlag(options: ForwardingOptions, flag: 'L' | 'R' | 'D' | 'F' | string, value: string): void {
  if (flag === 'L') options.localForwards.push(parseLocalForward(value));
  else if (flag === 'R') options.remoteForwards.push(parseRemoteForward(value));
  else if (flag === 'D') options.dynamicForwards.push(parseDynamicForward(value));
  else if (flag === 'F') options.configFile = value; // ssh(1): the last -F counts
}
