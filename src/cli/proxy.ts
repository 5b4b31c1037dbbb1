// `eic-ssh proxy %r@%h:%p` (or `%h %p %r`): an OpenSSH ProxyCommand. It resolves the
// target, pushes the OpenSSH client's own public key (push-key.ts), opens a route,
// and then relays raw bytes: stdin → instance, instance → stdout. ssh(1) speaks SSH
// over our stdin/stdout (ssh_config(5) ProxyCommand: "the command should read from
// its standard input and write to its standard output"), so stdout carries ONLY
// tunnel bytes, ever; every message goes to stderr. Host keys are OpenSSH's to check.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { findPushKey } from './push-key.js';
import { reachInstance } from './reach-instance.js';
import { parsePort, parseSshArgs } from './ssh-args.js';
import { verbose } from './verbose.js';

export const PROXY_USAGE = 'usage: eic-ssh proxy [--push-key <file.pub>] [--via <route>] [-v] {<user>@<host>:<port> | <host> <port> <user>}';

export interface ProxyOptions {
  target: string;
  user?: string;
  port?: number;
  pushKeyFile?: string;
  via: ReturnType<typeof parseSshArgs>['via'];
  verbosity: number;
  connectTimeoutSeconds?: number;
  profile?: string;
  region?: string;
}

// Parses the proxy's argv with the ssh grammar (so --via, --profile, --region, -v,
// -o ConnectTimeout mean what they mean for `eic-ssh`), plus --push-key.
export function parseProxyArgs(argv: string[]): ProxyOptions {
  const rest: string[] = [];
  let pushKeyFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--push-key' || arg.startsWith('--push-key=')) {
      pushKeyFile = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!pushKeyFile) throw new UsageError('option --push-key needs a value', PROXY_USAGE);
      continue;
    }
    rest.push(arg);
  }
  const parsed = parseSshArgs(rest);
  if (!parsed.target) throw new UsageError('proxy: no target given', PROXY_USAGE);
  if (parsed.identityFile) {
    throw new UsageError('proxy: -i does not apply: ssh authenticates itself', 'name the public key to push with --push-key FILE.pub');
  }
  const forwards = parsed.localForwards.length + parsed.remoteForwards.length + parsed.dynamicForwards.length;
  if (forwards > 0 || parsed.noCommand || parsed.configFile || parsed.compression) {
    throw new UsageError('proxy: -L, -R, -D, -N, -C and -F do not apply: ssh does those itself', 'give them to ssh, which runs the proxy');
  }
  let { target } = parsed;
  let port = parsed.port;
  let user = parsed.user;
  if (parsed.command.length === 2) {
    // `%h %p %r`
    port = parsePort(parsed.command[0], 'proxy port');
    user ??= parsed.command[1] || undefined;
  } else if (parsed.command.length !== 0) {
    throw new UsageError(`proxy: unexpected arguments: ${parsed.command.join(' ')}`, PROXY_USAGE);
  } else {
    // `%h:%p` (a bare IPv6 address has several colons and no port)
    const match = /^([^:]+):(\d+)$/.exec(target);
    if (match) {
      target = match[1];
      port = parsePort(match[2], 'proxy port');
    }
  }
  return {
    target,
    user,
    port,
    pushKeyFile,
    via: parsed.via,
    verbosity: parsed.verbosity,
    connectTimeoutSeconds: parsed.connectTimeoutSeconds,
    profile: parsed.profile,
    region: parsed.region,
  };
}

export async function proxyCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    io.stdout.write(`${PROXY_USAGE.replace('usage: ', 'Usage: ')}\n\nAn OpenSSH ProxyCommand: pushes your OpenSSH public key (--push-key, else the first\nEd25519/RSA key of ssh-agent, else ~/.ssh/id_ed25519.pub or id_rsa.pub) and relays the\nSSH connection over stdin/stdout. See eic-ssh config.\n`);
    return 0;
  }
  const options = parseProxyArgs(argv);
  const v = verbose(io, options.verbosity, deps.now);
  const key = await v.phase(
    'key',
    () => findPushKey({ pushKeyFile: options.pushKeyFile, env: io.env, homeDir: deps.homeDir, log: (l) => v.log(l) }),
    (k) => `${k.fingerprint} from ${k.source}`,
  );
  const reached = await reachInstance(options, key.publicLine, io, deps, v);
  const opened = await reached.open();
  await relay(opened.sock, io.stdin, io.stdout, reached.instance.instanceId);
  v.log('tunnel closed');
  return 0;
}

// Pipes both ways with back-pressure (pipe() pauses the source while the sink is
// full). Our stdin's EOF half-closes the route (ssh's own end of the session);
// the route's EOF or close ends the relay.
export function relay(sock: Duplex, stdin: Readable, stdout: Writable, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: EicError) => {
      if (done) return;
      done = true;
      stdin.unpipe(sock);
      stdin.pause();
      sock.unpipe(stdout);
      sock.destroy();
      if (error) reject(error);
      else resolve();
    };
    sock.once('error', (error: NodeJS.ErrnoException) =>
      finish(new EicError('CONNECT', `connection to ${host} lost: ${error.code ?? error.message}`, { cause: error })),
    );
    // ssh went away (EPIPE): nothing left to carry.
    stdout.once('error', () => finish());
    sock.once('end', () => {
      // Everything read has been handed to stdout; wait for it to drain, then stop.
      if (stdout.writableNeedDrain) stdout.once('drain', () => finish());
      else finish();
    });
    sock.once('close', () => finish());
    sock.pipe(stdout, { end: false });
    stdin.pipe(sock);
  });
}
