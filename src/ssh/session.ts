// Runs one remote command or interactive shell on an authenticated connection and
// returns the exit status the way ssh(1) does (EXIT STATUS: "ssh exits with the
// exit status of the remote command or with 255 if an error occurred"):
//  - exit-status N → N (truncated to 8 bits, as exit(3) does for ssh);
//  - the command died of a signal (exit-signal) → 255: OpenSSH's client records
//    only "exit-status" (clientloop.c client_input_channel_req), so its exit status
//    stays -1 and ssh exits 255, printing nothing;
//  - connection lost, ~. typed, or a local SIGINT/SIGTERM/SIGHUP → 255.
// Terminal access goes through Io only; raw mode is always restored.
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import { EicError } from '../errors.js';
import type { Io } from '../io.js';
import { disconnectEcho, escapeHelpText, initialEscapeState, processEscapes } from './escape.js';

export interface SessionOptions {
  command?: string; // absent or '': interactive shell (ssh.c: an empty command means a shell)
  pty: boolean;
  term?: string; // default: io.env.TERM, else xterm-256color
  io: Io;
  // Default '~'. null disables escapes. Escapes are active only with a pty, as in
  // ssh(1): "When a pseudo-terminal has been requested, ssh supports a number of
  // functions through the use of an escape character."
  escapeChar?: string | null;
  env?: Record<string, string>; // sent as "env" requests; sshd keeps only AcceptEnv names
  host?: string; // names the host in notices ("Connection to i-… closed."); default 'remote host'
  quiet?: boolean; // ssh -q: no notices
}

export const DEFAULT_TERM = 'xterm-256color';
const FAILURE = 255;

export function runSession(client: Client, options: SessionOptions): Promise<number> {
  const host = options.host ?? 'remote host';
  return new Promise<number>((resolve, reject) => {
    // The channel is wired up inside ssh2's callback, synchronously: the packets
    // after the open confirmation (output, exit-status, close) may already be in
    // the same read, and an 'exit' event emitted before we listen would be lost.
    const opened = (error: Error | undefined, channel: ClientChannel) => {
      if (error !== undefined) {
        reject(new EicError('SSH_CHANNEL', `${host} refused to start the session: ${error.message}`, { cause: error }));
        return;
      }
      relay(client, channel, options, host).then(resolve, reject);
    };
    try {
      const pty = options.pty ? ptyRequest(options) : undefined;
      const env = options.env !== undefined && Object.keys(options.env).length > 0 ? { env: options.env } : {};
      if (options.command !== undefined && options.command !== '') {
        client.exec(options.command, { ...env, ...(pty === undefined ? {} : { pty }) }, opened);
      } else {
        client.shell(pty ?? false, env, opened);
      }
    } catch (error) {
      // ssh2 throws "Not connected" when the connection is already gone.
      reject(new EicError('CONNECT', `Connection to ${host} is closed`, { cause: error }));
    }
  });
}

// The pty-req of RFC 4254 §6.2: TERM and the local terminal size (80×24 when
// there is no local terminal, e.g. with -tt in a pipe). Pixel sizes are 0
// ("ignored if the character values are set").
function ptyRequest(options: SessionOptions): PseudoTtyOptions {
  const size = options.io.terminalSize() ?? { columns: 80, rows: 24 };
  const term = options.term || options.io.env.TERM || DEFAULT_TERM;
  return { term, cols: size.columns, rows: size.rows, width: 0, height: 0 };
}

type LostConnection = { error?: Error & { level?: string } };

// Moves bytes both ways until the channel closes, then restores the terminal.
function relay(client: Client, channel: ClientChannel, options: SessionOptions, host: string): Promise<number> {
  const { io } = options;
  const escapeChar = options.pty && options.escapeChar !== null ? (options.escapeChar ?? '~') : null;
  const closedNotice = options.pty ? `Connection to ${host} closed.\n` : undefined;
  return new Promise<number>((resolve) => {
    const cleanups: Array<() => void> = [];
    let exitStatus: number | undefined;
    let lost: LostConnection | undefined;
    let channelClosed = false;
    let stderrEnded = false;
    let finished = false;
    const finish = (status: number, notice?: string) => {
      if (finished) return;
      finished = true;
      for (const cleanup of cleanups.reverse()) cleanup();
      if (options.pty) io.setRawMode(false);
      if (notice !== undefined && options.quiet !== true) io.stderr.write(notice);
      resolve(status);
    };
    // Done when the channel is closed and both output streams are drained.
    const maybeDone = () => {
      if (!channelClosed || !stderrEnded) return;
      const status = exitStatus === undefined ? FAILURE : exitStatus & 0xff;
      finish(status, lost === undefined ? closedNotice : lostNotice(host, lost.error));
    };

    channel.on('exit', (code: number | null) => {
      if (typeof code === 'number') exitStatus = code;
    });
    channel.stderr.once('end', () => {
      stderrEnded = true;
      maybeDone();
    });
    channel.once('close', () => {
      channelClosed = true;
      maybeDone();
    });
    cleanups.push(pipeOutput(channel, io));
    cleanups.push(
      watchConnection(client, (why) => {
        if (!channelClosed) lost = why;
      }),
    );
    cleanups.push(
      pumpStdin(channel, io, escapeChar, () => {
        client.end();
        finish(FAILURE, closedNotice);
      }),
    );
    if (options.pty) {
      io.setRawMode(true);
      cleanups.push(forwardResizes(channel, io));
    }
    // ssh(1) quits with 255 on SIGINT/SIGTERM/SIGHUP (clientloop.c signal_handler,
    // then cleanup_exit(255)); in raw mode ^C is a byte for the remote side instead.
    cleanups.push(
      io.onSignal(() => {
        client.end();
        finish(FAILURE);
      }),
    );
  });
}

