// The byte wrapping of file-system calls through a reuse master (src/mux/fs.ts).
import { describe, expect, it } from 'vitest';
import { fromWire, toWire } from './fs.js';
import { decodeJson, encodeJson, FS_CALL, FrameDecoder } from './protocol.js';

describe('fs call wire form', () => {
  it('carries buffers as base64 and everything else as JSON', () => {
    const args = ['/tmp/x', Buffer.from([0, 255, 10]), 42, true];
    expect(toWire(args)).toEqual(['/tmp/x', { $b: 'AP8K' }, 42, true]);
    expect(fromWire(toWire(args))).toEqual(args);
  });

  it('round-trips an FS_CALL frame byte-exact', () => {
    const frame = encodeJson(FS_CALL, { id: 7, op: 'write', args: toWire([Buffer.from('h'), Buffer.from([1, 2]), 0]) });
    expect(frame.toString('hex')).toBe('07' + '0000003c' + Buffer.from('{"id":7,"op":"write","args":[{"$b":"aA=="},{"$b":"AQI="},0]}').toString('hex'));
    const [decoded] = new FrameDecoder().push(frame);
    const call = decodeJson<{ args: unknown[] }>(decoded.payload);
    expect(fromWire(call.args)).toEqual([Buffer.from('h'), Buffer.from([1, 2]), 0]);
  });
});
