// An in-process ssh2 Server on 127.0.0.1 port 0 for component tests of the
// client SSH layer. It accepts one user with one authorized public key, runs a
// handful of scripted commands, and records what clients asked for (auth
// attempts, pty requests, window changes, env), so that tests assert on what
// crossed the wire rather than on timing.
import { EventEmitter, once } from 'node:events';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ParsedKey, ServerChannel, Session } from 'ssh2';
import { generateEphemeralKey } from '../../src/ssh/key.js';

export interface TestSshServerOptions {
  authorizedKey: string; // '<type> <base64>' accepted for publickey auth
  username?: string; // default 'ec2-user'
  hostKeys?: string[]; // private key texts; default: one fresh Ed25519 key
}

export type ServerEvent = 'auth' | 'pty' | 'window-change' | 'env' | 'exec' | 'shell' | 'stdin-eof' | 'disconnect';

export interface TestSshServer {
  port: number;
  hostKeyBlob: Buffer; // the raw public key of the first host key
  hostKeyBlobs: Buffer[]; // all of them, in order
  authAttempts: Array<{ method: string; username: string }>;
  ptys: Array<{ term: string; cols: number; rows: number }>;
  windowChanges: Array<{ cols: number; rows: number }>;
  envs: Array<{ key: string; value: string }>;
  execs: string[];
  // How many times `event` has happened so far ('disconnect': TCP connections closed).
  count(event: ServerEvent): number;
  // Resolves once `event` has happened `count` times in total (at once if it already has).
  waitFor(event: ServerEvent, count?: number): Promise<void>;
  // Cuts every TCP connection without any SSH goodbye.
  dropConnections(): void;
  close(): Promise<void>;
}

// Commands understood by `exec`:
//   exit N        exits with status N
//   echo TEXT     prints TEXT\n, exits 0
//   err TEXT      prints TEXT\n on stderr, exits 0
//   both          prints "to stdout\n" and "to stderr\n" on each stream, exits 7
//   cat           copies stdin to stdout until EOF, exits 0
//   kill SIGNAL   dies of SIGNAL (exit-signal, no exit-status)
//   no-status     closes the channel without any exit status
//   drop          cuts the TCP connection
//   refuse        is refused: the exec request fails
// `shell` echoes its input and exits 0 at EOF or when it reads "exit\r".
export async function startTestSshServer(options: TestSshServerOptions): Promise<TestSshServer> {
  const username = options.username ?? 'ec2-user';
  // From node:crypto via our encoder: ssh2's own Ed25519 generator is malformed ~1 in 256.
  const hostKeys = options.hostKeys ?? [generateEphemeralKey('ed25519').privateKey];
  const hostKeyBlobs = hostKeys.map((k) => parse(k).getPublicSSH());
  const authorized = parse(options.authorizedKey);
  const events = new EventEmitter();
  const counts = new Map<ServerEvent, number>();
  const sockets = new Set<Socket>();
  const record = (event: ServerEvent) => {
    counts.set(event, (counts.get(event) ?? 0) + 1);
    events.emit(event);
  };
  const state = {
    authAttempts: [] as TestSshServer['authAttempts'],
    ptys: [] as TestSshServer['ptys'],
    windowChanges: [] as TestSshServer['windowChanges'],
    envs: [] as TestSshServer['envs'],
    execs: [] as string[],
  };
  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
  };

  const sshServer = new ssh2.Server({ hostKeys }, (connection: Connection) => {
    connection.on('authentication', (ctx: AuthContext) => {
      state.authAttempts.push({ method: ctx.method, username: ctx.username });
      record('auth');
      if (ctx.method !== 'publickey' || ctx.username !== username) return ctx.reject(['publickey']);
      if (!ctx.key.data.equals(authorized.getPublicSSH())) return ctx.reject(['publickey']);
      if (ctx.signature !== undefined && ctx.blob !== undefined) {
        if (authorized.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      }
      ctx.accept();
    });
    connection.on('ready', () => {
      connection.on('session', (accept) => serveSession(accept(), state, record, dropConnections));
    });
    connection.on('error', () => undefined); // a client going away is not a server failure
  });

  const tcp: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      record('disconnect');
    });
    sshServer.injectSocket(socket);
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');

  return {
    port: (tcp.address() as AddressInfo).port,
    hostKeyBlob: hostKeyBlobs[0] ?? Buffer.alloc(0),
    hostKeyBlobs,
    ...state,
    count: (event) => counts.get(event) ?? 0,
    waitFor: async (event, count = 1) => {
      while ((counts.get(event) ?? 0) < count) await once(events, event);
    },
    dropConnections,
    close: async () => {
      dropConnections();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

function serveSession(
  session: Session,
  state: Pick<TestSshServer, 'ptys' | 'windowChanges' | 'envs' | 'execs'>,
  record: (event: ServerEvent) => void,
  dropConnections: () => void,
): void {
  session.on('pty', (accept, _reject, info) => {
    state.ptys.push({ term: info.term, cols: info.cols, rows: info.rows });
    record('pty');
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    state.windowChanges.push({ cols: info.cols, rows: info.rows });
    record('window-change');
    accept?.();
  });
  session.on('env', (accept, _reject, info) => {
    state.envs.push({ key: info.key, value: info.val });
    record('env');
    accept?.();
  });
  session.on('shell', (accept) => {
    const channel = accept();
    record('shell');
    let typed = '';
    channel.on('data', (chunk: Buffer) => {
      channel.write(chunk);
      typed += chunk.toString('latin1');
      if (typed.includes('exit\r')) finish(channel, 0);
    });
    channel.on('end', () => {
      record('stdin-eof');
      finish(channel, 0);
    });
  });
  session.on('exec', (accept, reject, info) => {
    if (info.command === 'refuse') return reject();
    const channel = accept();
    state.execs.push(info.command);
    record('exec');
    runCommand(info.command, channel, record, dropConnections);
  });
}

function runCommand(
  command: string,
  channel: ServerChannel,
  record: (event: ServerEvent) => void,
  dropConnections: () => void,
): void {
  const [name = '', ...rest] = command.split(' ');
  const text = rest.join(' ');
  switch (name) {
    case 'exit':
      return finish(channel, Number(text));
    case 'echo':
      channel.write(`${text}\n`);
      return finish(channel, 0);
    case 'err':
      channel.stderr.write(`${text}\n`);
      return finish(channel, 0);
    case 'both':
      channel.write('to stdout\n');
      channel.stderr.write('to stderr\n');
      return finish(channel, 7);
    case 'cat':
      channel.on('data', (chunk: Buffer) => {
        if (!channel.write(chunk)) {
          channel.pause();
          channel.once('drain', () => channel.resume());
        }
      });
      channel.on('end', () => {
        record('stdin-eof');
        finish(channel, 0);
      });
      return;
    case 'kill':
      channel.exit(text, false, '');
      channel.end();
      return;
    case 'no-status':
      channel.end();
      return;
    case 'drop':
      dropConnections();
      return;
    default:
      channel.stderr.write(`unknown command: ${command}\n`);
      return finish(channel, 127);
  }
}

function finish(channel: ServerChannel, status: number): void {
  channel.exit(status);
  channel.end();
}

function parse(key: string): ParsedKey {
  const parsed = ssh2.utils.parseKey(key);
  if (parsed instanceof Error) throw parsed;
  return parsed;
}
