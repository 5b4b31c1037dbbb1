// Port forwarding over one authenticated ssh2 connection, with ssh(1)'s meaning:
// -L (local listener → "direct-tcpip" channel, RFC 4254 §7.2), -R ("tcpip-forward"
// global request, §7.1; the server opens "forwarded-tcpip" channels back, and we
// connect them to host:hostport from here) and -D (a local SOCKS5 server, socks5.ts,
// whose CONNECT targets become "direct-tcpip" channels). Bytes flow with pipe()
// back-pressure both ways and half-closes (EOF) are passed on.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { EicError } from '../errors.js';
import { encodeReply, methodSelection, parseGreeting, parseRequest, REPLY, type ConnectRequest } from './socks5.js';

export interface LocalForward {
  bindAddress: string;
  bindPort: number;
  host: string;
  hostPort: number;
}

export interface RemoteForward {
  // '' = all addresses, 'localhost' = loopback (the default), else as given.
  bindAddress: string;
  // 0: the server allocates one.
  bindPort: number;
  host: string;
  hostPort: number;
}

export interface DynamicForward {
  bindAddress: string;
  bindPort: number;
}

export interface ForwardSpecs {
  local: LocalForward[];
  remote: RemoteForward[];
  dynamic: DynamicForward[];
}

export interface ForwardOptions {
  // -v lines.
  log(line: string): void;
  // Per-connection trouble (a refused channel, a failed local connect), like ssh's
  // "channel 3: open failed" lines; shown unless -q.
  warn(line: string): void;
}

export interface ActiveForwards {
  // The ports actually bound, in spec order (for port 0 on -R).
  remotePorts: number[];
  close(): Promise<void>;
}

export function hasForwards(specs: ForwardSpecs): boolean {
  return specs.local.length + specs.remote.length + specs.dynamic.length > 0;
}

// Binds every listener and requests every remote forward; any failure closes what
// was opened and throws (like ssh -o ExitOnForwardFailure=yes: a forward the user
// asked for and did not get is an error, not a warning).
export async function startForwards(client: Client, specs: ForwardSpecs, options: ForwardOptions): Promise<ActiveForwards> {
  const servers: Server[] = [];
  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const remoteBound: { spec: RemoteForward; port: number }[] = [];

  const onTcpConnection = (
    info: { destIP: string; destPort: number; srcIP: string; srcPort: number },
    accept: () => ClientChannel,
    reject: () => void,
  ) => {
    const match = remoteBound.find((r) => r.port === info.destPort);
    if (!match) return reject();
    const local = connect({ host: match.spec.host, port: match.spec.hostPort });
    local.once('error', (error: NodeJS.ErrnoException) => {
      options.warn(`remote forward ${info.destPort} → ${match.spec.host}:${match.spec.hostPort}: connect failed: ${error.code ?? error.message}`);
      reject();
    });
    local.once('connect', () => {
      local.removeAllListeners('error');
      const channel = accept();
      track(local);
      join(local, channel);
    });
  };
  client.on('tcp connection', onTcpConnection);

  const close = async () => {
    client.off('tcp connection', onTcpConnection);
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };

  try {
    for (const spec of specs.local) {
      servers.push(
        await listen(spec.bindAddress, spec.bindPort, '-L', (socket) => {
          track(socket);
          openDirect(client, socket, spec.host, spec.hostPort, (error) => {
            options.warn(`channel open failed: ${spec.host}:${spec.hostPort}: ${describeOpenFailure(error)}`);
            socket.destroy();
          }, (channel) => join(socket, channel));
        }),
      );
      options.log(`forward    -L ${spec.bindAddress}:${spec.bindPort} → ${spec.host}:${spec.hostPort}`);
    }
    for (const spec of specs.dynamic) {
      servers.push(
        await listen(spec.bindAddress, spec.bindPort, '-D', (socket) => {
          track(socket);
          serveSocks(client, socket, options);
        }),
      );
      options.log(`forward    -D ${spec.bindAddress}:${spec.bindPort} (SOCKS5)`);
    }
    for (const spec of specs.remote) {
      const port = await forwardIn(client, spec);
      remoteBound.push({ spec, port });
      if (spec.bindPort === 0) options.warn(`Allocated port ${port} for remote forward to ${spec.host}:${spec.hostPort}`);
      options.log(`forward    -R ${spec.bindAddress || '*'}:${port} → ${spec.host}:${spec.hostPort}`);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { remotePorts: remoteBound.map((r) => r.port), close };
}

function listen(address: string, port: number, flag: string, onConnection: (socket: Socket) => void): Promise<Server> {
  // allowHalfOpen: a client's EOF is passed on as channel EOF while the reply still flows.
  const server = createServer({ allowHalfOpen: true }, onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new EicError('LOCAL_IO', `${flag}: cannot listen on ${address} port ${port}: ${error.code ?? error.message}`, {
          hint: error.code === 'EADDRINUSE' ? 'that local port is in use: choose another one' : 'check the bind address',
          cause: error,
        }),
      ),
    );
    server.listen(port, address, () => resolve(server));
  });
}

