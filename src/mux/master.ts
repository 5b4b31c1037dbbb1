// The master side of connection reuse: serves sessions on a Unix socket over one
// authenticated ssh2 connection it was given, until the connection drops, a STOP
// request arrives, or no session has been open for `persistMs` (OpenSSH's
// ControlPersist). Each socket connection is one request (protocol.ts). Sessions map
// 1:1 to SSH "session" channels (RFC 4254 §6): exec or shell, optional pty-req and
// env, data both ways with back-pressure, window-change, exit-status/exit-signal.
import { chmod, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Client, ClientChannel, PseudoTtyOptions, SFTPWrapper } from 'ssh2';
import { serveFsCall, type FsCall } from './fs.js';
import * as P from './protocol.js';

export interface MasterOptions {
  client: Client;
  socketPath: string;
  persistMs: number;
  target: string; // for status: user@instance-id (route)
  typed: string; // for status: the target as typed
  pid: number;
  now(): number;
  facts?: P.ConnectionFacts; // sent with every OPENED, for the clients' audit lines
}

export interface RunningMaster {
  // Resolves once the master has stopped (socket removed, SSH connection ended).
  done: Promise<void>;
  stop(): void;
}

// Listens on socketPath (which must not exist) with mode 0600.
export async function startMaster(options: MasterOptions): Promise<RunningMaster> {
  const startedAt = options.now();
  let sessions = 0;
  let idleSince: number | null = startedAt;
  let idleTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));

  const server: Server = createServer((socket) => serveConnection(socket));
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (idleTimer) clearTimeout(idleTimer);
    server.close();
    options.client.end();
    // Unlink at once: a new invocation must not find a dying master.
    unlink(options.socketPath)
      .catch(() => {})
      .finally(finish);
  };
  const armIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(stop, options.persistMs);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(options.socketPath, 0o600);
  // A dropped connection ends the master; its 'error' (always followed by 'close')
  // must not crash it.
  options.client.on('error', () => {});
  options.client.once('close', stop);
  armIdle();

  function serveConnection(socket: Socket): void {
    const decoder = new P.FrameDecoder();
    let channel: ClientChannel | undefined;
    let sftp: SFTPWrapper | undefined;
    let opened = false;
    let counted = false;
    const send = (frame: Buffer) => {
      if (!socket.destroyed) return socket.write(frame);
      return true;
    };
    const release = () => {
      if (!counted) return;
      counted = false;
      sessions--;
      if (sessions === 0) {
        idleSince = options.now();
        armIdle();
      }
    };
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      // The client went away (killed, ~.): close its channel too.
      if (channel) channel.close();
      if (sftp) sftp.end();
      release();
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: P.Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        send(P.encodeFrame(P.ERROR, Buffer.from((error as Error).message)));
        socket.end();
        return;
      }
      for (const frame of frames) handle(frame);
    });

    function handle(frame: P.Frame): void {
      if (!opened) {
        opened = true;
        if (frame.type === P.STATUS) {
          const status: P.MasterStatus = { pid: options.pid, target: options.target, typed: options.typed, startedAt, idleSince, sessions, persistMs: options.persistMs };
          socket.end(P.encodeJson(P.STATUS_REPLY, status));
        } else if (frame.type === P.STOP) {
          socket.end(P.encodeJson(P.STATUS_REPLY, { stopping: true }));
          stop();
        } else if (frame.type === P.OPEN) {
          openSession(P.decodeJson<P.OpenRequest>(frame.payload));
        } else {
          socket.end(P.encodeFrame(P.ERROR, Buffer.from('the first frame must be OPEN, STATUS or STOP')));
        }
        return;
      }
      if (sftp && frame.type === P.FS_CALL) {
        serveFsCall(sftp, options.target, P.decodeJson<FsCall>(frame.payload), send);
        return;
      }
      if (!channel) return; // still opening: data before OPENED is a client bug; dropped
      if (frame.type === P.STDIN) {
        if (!channel.write(frame.payload)) socket.pause();
      } else if (frame.type === P.STDIN_EOF) {
        channel.end();
      } else if (frame.type === P.WINDOW) {
        const { rows, columns } = P.decodeWindow(frame.payload);
        channel.setWindow(rows, columns, 0, 0);
      }
    }

    function openSession(request: P.OpenRequest): void {
      if (stopped) {
        socket.end(P.encodeFrame(P.ERROR, Buffer.from('the master is stopping')));
        return;
      }
      counted = true;
      sessions++;
      idleSince = null;
      if (idleTimer) clearTimeout(idleTimer);
      if (request.sftp) {
        openSftpSession();
        return;
      }
      const pty: PseudoTtyOptions | undefined = request.pty
        ? { term: request.pty.term, rows: request.pty.rows, cols: request.pty.columns, width: 0, height: 0 }
        : undefined;
      const env = request.env && Object.keys(request.env).length > 0 ? { env: request.env } : {};
      // Wired synchronously in the callback, as in src/ssh/session.ts: the exit and
      // close may arrive in the same read as the open confirmation.
      const onOpen = (error: Error | undefined, ch: ClientChannel) => {
        if (error) {
          socket.end(P.encodeFrame(P.ERROR, Buffer.from(error.message)));
          return;
        }
        if (socket.destroyed) {
          ch.close();
          return;
        }
        channel = ch;
        send(options.facts ? P.encodeJson(P.OPENED, options.facts) : P.encodeFrame(P.OPENED));
        relayChannel(ch, socket, send, release);
      };
      try {
        if (request.command !== undefined && request.command !== '') {
          options.client.exec(request.command, { ...env, ...(pty ? { pty } : {}) }, onOpen);
        } else {
          options.client.shell(pty ?? false, env, onOpen);
        }
      } catch (error) {
        socket.end(P.encodeFrame(P.ERROR, Buffer.from(`the SSH connection is closed: ${(error as Error).message}`)));
      }
    }

    // eic-scp: an SFTP session serving FS_CALLs until the client hangs up (fs.ts).
    function openSftpSession(): void {
      try {
        options.client.sftp((error, opened) => {
          if (error) {
            socket.end(P.encodeFrame(P.ERROR, Buffer.from(`cannot start the SFTP subsystem: ${error.message}`)));
            return;
          }
          if (socket.destroyed) {
            opened.end();
            return;
          }
          sftp = opened;
          send(options.facts ? P.encodeJson(P.OPENED, options.facts) : P.encodeFrame(P.OPENED));
        });
      } catch (error) {
        socket.end(P.encodeFrame(P.ERROR, Buffer.from(`the SSH connection is closed: ${(error as Error).message}`)));
      }
    }
  }

  return { done, stop };
}

