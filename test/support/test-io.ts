// A fake Io for running commands in-process in tests: stdin from a Buffer, a
// string or any Readable; stdout and stderr recorded from PassThrough streams;
// TTY flags, environment and terminal size chosen by the test; raw-mode calls,
// resizes and signals observable and triggerable.
import { PassThrough, type Readable } from 'node:stream';
import type { Io, TerminalSize } from '../../src/io.js';

export interface TestIoOptions {
  // Buffer or string: that input, then EOF. Readable: used as is (a PassThrough
  // lets a test type over time). Absent: empty input, like </dev/null.
  stdin?: Buffer | string | Readable;
  stdinIsTTY?: boolean; // default false
  stdoutIsTTY?: boolean; // default false
  stderrIsTTY?: boolean; // default false
  env?: Record<string, string | undefined>; // default {}
  // The terminal size reported while stdout is a TTY (as systemIo does); default 80×24.
  size?: TerminalSize;
}

export interface TestIo extends Io {
  stdoutBuffer(): Buffer;
  stdoutText(): string;
  stderrText(): string;
  // Changes the terminal size and notifies onResize listeners, like SIGWINCH.
  resize(size: TerminalSize): void;
  // Delivers a signal to onSignal listeners.
  signal(signal: NodeJS.Signals): void;
  // Every setRawMode call, in order (recorded even when stdin is not a TTY).
  rawModeCalls: boolean[];
  resizeListenerCount(): number;
  signalListenerCount(): number;
}

export function testIo(options: TestIoOptions = {}): TestIo {
  const stdout = recordingStream();
  const stderr = recordingStream();
  const stdoutIsTTY = options.stdoutIsTTY ?? false;
  let size: TerminalSize = options.size ?? { columns: 80, rows: 24 };
  const resizeListeners = new Set<() => void>();
  const signalListeners = new Set<(signal: NodeJS.Signals) => void>();
  const rawModeCalls: boolean[] = [];

  return {
    stdin: stdinStream(options.stdin),
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdinIsTTY: options.stdinIsTTY ?? false,
    stdoutIsTTY,
    stderrIsTTY: options.stderrIsTTY ?? false,
    env: { ...(options.env ?? {}) },
    terminalSize: () => (stdoutIsTTY ? { ...size } : undefined),
    setRawMode: (raw) => {
      rawModeCalls.push(raw);
    },
    onResize: (listener) => subscribe(resizeListeners, listener),
    onSignal: (listener) => subscribe(signalListeners, listener),
    stdoutBuffer: () => Buffer.concat(stdout.chunks),
    stdoutText: () => Buffer.concat(stdout.chunks).toString('utf8'),
    stderrText: () => Buffer.concat(stderr.chunks).toString('utf8'),
    resize: (next) => {
      size = { ...next };
      for (const listener of [...resizeListeners]) listener();
    },
    signal: (signal) => {
      for (const listener of [...signalListeners]) listener(signal);
    },
    rawModeCalls,
    resizeListenerCount: () => resizeListeners.size,
    signalListenerCount: () => signalListeners.size,
  };
}

function stdinStream(input: TestIoOptions['stdin']): Readable {
  if (input !== undefined && typeof input !== 'string' && !Buffer.isBuffer(input)) return input;
  const stream = new PassThrough();
  stream.end(input ?? Buffer.alloc(0));
  return stream;
}

// A PassThrough that is always read, so writers never see back-pressure from a
// buffer nobody drains.
function recordingStream(): { stream: PassThrough; chunks: Buffer[] } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, chunks };
}

function subscribe<T>(set: Set<T>, listener: T): () => void {
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}
