// Runs one command over an authenticated connection without a terminal and hands
// its output to callbacks as it arrives (eic-ssh run). Stdin is closed at once (EOF,
// RFC 4254 §5.3): a fleet command reads nothing. The result is what RFC 4254 §6.10
// reports: "exit-status", or "exit-signal" when the command died of a signal.
import type { Client, ClientChannel } from 'ssh2';
import { EicError } from '../errors.js';

export interface ExecOutcome {
  // undefined when the server sent no exit-status (a signal, or a lost connection).
  exitStatus?: number;
  signal?: string;
}

export interface ExecCallbacks {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

export function execCapture(client: Client, command: string, callbacks: ExecCallbacks): Promise<ExecOutcome> {
  return new Promise<ExecOutcome>((resolve, reject) => {
    const outcome: ExecOutcome = {};
    let settled = false;
    const lost = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(new EicError('CONNECT', `connection lost: ${error.message}`, { cause: error }));
    };
    client.once('error', lost);
    // Wired synchronously inside the callback: exit-status and close may come in the same read.
    const opened = (error: Error | undefined, channel: ClientChannel) => {
      if (error !== undefined) {
        settled = true;
        reject(new EicError('SSH_CHANNEL', `the server refused to run the command: ${error.message}`, { cause: error }));
        return;
      }
      let stderrEnded = false;
      let closed = false;
      const done = () => {
        if (!closed || !stderrEnded || settled) return;
        settled = true;
        client.removeListener('error', lost);
        resolve(outcome);
      };
      channel.on('data', (chunk: Buffer) => callbacks.stdout(chunk));
      channel.stderr.on('data', (chunk: Buffer) => callbacks.stderr(chunk));
      channel.on('exit', (code: number | null, signal?: string) => {
        if (typeof code === 'number') outcome.exitStatus = code;
        else if (signal) outcome.signal = signal;
      });
      channel.stderr.once('end', () => {
        stderrEnded = true;
        done();
      });
      channel.once('close', () => {
        closed = true;
        // Some servers close without ending stderr explicitly.
        stderrEnded = true;
        done();
      });
      channel.end();
    };
    try {
      client.exec(command, opened);
    } catch (error) {
      settled = true;
      reject(new EicError('CONNECT', 'the connection is already closed', { cause: error }));
    }
  });
}
