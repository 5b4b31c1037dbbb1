// Everything a command reads from or writes to the terminal comes through Io,
// so that tests can run the real program in-process with buffers and fake TTYs.
import type { Readable, Writable } from 'node:stream';

export interface TerminalSize {
  columns: number;
  rows: number;
}

export interface Io {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Record<string, string | undefined>;
  // The size of the controlling terminal, or undefined when there is none.
  terminalSize(): TerminalSize | undefined;
  // Puts the local terminal in raw mode (true) or restores it (false); no-op without a TTY.
  setRawMode(raw: boolean): void;
  // Calls `listener` when the terminal is resized; returns an unsubscribe function.
  onResize(listener: () => void): () => void;
  // Calls `listener` on SIGINT/SIGTERM/SIGHUP; returns an unsubscribe function.
  onSignal(listener: (signal: NodeJS.Signals) => void): () => void;
}

export function systemIo(): Io {
  const stdin = process.stdin;
  const stdout = process.stdout;
  return {
    stdin,
    stdout,
    stderr: process.stderr,
    stdinIsTTY: Boolean(stdin.isTTY),
    stdoutIsTTY: Boolean(stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    terminalSize() {
      if (!stdout.isTTY) return undefined;
      return { columns: stdout.columns, rows: stdout.rows };
    },
    setRawMode(raw) {
      if (stdin.isTTY) stdin.setRawMode(raw);
    },
    onResize(listener) {
      stdout.on('resize', listener);
      return () => stdout.off('resize', listener);
    },
    onSignal(listener) {
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
      for (const s of signals) process.on(s, listener);
      return () => {
        for (const s of signals) process.off(s, listener);
      };
    },
  };
}
