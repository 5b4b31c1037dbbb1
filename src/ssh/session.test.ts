// Component tests: runSession over a real connection to an in-process ssh2 server,
// with a test Io standing in for the terminal.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import type { Client } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestSshServer, type TestSshServer } from '../../test/support/ssh-test-server.js';
import { testIo, type TestIo, type TestIoOptions } from '../../test/support/test-io.js';
import { connectSsh } from './connect.js';
import { generateEphemeralKey } from './key.js';
import { runSession, type SessionOptions } from './session.js';

const HOST = 'i-0123456789abcdef0';
const key = generateEphemeralKey();
let server: TestSshServer;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startTestSshServer({ authorizedKey: key.publicLine });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.end();
});
afterAll(async () => {
  await server.close();
});

async function connected(): Promise<Client> {
  const client = await connectSsh({
    sock: connect(server.port, '127.0.0.1'),
    username: 'ec2-user',
    privateKey: key.privateKey,
    hostKeyAlias: HOST,
    verifyHostKey: (blob) => blob.equals(server.hostKeyBlob),
  });
  clients.push(client);
  return client;
}

async function run(
  options: Omit<SessionOptions, 'io' | 'pty'> & { pty?: boolean },
  ioOptions: TestIoOptions = {},
): Promise<{ status: number; io: TestIo }> {
  const io = testIo(ioOptions);
  const status = await runSession(await connected(), { pty: false, host: HOST, ...options, io });
  return { status, io };
}

// An interactive pty session whose stdin the test types into.
async function interactive(
  options: Partial<SessionOptions> = {},
  ioOptions: TestIoOptions = {},
): Promise<{ io: TestIo; keyboard: PassThrough; done: Promise<number> }> {
  const keyboard = new PassThrough();
  const io = testIo({ stdinIsTTY: true, stdoutIsTTY: true, ...ioOptions, stdin: keyboard });
  const done = runSession(await connected(), { pty: true, host: HOST, ...options, io });
  return { io, keyboard, done };
}

// Types a byte the echoing shell sends back: once it shows up on stdout, the
// session is wired both ways.
async function sync(io: TestIo, keyboard: PassThrough): Promise<void> {
  const echoed = once(io.stdout, 'data');
  keyboard.write('.');
  await echoed;
}

describe('runSession with a command', () => {
  it.each([0, 1, 42])('returns the remote exit status %i', async (code) => {
    const { status, io } = await run({ command: `exit ${String(code)}` });
    expect(status).toBe(code);
    expect(io.stderrText()).toBe('');
  });

  it('writes remote stdout to stdout', async () => {
    const { status, io } = await run({ command: 'echo hello world' });
    expect(status).toBe(0);
    expect(io.stdoutText()).toBe('hello world\n');
  });

  it('keeps remote stderr apart from stdout', async () => {
    const { status, io } = await run({ command: 'both' });
    expect(status).toBe(7);
    expect(io.stdoutText()).toBe('to stdout\n');
    expect(io.stderrText()).toBe('to stderr\n');
  });

  it('copies 1 MiB of random stdin through the remote side byte for byte, then sends EOF', async () => {
    const input = randomBytes(1024 * 1024);
    const chunks = Array.from({ length: 64 }, (_, i) => input.subarray(i * 16384, (i + 1) * 16384));
    const { status, io } = await run({ command: 'cat' }, { stdin: Readable.from(chunks) });
    // The remote cat exits only once it has read EOF: status 0 shows EOF was sent.
    expect(status).toBe(0);
    expect(io.stdoutBuffer().length).toBe(input.length);
    expect(io.stdoutBuffer().equals(input)).toBe(true);
  });

  it('returns 255 and prints nothing when the remote command dies of a signal, like ssh', async () => {
    const { status, io } = await run({ command: 'kill KILL' });
    expect(status).toBe(255);
    expect(io.stderrText()).toBe('');
  });

  it('returns 255 when the channel closes without an exit status', async () => {
    expect((await run({ command: 'no-status' })).status).toBe(255);
  });

  it('returns 255 and says so when the connection is lost', async () => {
    const { status, io } = await run({ command: 'drop' });
    expect(status).toBe(255);
    expect(io.stderrText()).toBe(`Connection to ${HOST} closed by remote host.\n`);
  });

  it('rejects with SSH_CHANNEL when the server refuses the command', async () => {
    await expect(run({ command: 'refuse' })).rejects.toMatchObject({ code: 'SSH_CHANNEL' });
  });

  it('sends env requests', async () => {
    const before = server.envs.length;
    await run({ command: 'exit 0', env: { LANG: 'C.UTF-8', LC_ALL: 'C' } });
    expect(server.envs.slice(before)).toEqual([
      { key: 'LANG', value: 'C.UTF-8' },
      { key: 'LC_ALL', value: 'C' },
    ]);
  });

  it('does not treat ~. as an escape without a pty', async () => {
    const { status, io } = await run({ command: 'cat' }, { stdin: '~.\n~.' });
    expect(status).toBe(0);
    expect(io.stdoutText()).toBe('~.\n~.');
  });

  it('leaves stdin paused with no listeners when the session ends', async () => {
    const stdin = new PassThrough();
    const { io } = await run({ command: 'exit 3' }, { stdin });
    expect(io.stdin.listenerCount('data')).toBe(0);
    expect(io.stdin.isPaused()).toBe(true);
    expect(io.signalListenerCount()).toBe(0);
  });

  it('requests no pty and touches no raw mode without pty', async () => {
    const before = server.ptys.length;
    const { io } = await run({ command: 'exit 0' });
    expect(server.ptys.length).toBe(before);
    expect(io.rawModeCalls).toEqual([]);
  });
});

