// eic-scp through a reuse master: the copy engine's CopyFs (src/copy/file-system.ts)
// as calls over the mux socket. The master runs each call on its own SFTP session
// (src/copy/sftp.ts sftpFs) and answers; calls carry an id, so the engine's
// pipelined reads and writes stay in flight together. Bytes travel base64 in the
// JSON ({"$b": "..."}); errors keep the engine's reason text and "not found" flag.
import type { Socket } from 'node:net';
import type { SFTPWrapper } from 'ssh2';
import { fileError, type CopyFs } from '../copy/file-system.js';
import { sftpFs } from '../copy/sftp.js';
import { EicError } from '../errors.js';
import * as P from './protocol.js';

export interface FsCall {
  id: number;
  op: FsOp;
  args: unknown[];
}
export interface FsReply {
  id: number;
  value?: unknown;
  error?: { reason: string; notFound: boolean };
}
type FsOp = 'stat' | 'readdir' | 'mkdir' | 'openRead' | 'openWrite' | 'read' | 'write' | 'close' | 'chmod' | 'utimes' | 'rename' | 'unlink';
const OPS = new Set<FsOp>(['stat', 'readdir', 'mkdir', 'openRead', 'openWrite', 'read', 'write', 'close', 'chmod', 'utimes', 'rename', 'unlink']);

// Buffers (handles, data) inside JSON.
export function toWire(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $b: value.toString('base64') };
  if (Array.isArray(value)) return value.map(toWire);
  return value;
}
export function fromWire(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { $b?: unknown }).$b === 'string') {
    return Buffer.from((value as { $b: string }).$b, 'base64');
  }
  if (Array.isArray(value)) return value.map(fromWire);
  return value;
}

// Master side: one FS_CALL → one FS_REPLY. read returns the bytes read (not a count).
export function serveFsCall(sftp: SFTPWrapper, label: string, call: FsCall, send: (frame: Buffer) => void): void {
  const fs = sftpFs(sftp, label);
  const args: unknown[] = (call.args ?? []).map(fromWire);
  const run = async (): Promise<unknown> => {
    if (!OPS.has(call.op)) throw new Error(`unknown file operation '${String(call.op)}'`);
    if (call.op === 'read') {
      const [handle, length, position] = args as [Buffer, number, number];
      const buffer = Buffer.alloc(Math.min(length, P.MAX_FRAME / 2));
      const n = await fs.read(handle, buffer, 0, buffer.length, position);
      return buffer.subarray(0, n);
    }
    if (call.op === 'write') {
      const [handle, data, position] = args as [Buffer, Buffer, number];
      return fs.write(handle, data, 0, data.length, position);
    }
    return (fs[call.op] as (...a: unknown[]) => Promise<unknown>)(...args);
  };
  run().then(
    (value) => send(P.encodeJson(P.FS_REPLY, { id: call.id, value: toWire(value) } satisfies FsReply)),
    (error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      const notFound = (error as { notFound?: boolean }).notFound === true;
      send(P.encodeJson(P.FS_REPLY, { id: call.id, error: { reason, notFound } } satisfies FsReply));
    },
  );
}

// Client side: a CopyFs whose every call is a round trip to the master. `socket` has
// already received OPENED for an {sftp: true} request.
export function muxFs(socket: Socket, decoder: P.FrameDecoder, label: string): CopyFs & { end(): void } {
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of decoder.push(chunk)) {
        if (frame.type !== P.FS_REPLY) continue;
        const reply = P.decodeJson<FsReply>(frame.payload);
        const waiter = pending.get(reply.id);
        if (!waiter) continue;
        pending.delete(reply.id);
        if (reply.error) waiter.reject(fileError(reply.error.reason, undefined, reply.error.notFound));
        else waiter.resolve(fromWire(reply.value));
      }
    } catch (error) {
      failAll(error as Error);
      socket.destroy();
    }
  });
  socket.on('close', () => failAll(new EicError('CONNECT', `the reused connection to ${label} closed`)));
  const call = <T>(op: FsOp, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (socket.destroyed) return reject(new EicError('CONNECT', `the reused connection to ${label} closed`));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      socket.write(P.encodeJson(P.FS_CALL, { id, op, args: args.map(toWire) } satisfies FsCall));
    });
  return {
    label,
    stat: (path) => call('stat', path),
    readdir: (path) => call('readdir', path),
    mkdir: (path, mode) => call('mkdir', path, mode),
    openRead: (path) => call('openRead', path),
    openWrite: (path, mode, exclusive) => call('openWrite', path, mode, exclusive),
    read: async (handle, buffer, offset, length, position) => {
      const data = await call<Buffer>('read', handle, length, position);
      data.copy(buffer, offset);
      return data.length;
    },
    write: async (handle, buffer, offset, length, position) => {
      // Large writes in pieces that fit a frame (base64 grows them by a third).
      const piece = P.MAX_FRAME / 2;
      for (let at = 0; at < length; at += piece) {
        const n = Math.min(piece, length - at);
        await call('write', handle, Buffer.from(buffer.subarray(offset + at, offset + at + n)), position + at);
      }
    },
    close: (handle) => call('close', handle),
    chmod: (path, mode) => call('chmod', path, mode),
    utimes: (path, atime, mtime) => call('utimes', path, atime, mtime),
    rename: (from, to) => call('rename', from, to),
    unlink: (path) => call('unlink', path),
    end: () => socket.end(),
  };
}

// Opens an SFTP session through the master on `socket` (already connected).
export function openMuxFs(socket: Socket, label: string): Promise<CopyFs & { end(): void }> {
  return new Promise((resolve, reject) => {
    const decoder = new P.FrameDecoder();
    const onData = (chunk: Buffer) => {
      let frames: P.Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        done();
        socket.destroy();
        return reject(error);
      }
      for (const frame of frames) {
        done();
        if (frame.type === P.OPENED) return resolve(muxFs(socket, decoder, label));
        socket.destroy();
        const reason = frame.type === P.ERROR ? frame.payload.toString('utf8') : 'unexpected answer';
        return reject(new EicError('SSH_CHANNEL', `${label}: ${reason}`));
      }
    };
    const onClose = () => {
      done();
      reject(new EicError('CONNECT', `the reused connection to ${label} closed`));
    };
    const done = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => socket.destroy());
    socket.write(P.encodeJson(P.OPEN, { sftp: true } satisfies P.OpenRequest));
  });
}
