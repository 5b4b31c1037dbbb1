// `eic-ssh tunnel TARGET`: a bare EC2 Instance Connect Endpoint tunnel to port 22 (or
// 3389), like `aws ec2-instance-connect open-tunnel` (eice.md §7.1). It pushes no key:
// it only carries bytes. Without --local-port it bridges stdin/stdout (a ProxyCommand)
// and refuses a terminal on stdin; with --local-port it listens (on --bind, default
// 127.0.0.1) and opens one freshly signed websocket per accepted TCP connection, up
// to --max-connections at once.
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolveTarget } from '../aws/resolve-target.js';
import { findEndpoint } from '../aws/eice-endpoint.js';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { checkEicePort, openEiceTunnel } from '../tunnel/eice.js';
import { parsePort } from './ssh-args.js';
import { verbose } from './verbose.js';

export const TUNNEL_USAGE =
  'usage: eic-ssh tunnel [--remote-port {22 | 3389}] [--local-port <port> [--bind <address>] [--max-connections <n>]] [--eice-id <id>] [--max-tunnel-duration <s>] [--profile <p>] [--region <r>] [-v] [-q] <target>';

export interface TunnelOptions {
  target: string;
  remotePort: number;
  localPort?: number;
  bind: string;
  maxConnections: number;
  eiceId?: string;
  maxTunnelDuration?: number;
  profile?: string;
  region?: string;
  verbosity: number;
  quiet: boolean;
}

const VALUE_OPTIONS = new Set(['remote-port', 'local-port', 'bind', 'max-connections', 'eice-id', 'max-tunnel-duration', 'profile', 'region']);

export function parseTunnelArgs(argv: string[]): TunnelOptions {
  const options: Partial<TunnelOptions> & { bind: string; maxConnections: number; remotePort: number; verbosity: number; quiet: boolean } = {
    bind: '127.0.0.1',
    maxConnections: 10, // aws-cli's --max-websocket-connections default
    remotePort: 22,
    verbosity: 0,
    quiet: false,
  };
  let bindGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (/^-v+$/.test(arg)) {
      options.verbosity += arg.length - 1;
      continue;
    }
    if (arg === '-q') {
      options.quiet = true;
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (!VALUE_OPTIONS.has(name)) throw new UsageError(`tunnel: unknown option --${name}`, TUNNEL_USAGE);
      const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`tunnel: option --${name} needs a value`, TUNNEL_USAGE);
      if (name === 'remote-port') options.remotePort = parsePort(value, '--remote-port');
      // 0 = any free port (the listening line says which).
      if (name === 'local-port') options.localPort = value === '0' ? 0 : parsePort(value, '--local-port');
      if (name === 'bind') {
        options.bind = value;
        bindGiven = true;
      }
      if (name === 'max-connections') options.maxConnections = count(value);
      if (name === 'eice-id') {
        if (!/^eice-[0-9a-zA-Z_]+$/.test(value)) throw new UsageError(`--eice-id: '${value}' is not an endpoint id`, 'for example: --eice-id eice-0123456789abcdef0');
        options.eiceId = value;
      }
      if (name === 'max-tunnel-duration') {
        const seconds = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
        if (!(seconds >= 1 && seconds <= 3600)) throw new UsageError(`--max-tunnel-duration must be 1 to 3600 seconds, not '${value}'`, 'the service closes any tunnel after one hour');
        options.maxTunnelDuration = seconds;
      }
      if (name === 'profile') options.profile = value;
      if (name === 'region') options.region = value;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') throw new UsageError(`tunnel: unknown option ${arg}`, TUNNEL_USAGE);
    if (options.target !== undefined) throw new UsageError(`tunnel: unexpected argument '${arg}'`, TUNNEL_USAGE);
    options.target = arg;
  }
  if (options.target === undefined) throw new UsageError('tunnel: no target given', TUNNEL_USAGE);
  if (bindGiven && options.localPort === undefined) throw new UsageError('tunnel: --bind needs --local-port', TUNNEL_USAGE);
  // Refused before any AWS call (eice.md §8).
  checkEicePort(options.remotePort);
  return options as TunnelOptions;
}

