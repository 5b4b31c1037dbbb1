// Shared with src/sandbox (pure codec).
// The SSM data channel's control payloads outside the handshake: acknowledge content and
// the acknowledge message itself (ssm.md §8.1), the Flag payload (§7), channel_closed
// (§6), and the OpenDataChannel text frame that opens the websocket (§4.4). Separate
// from message.ts, which only frames bytes, because these are the bodies the
// reliability and session-end logic of both sides read and write. Pure, like message.ts.
import {
  ACK_FLAGS,
  jsonBytes,
  MessageType,
  parseJson,
  PayloadType,
  protocolError,
  SCHEMA_VERSION,
  type ClientMessage,
} from './message.js';

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