describe('runSession with a pty', () => {
  it('requests a pty with TERM and the terminal size, in raw mode that is restored', async () => {
    const before = server.ptys.length;
    const { io, keyboard, done } = await interactive({}, { env: { TERM: 'vt220' }, size: { columns: 132, rows: 43 } });
    keyboard.write('exit\r');
    expect(await done).toBe(0);
    expect(server.ptys.slice(before)).toEqual([{ term: 'vt220', cols: 132, rows: 43 }]);
    expect(io.rawModeCalls).toEqual([true, false]);
    expect(io.stderrText()).toBe(`Connection to ${HOST} closed.\n`);
  });

  it('asks for xterm-256color and 80x24 when there is no TERM and no terminal', async () => {
    const before = server.ptys.length;
    const { keyboard, done } = await interactive({}, { stdoutIsTTY: false });
    keyboard.write('exit\r');
    await done;
    expect(server.ptys.slice(before)).toEqual([{ term: 'xterm-256color', cols: 80, rows: 24 }]);
  });

  it('uses an explicit term over TERM, and a pty for a command too', async () => {
    const before = server.ptys.length;
    const { status } = await run({ command: 'exit 5', pty: true, term: 'dumb' }, { env: { TERM: 'vt220' } });
    expect(status).toBe(5);
    expect(server.ptys.slice(before)).toEqual([{ term: 'dumb', cols: 80, rows: 24 }]);
  });

  it('forwards terminal resizes as window changes', async () => {
    const before = server.windowChanges.length;
    const { io, keyboard, done } = await interactive();
    await sync(io, keyboard);
    io.resize({ columns: 100, rows: 30 });
    await server.waitFor('window-change', before + 1);
    expect(server.windowChanges.slice(before)).toEqual([{ cols: 100, rows: 30 }]);
    keyboard.write('\rexit\r');
    expect(await done).toBe(0);
    expect(io.resizeListenerCount()).toBe(0);
  });

  it('disconnects on ~. at the start of the session and returns 255', async () => {
    const { io, keyboard, done } = await interactive();
    keyboard.write('~.');
    expect(await done).toBe(255);
    expect(io.stderrText()).toBe(`~.\r\nConnection to ${HOST} closed.\n`);
    expect(io.stdoutText()).toBe('');
    expect(io.rawModeCalls).toEqual([true, false]);
  });

  it('disconnects on ~. after a newline, having sent what came before', async () => {
    const { io, keyboard, done } = await interactive();
    await sync(io, keyboard);
    const echoed = once(io.stdout, 'data');
    keyboard.write('ls\r');
    await echoed;
    keyboard.write('~.');
    expect(await done).toBe(255);
    expect(io.stdoutText()).toBe('.ls\r');
  });

  it('sends ~~ as one ~ and prints help for ~?', async () => {
    const { io, keyboard, done } = await interactive();
    keyboard.write('~?');
    keyboard.write('~~x\rexit\r');
    expect(await done).toBe(0);
    expect(io.stdoutText()).toBe('~x\rexit\r');
    expect(io.stderrText()).toContain('Supported escape sequences:\r\n');
  });

  it('passes ~. through when the escape character is none', async () => {
    const { io, keyboard, done } = await interactive({ escapeChar: null });
    keyboard.write('~.\rexit\r');
    expect(await done).toBe(0);
    expect(io.stdoutText()).toBe('~.\rexit\r');
  });

  it('honours another escape character', async () => {
    const { keyboard, done } = await interactive({ escapeChar: '\x1d' });
    keyboard.write('~.\r\x1d.');
    expect(await done).toBe(255);
  });

  it('ends with 255 and restores the terminal on SIGTERM', async () => {
    const { io, keyboard, done } = await interactive();
    await sync(io, keyboard);
    io.signal('SIGTERM');
    expect(await done).toBe(255);
    expect(io.rawModeCalls).toEqual([true, false]);
    expect(io.signalListenerCount()).toBe(0);
  });

  it('prints no notices when quiet', async () => {
    const { io, keyboard, done } = await interactive({ quiet: true });
    keyboard.write('exit\r');
    await done;
    expect(io.stderrText()).toBe('');
  });
});
