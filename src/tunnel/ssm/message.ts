// Shared with src/sandbox (pure codec).
// The SSM Session Manager data-channel message ("ClientMessage", ssm.md §5): the 120-byte
// header codec, the MessageType / PayloadType / flag tables (§6, §7), and the error and
// JSON helpers the payload codecs (handshake-payloads.ts, control-payloads.ts) share.
// Pure: bytes in, values out; no I/O and no imports from the rest of src except
// errors.ts, so the sandbox's agent can use it.
import { createHash } from 'node:crypto';
import { EicError } from '../../errors.js';

// §5.1: HeaderLength is always 116 (the offset of PayloadLength); the payload starts at 120.
export const HEADER_LENGTH = 116;
export const PAYLOAD_OFFSET = 120;
export const SCHEMA_VERSION = 1;

// §6: the MessageType field (ASCII, 32 bytes, space-padded).
export const MessageType = {
  InputStreamData: 'input_stream_data',
  OutputStreamData: 'output_stream_data',
  Acknowledge: 'acknowledge',
  ChannelClosed: 'channel_closed',
  StartPublication: 'start_publication',
  PausePublication: 'pause_publication',
} as const;

// §7: PayloadType.
export const PayloadType = {
  None: 0,
  Output: 1,
  Error: 2,
  Size: 3,
  Parameter: 4,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  Flag: 10,
  StdErr: 11,
  ExitCode: 12,
} as const;

// §7: the 4-byte big-endian value of a payload-type-10 (Flag) message.
export const PayloadTypeFlag = {
  DisconnectToPort: 1,
  TerminateSession: 2,
  ConnectToPortError: 3,
} as const;

// §5.1/§5.3: Flags bit 0 = SYN, bit 1 = FIN; acknowledge messages carry 3.
export const FLAG_SYN = 1;
export const FLAG_FIN = 2;
export const ACK_FLAGS = FLAG_SYN | FLAG_FIN;

export interface ClientMessage {
  messageType: string;
  schemaVersion: number;
  // Unix epoch milliseconds.
  createdDate: number;
  sequenceNumber: number;
  flags: number;
  // Canonical lower-case UUID string ("123e4567-e89b-12d3-a456-426614174000").
  messageId: string;
  payloadType: number;
  payload: Uint8Array;
}

export interface DecodeOptions {
  // Verify SHA-256(payload) against PayloadDigest (default true; the real agent does not, §5.2).
  checkDigest?: boolean;
}

export function isStreamData(messageType: string): boolean {
  return messageType === MessageType.InputStreamData || messageType === MessageType.OutputStreamData;
}

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export function protocolError(message: string): EicError {
  return new EicError('SSM_PROTOCOL', `SSM data channel: ${message}`, {
    hint: 'The Session Manager peer sent a message eic-ssh cannot read; retry, or use --via eice/direct.',
  });
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// §5.1: wire bytes 0–7 = canonical bytes 8–15, wire bytes 8–15 = canonical bytes 0–7.
export function uuidToWire(uuid: string): Buffer {
  if (!UUID_RE.test(uuid)) throw protocolError(`invalid MessageId ${JSON.stringify(uuid)}`);
  const canonical = Buffer.from(uuid.replace(/-/g, ''), 'hex');
  return Buffer.concat([canonical.subarray(8, 16), canonical.subarray(0, 8)]);
}

export function uuidFromWire(wire: Uint8Array): string {
  const b = Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength);
  const hex = Buffer.concat([b.subarray(8, 16), b.subarray(0, 8)]).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) throw protocolError(`${name} out of range: ${value}`);
}

