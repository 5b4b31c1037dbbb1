import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import {
  disconnectEcho,
  escapeHelpText,
  initialEscapeState,
  parseEscapeCharArg,
  processEscapes,
  type EscapeEvent,
  type EscapeState,
} from './escape.js';

// Feeds chunks one after the other, as stdin would deliver them.
function run(chunks: string[], escapeChar = '~'): { forward: string; events: EscapeEvent[]; state: EscapeState } {
  let state = initialEscapeState;
  let forward = '';
  const events: EscapeEvent[] = [];
  for (const chunk of chunks) {
    const result = processEscapes(state, Buffer.from(chunk, 'latin1'), escapeChar);
    state = result.state;
    forward += result.forward.toString('latin1');
    events.push(...result.events);
    if (result.events.includes('disconnect')) break;
  }
  return { forward, events, state };
}

describe('processEscapes', () => {
  it.each([
    { name: '~. at session start disconnects', chunks: ['~.'], forward: '', events: ['disconnect'] },
    { name: '~. after a newline disconnects', chunks: ['ls\n~.'], forward: 'ls\n', events: ['disconnect'] },
    { name: '~. after a carriage return disconnects', chunks: ['ls\r~.'], forward: 'ls\r', events: ['disconnect'] },
    { name: '~. in the middle of a line is sent as is', chunks: ['a~.'], forward: 'a~.', events: [] },
    { name: '~~ at a line start sends one ~', chunks: ['~~'], forward: '~', events: [] },
    { name: '~~. sends ~. (the second ~ is not at a line start)', chunks: ['~~.'], forward: '~.', events: [] },
    { name: '~ followed by another character sends both', chunks: ['~x'], forward: '~x', events: [] },
    { name: '~ followed by a newline sends both and stays at a line start', chunks: ['~\n~.'], forward: '~\n', events: ['disconnect'] },
    { name: '~? prints help and sends nothing', chunks: ['~?'], forward: '', events: ['help'] },
    { name: '~? keeps the line start, so ~. still works after it', chunks: ['~?~.'], forward: '', events: ['help', 'disconnect'] },
    { name: 'a ~ ending one chunk is completed by the next', chunks: ['\n~', '.'], forward: '\n', events: ['disconnect'] },
    { name: 'a ~ ending one chunk followed by text sends both', chunks: ['~', 'ab'], forward: '~ab', events: [] },
    { name: 'bytes after ~. in the same chunk are dropped', chunks: ['x\n~.rm -rf\n'], forward: 'x\n', events: ['disconnect'] },
    { name: 'OpenSSH escapes eic-ssh lacks pass through (~^Z)', chunks: ['~\x1a'], forward: '~\x1a', events: [] },
    { name: 'OpenSSH escapes eic-ssh lacks pass through (~C)', chunks: ['~C'], forward: '~C', events: [] },
    { name: 'plain text is unchanged', chunks: ['hello\nworld\n'], forward: 'hello\nworld\n', events: [] },
  ])('$name', ({ chunks, forward, events }) => {
    const result = run(chunks);
    expect(result.forward).toBe(forward);
    expect(result.events).toEqual(events);
  });

  it('uses the escape character it is given', () => {
    expect(run(['\x1d.'], '\x1d').events).toEqual(['disconnect']);
    expect(run(['~.'], '\x1d')).toMatchObject({ forward: '~.', events: [] });
  });

  it('is binary-safe for bytes that are not text', () => {
    const bytes = Buffer.from([0x00, 0xff, 0x7e, 0x0a, 0x7e, 0x7e, 0x80]);
    const result = processEscapes(initialEscapeState, bytes, '~');
    expect([...result.forward]).toEqual([0x00, 0xff, 0x7e, 0x0a, 0x7e, 0x80]);
  });

  it('does not change the state it is given', () => {
    const state = { atLineStart: true, pending: false };
    processEscapes(state, Buffer.from('abc'), '~');
    expect(state).toEqual({ atLineStart: true, pending: false });
  });

  it('refuses an escape character that is not one ASCII character', () => {
    expect(() => processEscapes(initialEscapeState, Buffer.from('x'), '~~')).toThrow(TypeError);
  });
});

describe('escape texts', () => {
  it('echoes ~. with a raw-mode line end', () => {
    expect(disconnectEcho('~')).toBe('~.\r\n');
  });

  it('lists only the escapes eic-ssh supports, with raw-mode line ends', () => {
    const help = escapeHelpText('~');
    expect(help).toContain(' ~.   - terminate connection\r\n');
    expect(help).toContain(' ~~   - send the escape character by typing it twice\r\n');
    expect(help).not.toContain('~B');
    expect(help.replace(/\r\n/g, '')).not.toContain('\n');
  });
});

describe('parseEscapeCharArg', () => {
  it.each([
    { arg: '~', expected: '~' },
    { arg: '%', expected: '%' },
    { arg: 'none', expected: null },
    { arg: '^]', expected: '\x1d' },
    { arg: '^a', expected: '\x01' },
    { arg: '^A', expected: '\x01' },
  ])('parses $arg', ({ arg, expected }) => {
    expect(parseEscapeCharArg(arg)).toBe(expected);
  });

  it.each(['', 'ab', 'é', '^1'])('rejects %j like ssh -e does', (arg) => {
    expect(() => parseEscapeCharArg(arg)).toThrow(UsageError);
  });

  it('takes a lone ^ as itself', () => {
    expect(parseEscapeCharArg('^')).toBe('^');
  });
});
