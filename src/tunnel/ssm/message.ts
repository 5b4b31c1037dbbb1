// Shared with src/sandbox (pure codec).
// The SSM Session Manager data-channel message ("ClientMessage", ssm.md §5) and the
// JSON payloads carried in it (§6–§9, §4.4). Pure: bytes in, values out; no I/O and
// no imports from the rest of src except errors.ts, so the sandbox's agent can use it.
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

// §9.2: ActionStatus of a ProcessedClientAction.
export const ActionStatus = { Success: 1, Failed: 2, Unsupported: 3 } as const;

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

function protocolError(message: string): EicError {
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

// ---- JSON payloads --------------------------------------------------------------

function jsonBytes(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));
}

function parseJson(what: string, payload: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw protocolError(`${what} payload is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw protocolError(`${what} payload is not a JSON object`);
  return value as Record<string, unknown>;
}

// §8.1 AcknowledgeContent. The id is informational; senders match by sequence number.
export interface AcknowledgeContent {
  AcknowledgedMessageType: string;
  AcknowledgedMessageId: string;
  AcknowledgedMessageSequenceNumber: number;
  IsSequentialMessage: boolean;
}

export function encodeAcknowledgeContent(content: AcknowledgeContent): Uint8Array {
  // Key order as in §8.1.
  return jsonBytes({
    AcknowledgedMessageType: content.AcknowledgedMessageType,
    AcknowledgedMessageId: content.AcknowledgedMessageId,
    AcknowledgedMessageSequenceNumber: content.AcknowledgedMessageSequenceNumber,
    IsSequentialMessage: content.IsSequentialMessage,
  });
}

export function parseAcknowledgeContent(payload: Uint8Array): AcknowledgeContent {
  const v = parseJson('acknowledge', payload);
  const seq = v.AcknowledgedMessageSequenceNumber;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw protocolError('acknowledge without a valid sequence number');
  return {
    AcknowledgedMessageType: String(v.AcknowledgedMessageType ?? ''),
    AcknowledgedMessageId: String(v.AcknowledgedMessageId ?? ''),
    AcknowledgedMessageSequenceNumber: seq,
    IsSequentialMessage: v.IsSequentialMessage !== false,
  };
}

// §8.1: the acknowledge message for `acked`: sequence 0, flags 3, payload type 0.
export function makeAcknowledge(acked: Pick<ClientMessage, 'messageType' | 'messageId' | 'sequenceNumber'>, messageId: string, createdDate: number): ClientMessage {
  return {
    messageType: MessageType.Acknowledge,
    schemaVersion: SCHEMA_VERSION,
    createdDate,
    sequenceNumber: 0,
    flags: ACK_FLAGS,
    messageId,
    payloadType: PayloadType.None,
    payload: encodeAcknowledgeContent({
      AcknowledgedMessageType: acked.messageType,
      AcknowledgedMessageId: acked.messageId,
      AcknowledgedMessageSequenceNumber: acked.sequenceNumber,
      IsSequentialMessage: true,
    }),
  };
}

// §9.1 HandshakeRequest (agent → client, payload type 5).
export interface RequestedClientAction {
  ActionType: string;
  ActionParameters: unknown;
}
export interface HandshakeRequest {
  AgentVersion: string;
  RequestedClientActions: RequestedClientAction[];
}

export function encodeHandshakeRequest(request: HandshakeRequest): Uint8Array {
  return jsonBytes({ AgentVersion: request.AgentVersion, RequestedClientActions: request.RequestedClientActions });
}

export function parseHandshakeRequest(payload: Uint8Array): HandshakeRequest {
  const v = parseJson('HandshakeRequest', payload);
  const actions = v.RequestedClientActions;
  if (!Array.isArray(actions)) throw protocolError('HandshakeRequest without RequestedClientActions');
  return {
    AgentVersion: String(v.AgentVersion ?? ''),
    RequestedClientActions: actions.map((a: unknown) => {
      const o = (a ?? {}) as Record<string, unknown>;
      return { ActionType: String(o.ActionType ?? ''), ActionParameters: o.ActionParameters ?? null };
    }),
  };
}

// §9.2 HandshakeResponse (client → agent, payload type 6).
export interface ProcessedClientAction {
  ActionType: string;
  ActionStatus: number;
  ActionResult: unknown;
  Error: string;
}
export interface HandshakeResponse {
  ClientVersion: string;
  ProcessedClientActions: ProcessedClientAction[];
  Errors: string[] | null;
}

export function encodeHandshakeResponse(response: HandshakeResponse): Uint8Array {
  return jsonBytes({
    ClientVersion: response.ClientVersion,
    ProcessedClientActions: response.ProcessedClientActions.map((a) => ({
      ActionType: a.ActionType,
      ActionStatus: a.ActionStatus,
      ActionResult: a.ActionResult,
      Error: a.Error,
    })),
    Errors: response.Errors,
  });
}

export function parseHandshakeResponse(payload: Uint8Array): HandshakeResponse {
  const v = parseJson('HandshakeResponse', payload);
  const actions = Array.isArray(v.ProcessedClientActions) ? v.ProcessedClientActions : [];
  return {
    ClientVersion: String(v.ClientVersion ?? ''),
    ProcessedClientActions: actions.map((a: unknown) => {
      const o = (a ?? {}) as Record<string, unknown>;
      return {
        ActionType: String(o.ActionType ?? ''),
        ActionStatus: typeof o.ActionStatus === 'number' ? o.ActionStatus : 0,
        ActionResult: o.ActionResult ?? null,
        Error: String(o.Error ?? ''),
      };
    }),
    Errors: Array.isArray(v.Errors) ? v.Errors.map(String) : null,
  };
}

// §9.3 HandshakeComplete (agent → client, payload type 7). HandshakeTimeToComplete in ns.
export interface HandshakeComplete {
  HandshakeTimeToComplete: number;
  CustomerMessage: string;
}

export function encodeHandshakeComplete(complete: HandshakeComplete): Uint8Array {
  return jsonBytes({ HandshakeTimeToComplete: complete.HandshakeTimeToComplete, CustomerMessage: complete.CustomerMessage });
}

export function parseHandshakeComplete(payload: Uint8Array): HandshakeComplete {
  const v = parseJson('HandshakeComplete', payload);
  return {
    HandshakeTimeToComplete: typeof v.HandshakeTimeToComplete === 'number' ? v.HandshakeTimeToComplete : 0,
    CustomerMessage: typeof v.CustomerMessage === 'string' ? v.CustomerMessage : '',
  };
}

// §7: a Flag payload is a 4-byte big-endian PayloadTypeFlag.
export function encodeFlag(flag: number): Uint8Array {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(flag, 0);
  return new Uint8Array(out);
}

export function parseFlag(payload: Uint8Array): number {
  if (payload.length !== 4) throw protocolError(`Flag payload of ${payload.length} bytes (want 4)`);
  return Buffer.from(payload.buffer, payload.byteOffset, 4).readUInt32BE(0);
}

// §6 channel_closed payload (all strings except SchemaVersion).
export interface ChannelClosed {
  MessageId: string;
  CreatedDate: string;
  DestinationId: string;
  SessionId: string;
  MessageType: string;
  SchemaVersion: number;
  Output: string;
}

export function encodeChannelClosed(closed: ChannelClosed): Uint8Array {
  return jsonBytes({
    MessageId: closed.MessageId,
    CreatedDate: closed.CreatedDate,
    DestinationId: closed.DestinationId,
    SessionId: closed.SessionId,
    MessageType: closed.MessageType,
    SchemaVersion: closed.SchemaVersion,
    Output: closed.Output,
  });
}

export function parseChannelClosed(payload: Uint8Array): ChannelClosed {
  const v = payload.length === 0 ? {} : parseJson('channel_closed', payload);
  const s = (k: string): string => (typeof v[k] === 'string' ? (v[k] as string) : '');
  return {
    MessageId: s('MessageId'),
    CreatedDate: s('CreatedDate'),
    DestinationId: s('DestinationId'),
    SessionId: s('SessionId'),
    MessageType: s('MessageType') || MessageType.ChannelClosed,
    SchemaVersion: typeof v.SchemaVersion === 'number' ? v.SchemaVersion : 1,
    Output: s('Output'),
  };
}

// §4.4: the first (TEXT) frame. Key order as sent by session-manager-plugin 1.2.677.0.
export interface OpenDataChannel {
  MessageSchemaVersion: string;
  RequestId: string;
  TokenValue: string;
  ClientId: string;
  ClientVersion?: string;
}

export function encodeOpenDataChannel(open: Omit<OpenDataChannel, 'MessageSchemaVersion'> & { MessageSchemaVersion?: string }): string {
  const body: Record<string, string> = {
    MessageSchemaVersion: open.MessageSchemaVersion ?? '1.0',
    RequestId: open.RequestId,
    TokenValue: open.TokenValue,
    ClientId: open.ClientId,
  };
  if (open.ClientVersion !== undefined) body.ClientVersion = open.ClientVersion;
  return JSON.stringify(body);
}

export function parseOpenDataChannel(text: string): OpenDataChannel {
  const v = parseJson('OpenDataChannel', new Uint8Array(Buffer.from(text, 'utf8')));
  if (typeof v.TokenValue !== 'string') throw protocolError('OpenDataChannel without TokenValue');
  const result: OpenDataChannel = {
    MessageSchemaVersion: String(v.MessageSchemaVersion ?? ''),
    RequestId: String(v.RequestId ?? ''),
    TokenValue: v.TokenValue,
    ClientId: String(v.ClientId ?? ''),
  };
  if (typeof v.ClientVersion === 'string') result.ClientVersion = v.ClientVersion;
  return result;
}
