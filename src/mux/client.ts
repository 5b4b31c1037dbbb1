// The client side of connection reuse: finds a live master on its socket (removing
// a stale one whose master is gone) and opens sessions through it. MuxConnection
// offers the part of ssh2's Client that src/ssh/session.ts runSession uses (exec,
// shell, end, 'close'), and MuxChannel the part of a ClientChannel it uses (a
// Duplex for stdout/stdin, .stderr, 'exit', 'close', setWindow), so the reused
// session behaves exactly like a direct one: pty, escapes, exit status, notices.
import { EventEmitter } from 'node:events';
import { unlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { Duplex, Readable } from 'node:stream';
import * as P from './protocol.js';

// A master answers its socket at once; this only bounds a wedged one.
const CONNECT_TIMEOUT_MS = 5_000;

// The socket, connected; undefined when there is no live master (a stale socket
// file — ECONNREFUSED: nobody listens — is removed on the way).
export async function connectMaster(path: string): Promise<Socket | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') resolve(undefined);
      else if (error.code === 'ECONNREFUSED') unlink(path).then(() => resolve(undefined), () => resolve(undefined));
      else reject(error);
    });
  });
}

// One STATUS or STOP request; undefined when no live master answers.
export async function askMaster(path: string, type: typeof P.STATUS | typeof P.STOP): Promise<P.MasterStatus | undefined> {
  const socket = await connectMaster(path);
  if (!socket) return undefined;
  return new Promise((resolve) => {
    const decoder = new P.FrameDecoder();
    let reply: P.MasterStatus | undefined;
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) if (frame.type === P.STATUS_REPLY) reply = P.decodeJson<P.MasterStatus>(frame.payload);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => resolve(reply));
    socket.write(P.encodeFrame(type));
  });
}

type OpenCallback = (error: Error | undefined, channel: MuxChannel) => void;
interface ExecOptions {
  env?: Record<string, string>;
  pty?: { term?: string; rows?: number; cols?: number };
}

// One session over one socket connection.
export class MuxConnection extends EventEmitter {
  // The master's connection, as its OPENED said (undefined from a master that did not say).
  facts: P.ConnectionFacts | undefined;
  private channel: MuxChannel | undefined;
  private finished = false;

  constructor(private readonly socket: Socket) {
    super();
    const decoder = new P.FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames: P.Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        this.emit('error', error);
        socket.destroy();
        return;
      }
      for (const frame of frames) this.handle(frame);
    });
    socket.on('error', (error) => this.emit('error', error));
    socket.on('close', () => {
      // Gone before CLOSED: the master (or its SSH connection) died.
      if (this.finished) return;
      this.finished = true;
      this.pendingOpen?.(new Error('the reused connection closed'), undefined as unknown as MuxChannel);
      this.pendingOpen = undefined;
      this.emit('close');
      this.channel?.finish();
    });
  }

  private pendingOpen: OpenCallback | undefined;

  // exec(command, callback) as well, as ssh2's Client allows (exec-capture.ts, eic-ssh run).
  exec(command: string, options: ExecOptions | OpenCallback, callback?: OpenCallback): void {
    if (typeof options === 'function') this.open({ command }, options);
    else this.open({ command, ...toRequest(options.pty, options.env) }, callback!);
  }

  shell(pty: ExecOptions['pty'] | false, options: { env?: Record<string, string> }, callback: OpenCallback): void {
    this.open(toRequest(pty || undefined, options.env), callback);
  }

  end(): void {
    this.socket.end();
  }

  private open(request: P.OpenRequest, callback: OpenCallback): void {
    this.pendingOpen = callback;
    this.socket.write(P.encodeJson(P.OPEN, request));
  }

  private handle(frame: P.Frame): void {
    if (frame.type === P.OPENED) {
      if (frame.payload.length > 0) this.facts = P.decodeJson<P.ConnectionFacts>(frame.payload);
      this.channel = new MuxChannel(this.socket);
      const callback = this.pendingOpen;
      this.pendingOpen = undefined;
      callback?.(undefined, this.channel);
      return;
    }
    if (frame.type === P.ERROR) {
      const error = this.pendingOpen ? new MuxRefusedError(frame.payload.toString('utf8')) : new Error(frame.payload.toString('utf8'));
      if (this.pendingOpen) {
        const callback = this.pendingOpen;
        this.pendingOpen = undefined;
        this.finished = true;
        callback(error, undefined as unknown as MuxChannel);
      } else this.emit('error', error);
      return;
    }
    const channel = this.channel;
    if (!channel) return;
    if (frame.type === P.STDOUT) channel.output(frame.payload);
    else if (frame.type === P.STDERR) channel.errorOutput(frame.payload);
    else if (frame.type === P.EXIT) channel.emit('exit', P.decodeExit(frame.payload));
    else if (frame.type === P.EXIT_SIGNAL) channel.emit('exit', null, frame.payload.toString('utf8'));
    else if (frame.type === P.CLOSED) {
      this.finished = true;
      channel.finish();
    }
  }
}

// The master answered OPEN with ERROR: it started nothing (it is stopping, or the
// server refused the channel), so the caller may safely connect by itself instead.
export class MuxRefusedError extends Error {
  override name = 'MuxRefusedError';
}

function toRequest(pty: ExecOptions['pty'] | undefined, env: Record<string, string> | undefined): P.OpenRequest {
  return {
    ...(pty ? { pty: { term: pty.term ?? 'xterm-256color', rows: pty.rows ?? 24, columns: pty.cols ?? 80 } } : {}),
    ...(env && Object.keys(env).length > 0 ? { env } : {}),
  };
}

// stdout as the readable side, stdin as the writable side, stderr beside it.
export class MuxChannel extends Duplex {
  readonly stderr: Readable;
  private closing = false;

  constructor(private readonly socket: Socket) {
    super({ emitClose: false, autoDestroy: false });
    this.stderr = new Readable({ read: () => socket.resume() });
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) return callback();
    const frames: Buffer[] = [];
    for (let at = 0; at < chunk.length; at += P.MAX_FRAME) frames.push(P.encodeFrame(P.STDIN, chunk.subarray(at, at + P.MAX_FRAME)));
    this.socket.write(Buffer.concat(frames), () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.socket.destroyed) this.socket.write(P.encodeFrame(P.STDIN_EOF));
    callback();
  }

  setWindow(rows: number, columns: number): void {
    if (!this.socket.destroyed) this.socket.write(P.encodeWindow(rows, columns));
  }

  close(): void {
    this.socket.end();
  }

  output(data: Buffer): void {
    if (!this.push(data)) this.socket.pause();
  }

  errorOutput(data: Buffer): void {
    if (!this.stderr.push(data)) this.socket.pause();
  }

  // Both outputs end (after what is buffered is read), then 'close', as ssh2 does.
  finish(): void {
    if (this.closing) return;
    this.closing = true;
    let pending = 2;
    const ended = () => {
      if (--pending === 0) this.emit('close');
    };
    this.once('end', ended);
    this.stderr.once('end', ended);
    this.push(null);
    this.stderr.push(null);
    // A side nobody reads would never end: keep both flowing once the session is over.
    if (this.readableFlowing !== true) this.resume();
    if (this.stderr.readableFlowing !== true) this.stderr.resume();
  }
}