export function encodeMessage(message: ClientMessage): Buffer {
  const type = Buffer.from(message.messageType, 'ascii');
  if (type.length === 0 || type.length > 32) throw protocolError(`bad MessageType ${JSON.stringify(message.messageType)}`);
  checkUint('SchemaVersion', message.schemaVersion, 0xffffffff);
  checkUint('CreatedDate', message.createdDate, Number.MAX_SAFE_INTEGER);
  checkUint('SequenceNumber', message.sequenceNumber, Number.MAX_SAFE_INTEGER);
  checkUint('Flags', message.flags, Number.MAX_SAFE_INTEGER);
  checkUint('PayloadType', message.payloadType, 0xffffffff);
  const payload = message.payload;
  const out = Buffer.alloc(PAYLOAD_OFFSET + payload.length);
  out.writeUInt32BE(HEADER_LENGTH, 0);
  out.fill(0x20, 4, 36); // §17 quirk 2: space padding
  type.copy(out, 4);
  out.writeUInt32BE(message.schemaVersion, 36);
  out.writeBigUInt64BE(BigInt(message.createdDate), 40);
  out.writeBigInt64BE(BigInt(message.sequenceNumber), 48);
  out.writeBigUInt64BE(BigInt(message.flags), 56);
  uuidToWire(message.messageId).copy(out, 64);
  sha256(payload).copy(out, 80); // written even for an empty payload (§5.1)
  out.writeUInt32BE(message.payloadType, 112);
  out.writeUInt32BE(payload.length, 116);
  out.set(payload, PAYLOAD_OFFSET);
  return out;
}

// §5.2: fields are located through HeaderLength; the payload is the rest of the frame.
// A PayloadLength that disagrees with the frame is a protocol error (choice).
export function decodeMessage(frame: Uint8Array, options: DecodeOptions = {}): ClientMessage {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < PAYLOAD_OFFSET) throw protocolError(`frame of ${b.length} bytes is shorter than the 120-byte header`);
  const headerLength = b.readUInt32BE(0);
  if (headerLength < HEADER_LENGTH || headerLength + 4 > b.length) {
    throw protocolError(`bad HeaderLength ${headerLength} in a ${b.length}-byte frame`);
  }
  const messageType = b.toString('latin1', 4, 36).replace(/\0+$/, '').trim();
  const publication = messageType === MessageType.StartPublication || messageType === MessageType.PausePublication;
  const createdDate = b.readBigUInt64BE(40);
  const sequenceNumber = b.readBigInt64BE(48);
  const flags = b.readBigUInt64BE(56);
  const payloadLength = b.readUInt32BE(headerLength);
  const payload = new Uint8Array(b.subarray(headerLength + 4));
  const message: ClientMessage = {
    messageType,
    schemaVersion: b.readUInt32BE(36),
    createdDate: toSafe('CreatedDate', createdDate),
    sequenceNumber: toSafe('SequenceNumber', sequenceNumber),
    flags: toSafe('Flags', flags),
    messageId: uuidFromWire(b.subarray(64, 80)),
    payloadType: b.readUInt32BE(112),
    payload,
  };
  // start/pause_publication skip validation entirely (§5.2, plugin commit b68c608c).
  if (publication) return message;
  if (messageType === '') throw protocolError('empty MessageType');
  if (message.createdDate === 0) throw protocolError(`${messageType} with CreatedDate 0`);
  if (payloadLength !== payload.length) {
    throw protocolError(`PayloadLength ${payloadLength} but ${payload.length} payload bytes in ${messageType}`);
  }
  if (payloadLength !== 0 && options.checkDigest !== false && !sha256(payload).equals(b.subarray(80, 112))) {
    throw protocolError(`payload digest mismatch in ${messageType} seq ${message.sequenceNumber}`);
  }
  return message;
}

function toSafe(name: string, value: bigint): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw protocolError(`${name} out of range: ${value}`);
  return Number(value);
}

// ---- JSON payload helpers (shared by the payload codecs) -------------------------

export function jsonBytes(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));
}

export function parseJson(what: string, payload: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw protocolError(`${what} payload is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw protocolError(`${what} payload is not a JSON object`);
  return value as Record<string, unknown>;
}
