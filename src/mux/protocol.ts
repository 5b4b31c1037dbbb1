// The connection-reuse ("mux") wire protocol between an eic-ssh client and the
// master process that holds an authenticated ssh2 connection (docs/how-it-works.md,
// "Connection reuse"). Our own, deliberately small: one Unix-socket connection
// carries ONE request (a session, a status query or a stop), as a sequence of frames
//   type  u8 | length  u32 big-endian | payload (length bytes)
// Payloads are raw bytes for data, UTF-8 JSON for the few structured messages, and
// two u32 (rows, columns) for a window change. A pure codec: no I/O here.

export const FRAME_HEADER = 5;
// Bigger frames are a protocol error (a data frame never needs more than one read's
// worth; 1 MiB keeps a buggy or hostile peer from making us allocate gigabytes).
export const MAX_FRAME = 1 << 20;

// client → master
export const OPEN = 0x01; // JSON OpenRequest: start a session
export const STDIN = 0x02; // bytes for the session's stdin
export const STDIN_EOF = 0x03; // empty: local stdin ended
export const WINDOW = 0x04; // u32 rows, u32 columns (RFC 4254 §6.7 window-change)
export const STATUS = 0x05; // empty: answer STATUS_REPLY, then close
export const STOP = 0x06; // empty: close the SSH connection and exit
export const FS_CALL = 0x07; // JSON FsCall: one file-system operation on the SFTP session (fs.ts)
// master → client
export const OPENED = 0x81; // JSON ConnectionFacts (or empty): the channel is open
export const STDOUT = 0x82;
export const STDERR = 0x83;
export const EXIT = 0x84; // u32 exit status (RFC 4254 §6.10 "exit-status")
export const EXIT_SIGNAL = 0x85; // UTF-8 signal name (RFC 4254 §6.10 "exit-signal")
export const CLOSED = 0x86; // empty: the channel closed, all output was sent
export const ERROR = 0x87; // UTF-8 message: the request failed
export const STATUS_REPLY = 0x88; // JSON MasterStatus
export const FS_REPLY = 0x89; // JSON FsReply

export interface Frame {
  type: number;
  payload: Buffer;
}

export interface OpenRequest {
  sftp?: boolean; // an SFTP session for eic-scp (fs.ts) instead of exec/shell
  command?: string; // absent: a shell
  pty?: { term: string; rows: number; columns: number };
  env?: Record<string, string>;
}

// What the master's connection is, for the client's --audit line (src/cli/audit.ts):
// identifiers only, never a key or a token.
export interface ConnectionFacts {
  instance: string;
  osUser: string;
  route: 'direct' | 'eice' | 'ssm';
  routeId?: string; // the EICE endpoint id or the SSM session id
  keyFingerprint: string;
  pushRequestId?: string;
  connectedAt: number; // ms since the epoch
}

export interface MasterStatus {
  pid: number;
  target: string; // user@instance-id (route)
  typed: string; // the target as it was typed (user@name), for `reuse --stop TARGET`
  startedAt: number; // ms since the epoch
  idleSince: number | null; // ms since the epoch; null while a session is open
  sessions: number;
  persistMs: number;
}

const KNOWN = new Set([OPEN, STDIN, STDIN_EOF, WINDOW, STATUS, STOP, FS_CALL, OPENED, STDOUT, STDERR, EXIT, EXIT_SIGNAL, CLOSED, ERROR, STATUS_REPLY, FS_REPLY]);

export function encodeFrame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_FRAME) throw new RangeError(`mux frame of ${payload.length} bytes exceeds ${MAX_FRAME}`);
  const header = Buffer.alloc(FRAME_HEADER);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

export function encodeJson(type: number, value: unknown): Buffer {
  return encodeFrame(type, Buffer.from(JSON.stringify(value), 'utf8'));
}

export function encodeWindow(rows: number, columns: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(rows, 0);
  payload.writeUInt32BE(columns, 4);
  return encodeFrame(WINDOW, payload);
}

export function encodeExit(status: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(status >>> 0, 0);
  return encodeFrame(EXIT, payload);
}

export function decodeWindow(payload: Buffer): { rows: number; columns: number } {
  if (payload.length !== 8) throw new MuxProtocolError(`window frame of ${payload.length} bytes, expected 8`);
  return { rows: payload.readUInt32BE(0), columns: payload.readUInt32BE(4) };
}

export function decodeExit(payload: Buffer): number {
  if (payload.length !== 4) throw new MuxProtocolError(`exit frame of ${payload.length} bytes, expected 4`);
  return payload.readUInt32BE(0);
}

export function decodeJson<T>(payload: Buffer): T {
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch {
    throw new MuxProtocolError('malformed JSON frame');
  }
}

export class MuxProtocolError extends Error {
  override name = 'MuxProtocolError';
}

// Incremental decoder: feed it whatever a socket read gave, get whole frames back
// (frames may be split across reads or several may share one).
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    while (this.buffered.length >= FRAME_HEADER) {
      const type = this.buffered.readUInt8(0);
      const length = this.buffered.readUInt32BE(1);
      if (!KNOWN.has(type)) throw new MuxProtocolError(`unknown mux frame type 0x${type.toString(16).padStart(2, '0')}`);
      if (length > MAX_FRAME) throw new MuxProtocolError(`mux frame of ${length} bytes exceeds ${MAX_FRAME}`);
      if (this.buffered.length < FRAME_HEADER + length) break;
      frames.push({ type, payload: Buffer.from(this.buffered.subarray(FRAME_HEADER, FRAME_HEADER + length)) });
      this.buffered = this.buffered.subarray(FRAME_HEADER + length);
    }
    return frames;
  }

  // Bytes of an unfinished frame (a peer that closes mid-frame broke the protocol).
  pending(): number {
    return this.buffered.length;
  }
}