// Remote → local. pipe() applies back-pressure: a slow stdout stops the window
// adjustments, which stops the remote writer. A local stdout that fails (EPIPE:
// `eic-ssh i-… cat big | head`) is no longer written to; the remote output is
// drained so that the command can finish.
function pipeOutput(channel: ClientChannel, io: Io): () => void {
  channel.pipe(io.stdout, { end: false });
  channel.stderr.pipe(io.stderr, { end: false });
  const onOutputError = () => {
    channel.unpipe(io.stdout);
    channel.resume();
  };
  io.stdout.on('error', onOutputError);
  return () => {
    io.stdout.off('error', onOutputError);
    channel.unpipe(io.stdout);
    channel.stderr.unpipe(io.stderr);
  };
}

// The connection going away closes the channel too (ssh2 cleans up every
// channel); this only records why, for the notice.
function watchConnection(client: Client, onLost: (why: LostConnection) => void): () => void {
  let error: LostConnection['error'];
  const onError = (e: Error) => {
    error = e;
  };
  const onClose = () => onLost(error === undefined ? {} : { error });
  client.on('error', onError);
  client.on('close', onClose);
  return () => {
    client.off('error', onError);
    client.off('close', onClose);
  };
}

// Local → remote, binary-safe, pausing stdin while the channel is full; local
// EOF (or a read error, which OpenSSH treats the same way) becomes channel EOF.
// With an escape character, ~? prints help and ~. calls `disconnect`.
function pumpStdin(channel: ClientChannel, io: Io, escapeChar: string | null, disconnect: () => void): () => void {
  let escapeState = initialEscapeState;
  let stopped = false;
  const onData = (chunk: Buffer | string) => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (escapeChar !== null) {
      const result = processEscapes(escapeState, data, escapeChar);
      escapeState = result.state;
      data = result.forward;
      for (const event of result.events) {
        if (event === 'help') io.stderr.write(escapeHelpText(escapeChar));
      }
      // Like ssh, bytes typed in the same read before ~. are not sent either.
      if (result.events.includes('disconnect')) {
        io.stderr.write(disconnectEcho(escapeChar));
        disconnect();
        return;
      }
    }
    if (data.length > 0 && !channel.write(data)) io.stdin.pause();
  };
  const onDrain = () => {
    if (!stopped) io.stdin.resume();
  };
  const onEnd = () => {
    channel.end();
  };
  io.stdin.on('data', onData);
  // A listener does not restart a stream that was paused explicitly (the instance
  // picker's prompt leaves stdin so): flow again.
  io.stdin.resume();
  io.stdin.once('end', onEnd);
  io.stdin.once('error', onEnd);
  channel.on('drain', onDrain);
  return () => {
    stopped = true;
    io.stdin.off('data', onData);
    io.stdin.off('end', onEnd);
    io.stdin.off('error', onEnd);
    channel.off('drain', onDrain);
    io.stdin.pause();
  };
}

// SIGWINCH → "window-change" (RFC 4254 §6.7), for pty sessions only, like ssh.
function forwardResizes(channel: ClientChannel, io: Io): () => void {
  return io.onResize(() => {
    const size = io.terminalSize();
    if (size !== undefined) channel.setWindow(size.rows, size.columns, 0, 0);
  });
}

// OpenSSH's wording: "Timeout, server … not responding." for ServerAlive
// failures, "Connection to … closed by remote host." when the peer goes away.
function lostNotice(host: string, error: (Error & { level?: string }) | undefined): string {
  if (error?.level === 'client-timeout') return `Timeout, server ${host} not responding.\n`;
  if (error !== undefined) return `Connection to ${host} lost: ${error.message}\n`;
  return `Connection to ${host} closed by remote host.\n`;
}