function count(value: string): number {
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 1000)) throw new UsageError(`--max-connections must be 1 to 1000, not '${value}'`, TUNNEL_USAGE);
  return n;
}

export async function tunnelCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  const options = parseTunnelArgs(argv);
  if (options.localPort === undefined && io.stdinIsTTY) {
    throw new UsageError('tunnel: this command does not support interactive mode: stdin is a terminal', 'use it as an ssh ProxyCommand, or pass --local-port <port> to listen');
  }
  const v = verbose(io, options.verbosity, deps.now);
  const aws = await deps.createAws({ region: options.region, profile: options.profile, env: io.env, debug: v.level >= 3 ? (l) => v.log(l, 3) : undefined });
  const instance = await v.phase('resolve', () => resolveTarget(aws, options.target), (i) => `${i.instanceId} ${i.state}`);
  if (instance.state !== 'running') throw new EicError('INSTANCE_STATE', `${instance.instanceId} is ${instance.state}, not running`, { hint: 'start it first' });
  const endpoint = await v.phase('endpoint', () => findEndpoint(aws, { instance, endpointId: options.eiceId, env: io.env }), (e) => e.endpointId);
  const open = () =>
    openEiceTunnel({
      instance,
      endpoint,
      remotePort: options.remotePort,
      aws,
      env: io.env,
      now: deps.now,
      maxTunnelDuration: options.maxTunnelDuration,
      connectTimeoutMs: 20_000,
      log: (l) => v.log(l),
      warn: options.quiet ? undefined : (l) => io.stderr.write(`eic-ssh: ${l}\n`),
    });
  if (options.localPort === undefined) return stdioTunnel(io, (await open()).sock);
  return listen(options, io, open);
}

// ProxyCommand mode: stdout carries tunnel bytes only; local EOF ends the tunnel (CLOSE 1000).
function stdioTunnel(io: Io, sock: Duplex): Promise<number> {
  return new Promise((resolve, reject) => {
    io.stdin.pipe(sock);
    sock.pipe(io.stdout, { end: false });
    sock.once('end', () => resolve(0));
    sock.once('error', (error) => {
      io.stdin.unpipe(sock);
      reject(error);
    });
  });
}

async function listen(options: TunnelOptions, io: Io, open: () => Promise<{ sock: Duplex }>): Promise<number> {
  const say = (line: string) => {
    if (!options.quiet) io.stderr.write(`${line}\n`);
  };
  const active = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    const n = ++accepted;
    if (active.size >= options.maxConnections) {
      say(`Max websocket connections ${options.maxConnections} have been reached, closing incoming connection.`);
      socket.destroy();
      return;
    }
    active.add(socket);
    say(`[${n}] Accepted new tcp connection, opening websocket tunnel.`);
    socket.on('error', () => socket.destroy());
    socket.pause();
    open().then(
      ({ sock }) => {
        socket.pipe(sock);
        sock.pipe(socket);
        sock.on('error', (error) => {
          say(`[${n}] ${error instanceof Error ? error.message : String(error)}`);
          socket.destroy();
        });
        socket.on('close', () => sock.destroy());
        socket.resume();
      },
      (error: unknown) => {
        say(`[${n}] could not open the tunnel: ${error instanceof Error ? error.message : String(error)}`);
        socket.destroy();
      },
    );
    socket.once('close', () => {
      active.delete(socket);
      say(`[${n}] Closing tcp connection.`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new EicError('LOCAL_IO', `cannot listen on ${options.bind} port ${options.localPort}: ${error.code ?? error.message}`, { hint: 'choose another --local-port', cause: error })),
    );
    server.listen(options.localPort, options.bind, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.localPort;
  say(`Listening for connections on ${options.bind} port ${port}.`);
  await new Promise<void>((resolve) => {
    const stop = io.onSignal(() => {
      stop();
      resolve();
    });
  });
  for (const socket of active) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return 0;
}
