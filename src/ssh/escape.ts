// The OpenSSH escape character (ssh(1) ESCAPE CHARACTERS) as a pure state machine
// over stdin bytes. Like OpenSSH's process_escapes() (clientloop.c):
//  - the escape character is recognised only at the start of the session or right
//    after a newline ('\r' or '\n'): "The escape character is only recognized at
//    the beginning of a line";
//  - ~. disconnects; ~? prints the supported escapes; ~~ sends one ~;
//  - any other character after ~ is sent as is, preceded by the ~;
//  - a ~ at the end of one chunk waits for the next chunk.
// Escapes OpenSSH has but eic-ssh cannot honour through its Io (~^Z suspend,
// ~& background, ~C command line, ~B, ~R, ~V/~v, ~#) are passed through like any
// other character, and left out of the ~? help.
import { UsageError } from '../errors.js';

export interface EscapeState {
  readonly atLineStart: boolean;
  readonly pending: boolean; // the previous byte was an escape character at a line start
}

export type EscapeEvent = 'help' | 'disconnect';

export interface EscapeResult {
  state: EscapeState;
  forward: Buffer; // bytes to send to the remote side
  events: EscapeEvent[]; // in order; nothing after 'disconnect' is processed
}

// ssh(1) starts as if a newline had just been typed (clientloop.c: last_was_cr = 1).
export const initialEscapeState: EscapeState = { atLineStart: true, pending: false };

export function processEscapes(state: EscapeState, input: Buffer, escapeChar: string): EscapeResult {
  const escape = escapeByte(escapeChar);
  const out: number[] = [];
  const events: EscapeEvent[] = [];
  let { atLineStart, pending } = state;
  for (const byte of input) {
    if (pending) {
      pending = false;
      if (byte === DOT) {
        events.push('disconnect');
        return { state: { atLineStart, pending }, forward: Buffer.from(out), events };
      }
      if (byte === QUESTION) {
        events.push('help');
        continue; // still at a line start: another escape may follow
      }
      if (byte !== escape) out.push(escape);
    } else if (atLineStart && byte === escape) {
      pending = true;
      continue;
    }
    atLineStart = byte === CR || byte === LF;
    out.push(byte);
  }
  return { state: { atLineStart, pending }, forward: Buffer.from(out), events };
}

// What OpenSSH echoes on stderr for ~. (the terminal is in raw mode, hence \r\n).
export function disconnectEcho(escapeChar: string): string {
  return `${escapeChar}.\r\n`;
}

// The ~? text, in OpenSSH's layout, listing only what eic-ssh supports.
export function escapeHelpText(escapeChar: string): string {
  const e = escapeChar;
  return [
    `${e}?`,
    'Supported escape sequences:',
    ` ${e}.   - terminate connection`,
    ` ${e}?   - this message`,
    ` ${e}${e}   - send the escape character by typing it twice`,
    '(Note that escapes are only recognized immediately after newline.)',
    '',
  ].join('\r\n');
}

// Parses ssh -e / EscapeChar like OpenSSH's readconf.c: 'none' disables escapes
// (null), '^X' is a control character (the byte & 31), one character is itself.
export function parseEscapeCharArg(arg: string): string | null {
  if (arg === 'none') return null;
  if (/^\^[\x40-\x7f]$/.test(arg)) return String.fromCharCode(arg.charCodeAt(1) & 0x1f);
  if (arg.length === 1 && arg.charCodeAt(0) < 0x80) return arg;
  throw new UsageError(`Bad escape character '${arg}'.`, "Use a single character, '^X' or 'none'.");
}

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const QUESTION = 0x3f;

function escapeByte(escapeChar: string): number {
  if (escapeChar.length !== 1 || escapeChar.charCodeAt(0) >= 0x80) {
    throw new TypeError('the escape character must be a single ASCII character');
  }
  return escapeChar.charCodeAt(0);
}
