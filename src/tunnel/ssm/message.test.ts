// Byte fixtures for the SSM data-channel codec (ssm.md §5.4, §8.1, §9, §4.4).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeAcknowledgeContent,
  encodeFlag,
  encodeOpenDataChannel,
  makeAcknowledge,
  parseAcknowledgeContent,
  parseChannelClosed,
  parseFlag,
  parseOpenDataChannel,
} from './control-payloads.js';
import {
  ActionStatus,
  encodeHandshakeResponse,
  parseHandshakeComplete,
  parseHandshakeRequest,
} from './handshake-payloads.js';
import {
  decodeMessage,
  encodeMessage,
  MessageType,
  PayloadType,
  PayloadTypeFlag,
  uuidFromWire,
  uuidToWire,
  type ClientMessage,
} from './message.js';

// §5.4 worked example, verbatim.
const FIXTURE_HEX = `
00 00 00 74 69 6e 70 75 74 5f 73 74 72 65 61 6d
5f 64 61 74 61 20 20 20 20 20 20 20 20 20 20 20
20 20 20 20 00 00 00 01 00 00 01 8b cf e5 68 00
00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00
a4 56 42 66 14 17 40 00 12 3e 45 67 e8 9b 12 d3
8f 43 43 46 64 8f 6b 96 df 89 dd a9 01 c5 17 6b
10 a6 d8 39 61 dd 3c 1a c8 8b 59 b2 dc 32 7a a4
00 00 00 01 00 00 00 02 68 69`;
const fixture = Buffer.from(FIXTURE_HEX.replace(/\s+/g, ''), 'hex');

const example: ClientMessage = {
  messageType: MessageType.InputStreamData,
  schemaVersion: 1,
  createdDate: 1700000000000,
  sequenceNumber: 1,
  flags: 0,
  messageId: '123e4567-e89b-12d3-a456-426614174000',
  payloadType: PayloadType.Output,
  payload: new Uint8Array(Buffer.from('hi')),
};

describe('ClientMessage codec', () => {
  it('encodes the §5.4 example byte for byte', () => {
    expect(fixture.length).toBe(122);
    expect(encodeMessage(example).toString('hex')).toBe(fixture.toString('hex'));
  });

  it('decodes the §5.4 example', () => {
    const m = decodeMessage(fixture);
    expect({ ...m, payload: Buffer.from(m.payload).toString() }).toEqual({ ...example, payload: 'hi' });
  });

  it('writes the UUID low half first and swaps back', () => {
    expect(uuidToWire('123e4567-e89b-12d3-a456-426614174000').toString('hex')).toBe('a456426614174000123e4567e89b12d3');
    expect(uuidFromWire(Buffer.from('a456426614174000123e4567e89b12d3', 'hex'))).toBe('123e4567-e89b-12d3-a456-426614174000');
  });

  it('rejects a corrupted payload digest, and accepts it when digest checking is off', () => {
    const bad = Buffer.from(fixture);
    bad[121] = 0x6a; // "hj"
    expect(() => decodeMessage(bad)).toThrow(/digest mismatch/);
    expect(Buffer.from(decodeMessage(bad, { checkDigest: false }).payload).toString()).toBe('hj');
  });

  it('accepts NUL-padded MessageType (§5.1, §17 quirk 2)', () => {
    const nul = Buffer.from(fixture);
    nul.fill(0, 4 + 'input_stream_data'.length, 36);
    expect(decodeMessage(nul).messageType).toBe('input_stream_data');
  });

  it('rejects short frames, a bad HeaderLength and a disagreeing PayloadLength', () => {
    expect(() => decodeMessage(fixture.subarray(0, 119))).toThrow(/shorter than the 120-byte header/);
    const hl = Buffer.from(fixture);
    hl.writeUInt32BE(200, 0);
    expect(() => decodeMessage(hl)).toThrow(/bad HeaderLength/);
    const pl = Buffer.from(fixture);
    pl.writeUInt32BE(3, 116);
    expect(() => decodeMessage(pl)).toThrow(/PayloadLength 3 but 2/);
  });

  it('locates the payload through a larger HeaderLength (future header growth, §5.2)', () => {
    const grown = Buffer.concat([fixture.subarray(0, 116), Buffer.from([9, 9, 9, 9]), fixture.subarray(116)]);
    grown.writeUInt32BE(120, 0);
    expect(Buffer.from(decodeMessage(grown).payload).toString()).toBe('hi');
  });

  it('does not validate start/pause_publication (fields may be zero, §5.2)', () => {
    const frame = Buffer.alloc(120);
    frame.writeUInt32BE(116, 0);
    frame.write('pause_publication', 4, 'ascii');
    expect(decodeMessage(frame).messageType).toBe(MessageType.PausePublication);
  });

  it('rejects CreatedDate 0 on ordinary messages', () => {
    const zero = Buffer.from(fixture);
    zero.fill(0, 40, 48);
    expect(() => decodeMessage(zero)).toThrow(/CreatedDate 0/);
  });

  it('round-trips any message', () => {
    const uuid = fc.uuid().map((u) => u.toLowerCase());
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(MessageType)),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        uuid,
        fc.nat({ max: 12 }),
        fc.uint8Array({ maxLength: 300 }),
        (messageType, sequenceNumber, flags, createdDate, messageId, payloadType, payload) => {
          const m: ClientMessage = { messageType, schemaVersion: 1, createdDate, sequenceNumber, flags, messageId, payloadType, payload };
          expect(decodeMessage(encodeMessage(m))).toEqual(m);
        },
      ),
    );
  });
});

