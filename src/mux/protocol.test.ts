// Byte fixtures for the mux frame codec (src/mux/protocol.ts).
import { describe, expect, it } from 'vitest';
import {
  decodeExit,
  decodeJson,
  decodeWindow,
  encodeExit,
  encodeFrame,
  encodeJson,
  encodeWindow,
  FrameDecoder,
  MAX_FRAME,
  MuxProtocolError,
  OPEN,
  STDIN,
  STDIN_EOF,
  STDOUT,
} from './protocol.js';

describe('mux frames', () => {
  it('encodes type, big-endian length and payload', () => {
    expect(encodeFrame(STDIN, Buffer.from([0x00, 0xff, 0x0a])).toString('hex')).toBe('020000000300ff0a');
    expect(encodeFrame(STDIN_EOF).toString('hex')).toBe('0300000000');
  });

  it('encodes window changes as rows then columns', () => {
    expect(encodeWindow(24, 80).toString('hex')).toBe('04000000080000001800000050');
    expect(decodeWindow(Buffer.from('0000001800000050', 'hex'))).toEqual({ rows: 24, columns: 80 });
  });

  it('encodes exit status as u32', () => {
    expect(encodeExit(42).toString('hex')).toBe('84000000040000002a');
    expect(decodeExit(Buffer.from('0000002a', 'hex'))).toBe(42);
    expect(() => decodeExit(Buffer.from('2a', 'hex'))).toThrow(MuxProtocolError);
  });

  it('encodes JSON requests as UTF-8', () => {
    expect(encodeJson(OPEN, { command: 'id' }).toString('hex')).toBe('0100000010' + Buffer.from('{"command":"id"}').toString('hex'));
    expect(decodeJson(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(() => decodeJson(Buffer.from('{'))).toThrow(MuxProtocolError);
  });
});

describe('FrameDecoder', () => {
  it('reassembles frames split at every byte and frames sharing a read', () => {
    const wire = Buffer.concat([encodeFrame(STDOUT, Buffer.from('hello')), encodeFrame(STDIN_EOF), encodeExit(3)]);
    const decoder = new FrameDecoder();
    const frames = [];
    for (const byte of wire) frames.push(...decoder.push(Buffer.from([byte])));
    expect(frames.map((f) => [f.type, f.payload.toString('hex')])).toEqual([
      [STDOUT, Buffer.from('hello').toString('hex')],
      [STDIN_EOF, ''],
      [0x84, '00000003'],
    ]);
    expect(decoder.pending()).toBe(0);
    expect(new FrameDecoder().push(wire)).toHaveLength(3);
  });

  it('keeps a partial frame pending', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.from('0200000003ab', 'hex'))).toEqual([]);
    expect(decoder.pending()).toBe(6);
  });

  it('rejects unknown types and oversized frames', () => {
    expect(() => new FrameDecoder().push(Buffer.from('7f00000000', 'hex'))).toThrow(/unknown mux frame type 0x7f/);
    const big = Buffer.alloc(5);
    big.writeUInt8(STDIN, 0);
    big.writeUInt32BE(MAX_FRAME + 1, 1);
    expect(() => new FrameDecoder().push(big)).toThrow(/exceeds/);
    expect(() => encodeFrame(STDIN, Buffer.alloc(MAX_FRAME + 1))).toThrow(RangeError);
  });
});
