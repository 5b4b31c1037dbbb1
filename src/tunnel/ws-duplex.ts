// A websocket as a Node Duplex for ssh2 and stdio, with the framing and close
// semantics of eice.md §6.3/§6.4: writes go out as BINARY frames of at most 65,000
// bytes and never empty; local end of input sends CLOSE 1000 (after queued data);
// received BINARY/CONTINUATION payloads are the stream; a TEXT frame is a protocol
// error; CLOSE 1000 is a clean end; any other code is an EicError with the server's
// reason; a drop without CLOSE (1006) is "tunnel connection lost".
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { EicError } from '../errors.js';

// aws-cli's _MAX_BYTES_PER_FRAME (eice.md §6.3).
export const MAX_FRAME_BYTES = 65_000;
// How much may sit in the websocket's send buffer before writes wait.
const SEND_BUFFER_BYTES = 1024 * 1024;

export interface WsDuplexOptions {
  // Names the far end in messages, e.g. "the EC2 Instance Connect Endpoint".
  peer: string;
  // Hint for closes with a reason (e.g. the security-group hint of §6.4).
  closeHint?: string;
  onClosed?(): void;
}

export function wsDuplex(ws: WebSocket, options: WsDuplexOptions): Duplex {
  let localEnd = false;
  let settled = false;
  const duplex = new Duplex({
    allowHalfOpen: false,
    write(chunk: Buffer, _encoding, callback) {
      if (chunk.length === 0) return callback(); // never an empty frame (§9 bug 1)
      // Closing: the close event (with the endpoint's reason) ends the stream; drop the bytes.
      if (ws.readyState !== ws.OPEN) return callback();
      // Backpressure: while little is queued in the socket, take the next chunk at once;
      // otherwise wait until the last frame of this chunk is written.
      let done = false;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        callback(error);
      };
      for (let at = 0; at < chunk.length; at += MAX_FRAME_BYTES) {
        const last = at + MAX_FRAME_BYTES >= chunk.length;
        ws.send(chunk.subarray(at, at + MAX_FRAME_BYTES), { binary: true }, (error) => {
          if (error) finish(error);
          else if (last) finish();
        });
      }
      if (ws.bufferedAmount < SEND_BUFFER_BYTES) finish();
    },
    final(callback) {
      // No half-close in websockets: local EOF ends the tunnel, after queued frames.
      localEnd = true;
      if (ws.readyState === ws.OPEN) ws.close(1000);
      callback();
    },
    read() {
      if (ws.isPaused) ws.resume();
    },
    destroy(error, callback) {
      settled = true;
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        if (error) ws.terminate();
        else ws.close(1000);
      }
      callback(error);
    },
  });
  // The tunnel can fail before its user (ssh2) listens: keep the failure and hand it to
  // every 'error' listener added later, so it is reported instead of lost or fatal.
  let failure: Error | undefined;
  duplex.on('error', (error) => {
    failure = error;
  });
  duplex.on('newListener', (event: string | symbol, listener: (error: Error) => void) => {
    if (event === 'error' && failure) {
      const error = failure;
      process.nextTick(() => listener(error));
    }
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (settled) return;
    if (!isBinary) {
      ws.close(1003);
      settled = true;
      duplex.destroy(
        new EicError('EICE_PROTOCOL', `received invalid data from ${options.peer} (a TEXT frame), closing the tunnel`, {
          hint: 'the endpoint speaks only BINARY frames; is EIC_SSH_EICE_ENDPOINT_URL pointing at the right server?',
        }),
      );
      return;
    }
    if (data.length > 0 && !duplex.push(data)) ws.pause();
  });
  ws.on('close', (code: number, reasonBuffer: Buffer) => {
    options.onClosed?.();
    if (settled) return;
    settled = true;
    const reason = reasonBuffer.toString('utf8');
    // After our own CLOSE 1000 any answer (CRT replies with an empty CLOSE = 1005) is clean.
    if (code === 1000 || localEnd) {
      duplex.push(null);
      return;
    }
    if (code === 1006) {
      duplex.destroy(new EicError('CONNECT', `tunnel connection lost: ${options.peer} dropped the connection without closing it`));
      return;
    }
    duplex.destroy(
      new EicError('EICE_CLOSED', `${options.peer} closed the tunnel: ${reason || 'no reason given'} (code ${code})`, {
        hint: options.closeHint,
      }),
    );
  });
  // Errors after the handshake arrive as a 1006 close; this keeps them from throwing.
  ws.on('error', () => {});
  return duplex;
}