describe('payloads', () => {
  it('acknowledge: §8.1 content, sequence 0, flags 3, payload type 0', () => {
    const ack = makeAcknowledge(
      { messageType: 'output_stream_data', messageId: '123e4567-e89b-12d3-a456-426614174000', sequenceNumber: 1 },
      '00000000-0000-4000-8000-000000000001',
      1700000000000,
    );
    expect(Buffer.from(ack.payload).toString()).toBe(
      '{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"123e4567-e89b-12d3-a456-426614174000","AcknowledgedMessageSequenceNumber":1,"IsSequentialMessage":true}',
    );
    const wire = encodeMessage(ack);
    expect(wire.subarray(48, 64).toString('hex')).toBe('00000000000000000000000000000003');
    expect(wire.readUInt32BE(112)).toBe(0);
    expect(parseAcknowledgeContent(decodeMessage(wire).payload).AcknowledgedMessageSequenceNumber).toBe(1);
    expect(() => parseAcknowledgeContent(encodeAcknowledgeContent({ AcknowledgedMessageType: 'x', AcknowledgedMessageId: '', AcknowledgedMessageSequenceNumber: -1, IsSequentialMessage: true }))).toThrow(/sequence number/);
  });

  it('HandshakeRequest of AWS-StartSSHSession (§9.1)', () => {
    const text =
      '{"AgentVersion":"3.3.1000.0","RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Port","Properties":{"portNumber":"22"}}}]}';
    expect(parseHandshakeRequest(Buffer.from(text))).toEqual({
      AgentVersion: '3.3.1000.0',
      RequestedClientActions: [{ ActionType: 'SessionType', ActionParameters: { SessionType: 'Port', Properties: { portNumber: '22' } } }],
    });
  });

  it('HandshakeResponse in the §9.2 shape', () => {
    const bytes = encodeHandshakeResponse({
      ClientVersion: '1.2.677.0',
      ProcessedClientActions: [{ ActionType: 'SessionType', ActionStatus: ActionStatus.Success, ActionResult: null, Error: '' }],
      Errors: null,
    });
    expect(Buffer.from(bytes).toString()).toBe(
      '{"ClientVersion":"1.2.677.0","ProcessedClientActions":[{"ActionType":"SessionType","ActionStatus":1,"ActionResult":null,"Error":""}],"Errors":null}',
    );
  });

  it('HandshakeComplete (§9.3)', () => {
    expect(parseHandshakeComplete(Buffer.from('{"HandshakeTimeToComplete":1234567,"CustomerMessage":""}'))).toEqual({
      HandshakeTimeToComplete: 1234567,
      CustomerMessage: '',
    });
  });

  it('Flag payloads are 4 bytes big-endian (§7)', () => {
    expect(Buffer.from(encodeFlag(PayloadTypeFlag.TerminateSession)).toString('hex')).toBe('00000002');
    expect(parseFlag(Buffer.from('00000001', 'hex'))).toBe(PayloadTypeFlag.DisconnectToPort);
    expect(() => parseFlag(Buffer.from('01', 'hex'))).toThrow(/4/);
  });

  it('channel_closed payload (§6)', () => {
    const c = parseChannelClosed(
      Buffer.from('{"MessageId":"m","CreatedDate":"d","DestinationId":"i-1","SessionId":"s","MessageType":"channel_closed","SchemaVersion":1,"Output":"bye"}'),
    );
    expect(c.Output).toBe('bye');
    expect(c.SessionId).toBe('s');
  });

  it('OpenDataChannel text frame in the 1.2.677.0 key order (§4.4)', () => {
    const text = encodeOpenDataChannel({ RequestId: 'r', TokenValue: 't', ClientId: 'c', ClientVersion: '1.2.764.0' });
    expect(text).toBe('{"MessageSchemaVersion":"1.0","RequestId":"r","TokenValue":"t","ClientId":"c","ClientVersion":"1.2.764.0"}');
    expect(parseOpenDataChannel(text).TokenValue).toBe('t');
    expect(() => parseOpenDataChannel('{"RequestId":"r"}')).toThrow(/TokenValue/);
  });
});