// Channel → socket with back-pressure both ways; EXIT/EXIT_SIGNAL then CLOSED once
// the channel has closed and both of its output streams have ended.
function relayChannel(channel: ClientChannel, socket: Socket, send: (frame: Buffer) => boolean, release: () => void): void {
  let exitFrame: Buffer | undefined;
  let pendingEnds = 2;
  let closed = false;
  const forward = (type: number) => (data: Buffer) => {
    for (let at = 0; at < data.length; at += P.MAX_FRAME) {
      if (!send(P.encodeFrame(type, data.subarray(at, at + P.MAX_FRAME)))) channel.pause();
    }
  };
  socket.on('drain', () => {
    channel.resume();
    socket.resume();
  });
  channel.on('drain', () => socket.resume());
  channel.on('data', forward(P.STDOUT));
  channel.stderr.on('data', forward(P.STDERR));
  channel.on('exit', (code: number | null, signal?: string) => {
    if (typeof code === 'number') exitFrame = P.encodeExit(code);
    else if (typeof signal === 'string') exitFrame = P.encodeFrame(P.EXIT_SIGNAL, Buffer.from(signal));
  });
  const maybeDone = () => {
    if (!closed || pendingEnds > 0) return;
    if (exitFrame) send(exitFrame);
    // The session is over now (the idle time starts), whenever the client hangs up.
    release();
    socket.end(P.encodeFrame(P.CLOSED));
  };
  channel.once('end', () => {
    pendingEnds--;
    maybeDone();
  });
  channel.stderr.once('end', () => {
    pendingEnds--;
    maybeDone();
  });
  channel.once('close', () => {
    // ssh2 ends both output streams by the time it closes the channel; output
    // still buffered behind back-pressure is sent before CLOSED.
    closed = true;
    maybeDone();
  });
}