function forwardIn(client: Client, spec: RemoteForward): Promise<number> {
  return new Promise((resolve, reject) => {
    client.forwardIn(spec.bindAddress, spec.bindPort, (error, port) => {
      if (error) {
        reject(
          new EicError('SSH_CHANNEL', `-R: the instance refused to listen on ${spec.bindAddress || '*'} port ${spec.bindPort}`, {
            hint: 'the port may be in use there, need root (below 1024), or be forbidden by sshd (AllowTcpForwarding)',
            cause: error,
          }),
        );
      } else resolve(spec.bindPort === 0 ? port : spec.bindPort);
    });
  });
}

function openDirect(
  client: Client,
  socket: Socket,
  host: string,
  port: number,
  onError: (error: Error) => void,
  onChannel: (channel: ClientChannel) => void,
): void {
  // The originator address is informational (RFC 4254 §7.2).
  client.forwardOut(socket.remoteAddress ?? '127.0.0.1', socket.remotePort ?? 0, host, port, (error, channel) => {
    if (error) return onError(error);
    if (socket.destroyed) return channel.close();
    onChannel(channel);
  });
}

// Joins a local socket and a channel: data both ways with back-pressure, EOF passed
// on, and either side's close or error tears down the other.
function join(socket: Duplex, channel: ClientChannel): void {
  socket.pipe(channel);
  channel.pipe(socket);
  socket.once('error', () => channel.close());
  channel.once('error', () => socket.destroy());
  socket.once('close', () => channel.close());
  channel.once('close', () => {
    // Let what was written flush; end() is a no-op if pipe() already ended it.
    socket.end();
  });
}

// SOCKS5 handshake on one accepted socket, then a direct-tcpip channel to the target.
function serveSocks(client: Client, socket: Socket, options: ForwardOptions): void {
  let buffered: Buffer = Buffer.alloc(0);
  let stage: 'greeting' | 'request' | 'connecting' = 'greeting';
  const fail = (reason: string, reply?: Buffer) => {
    options.warn(`SOCKS: ${reason}`);
    if (reply) socket.end(reply);
    else socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (stage === 'greeting') {
      const greeting = parseGreeting(buffered);
      if (greeting.status === 'incomplete') return;
      if (greeting.status === 'error') return fail(greeting.reason, greeting.reply);
      const selection = methodSelection(greeting.value);
      if (selection[1] !== 0) return fail('the client offers no method without authentication', selection);
      socket.write(selection);
      buffered = greeting.rest;
      stage = 'request';
    }
    if (stage === 'request') {
      const request = parseRequest(buffered);
      if (request.status === 'incomplete') return;
      if (request.status === 'error') return fail(request.reason, request.reply);
      stage = 'connecting';
      socket.off('data', onData);
      socket.pause();
      connectSocks(client, socket, request.value, request.rest, options);
    }
  };
  socket.on('data', onData);
  socket.once('error', () => socket.destroy());
}

function connectSocks(client: Client, socket: Socket, target: ConnectRequest, early: Buffer, options: ForwardOptions): void {
  options.log(`SOCKS      CONNECT ${target.host} port ${target.port}`);
  openDirect(
    client,
    socket,
    target.host,
    target.port,
    (error) => {
      options.warn(`channel open failed: ${target.host}:${target.port}: ${describeOpenFailure(error)}`);
      socket.end(encodeReply(socksReplyFor(error)));
    },
    (channel) => {
      socket.write(encodeReply(REPLY.succeeded));
      if (early.length > 0) channel.write(early);
      join(socket, channel);
      socket.resume();
    },
  );
}

// RFC 4254 §5.1 reason codes, as ssh2 reports them on the error.
function describeOpenFailure(error: Error): string {
  const reason = (error as Error & { reason?: number }).reason;
  const names: Record<number, string> = { 1: 'administratively prohibited', 2: 'connect failed', 3: 'unknown channel type', 4: 'resource shortage' };
  return reason !== undefined && names[reason] ? `${names[reason]}: ${error.message}` : error.message;
}

function socksReplyFor(error: Error): number {
  const reason = (error as Error & { reason?: number }).reason;
  if (reason === 1) return REPLY.notAllowed;
  if (reason === 2) return REPLY.connectionRefused;
  return REPLY.generalFailure;
}
