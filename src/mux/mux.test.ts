// The mux master and client together, in-process, over a real Unix socket and a
// real ssh2 connection to the component-test SSH server: the reused session must
// behave exactly like a direct one in runSession (src/ssh/session.ts).
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Client } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestSshServer, type TestSshServer } from '../../test/support/ssh-test-server.js';
import { testIo, type TestIoOptions } from '../../test/support/test-io.js';
import { connectSsh } from '../ssh/connect.js';
import { generateEphemeralKey } from '../ssh/key.js';
import { runSession, type SessionOptions } from '../ssh/session.js';
import { askMaster, connectMaster, MuxConnection } from './client.js';
import { startMaster, type RunningMaster } from './master.js';
import { STATUS, STOP } from './protocol.js';

const key = generateEphemeralKey();
let server: TestSshServer;
let dir: string;
let master: RunningMaster;
let socketPath: string;

beforeAll(async () => {
  server = await startTestSshServer({ authorizedKey: key.publicLine });
  dir = mkdtempSync(join(tmpdir(), 'eic-mux-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
let counter = 0;
async function freshMaster(persistMs = 60_000): Promise<void> {
  const client = await connectSsh({
    sock: connect(server.port, '127.0.0.1'),
    username: 'ec2-user',
    privateKey: key.privateKey,
    hostKeyAlias: 'i-0123456789abcdef0',
    verifyHostKey: (blob) => blob.equals(server.hostKeyBlob),
  });
  socketPath = join(dir, `m${counter++}.sock`);
  master = await startMaster({ client, socketPath, persistMs, target: 'ec2-user@i-0123456789abcdef0 (direct)', typed: 'web-1', pid: 4242, now: () => Date.now() });
}
afterEach(async () => {
  master?.stop();
  await master?.done;
});

async function reused(): Promise<Client> {
  const socket = await connectMaster(socketPath);
  if (!socket) throw new Error('no master');
  return new MuxConnection(socket) as unknown as Client;
}

async function run(options: Omit<SessionOptions, 'io' | 'pty'> & { pty?: boolean }, ioOptions: TestIoOptions = {}) {
  const io = testIo(ioOptions);
  const status = await runSession(await reused(), { pty: false, host: 'web-1', ...options, io });
  return { status, io };
}

describe('sessions through a mux master', () => {
  it('pass exit status, stdout, stderr and stdin, several times over one SSH connection', async () => {
    await freshMaster();
    const authBefore = server.count('auth');
    expect((await run({ command: 'exit 42' })).status).toBe(42);
    const both = await run({ command: 'both' });
    expect(both.status).toBe(7);
    expect(both.io.stdoutText()).toBe('to stdout\n');
    expect(both.io.stderrText()).toBe('to stderr\n');
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 13) & 0xff));
    const cat = await run({ command: 'cat' }, { stdin: bytes });
    expect(cat.status).toBe(0);
    expect(cat.io.stdoutBuffer().equals(bytes)).toBe(true);
    expect(server.count('auth')).toBe(authBefore);
  });

  it('maps exit-signal and a missing exit status to 255, and forwards env', async () => {
    await freshMaster();
    expect((await run({ command: 'kill TERM' })).status).toBe(255);
    expect((await run({ command: 'no-status' })).status).toBe(255);
    const envBefore = server.envs.length;
    await run({ command: 'exit 0', env: { LANG: 'C.UTF-8' } });
    expect(server.envs.slice(envBefore)).toEqual([{ key: 'LANG', value: 'C.UTF-8' }]);
  });

  it('runs concurrent sessions, counting them busy, then idle again', async () => {
    await freshMaster();
    const keyboards = [new PassThrough(), new PassThrough()];
    const ios = keyboards.map((stdin) => testIo({ stdin }));
    const clients = await Promise.all(ios.map(() => reused()));
    const done = ios.map((io, i) => runSession(clients[i], { pty: false, host: 'web-1', command: 'cat', io }));
    const echoed = ios.map((io) => once(io.stdout, 'data'));
    keyboards.forEach((k, i) => k.write(`session ${i}\n`));
    await Promise.all(echoed);
    const busy = await askMaster(socketPath, STATUS);
    expect(busy).toMatchObject({ sessions: 2, idleSince: null });
    keyboards.forEach((k) => k.end());
    expect(await Promise.all(done)).toEqual([0, 0]);
    expect(ios.map((io) => io.stdoutText())).toEqual(['session 0\n', 'session 1\n']);
    const idle = await askMaster(socketPath, STATUS);
    expect(idle).toMatchObject({ sessions: 0, idleSince: expect.any(Number) });
  });

  it('reports a refused exec as the session error', async () => {
    await freshMaster();
    await expect(run({ command: 'refuse' })).rejects.toThrow(/refused to start the session/);
  });

  it('sends the pty request and window changes', async () => {
    await freshMaster();
    const ptysBefore = server.ptys.length;
    const changesBefore = server.windowChanges.length;
    const keyboard = new PassThrough();
    const io = testIo({ stdinIsTTY: true, stdoutIsTTY: true, stdin: keyboard, size: { columns: 90, rows: 20 }, env: { TERM: 'vt100' } });
    const done = runSession(await reused(), { pty: true, host: 'web-1', io });
    const echoed = once(io.stdout, 'data');
    keyboard.write('.');
    await echoed;
    io.resize({ columns: 100, rows: 30 });
    await server.waitFor('window-change', changesBefore + 1);
    keyboard.write('\rexit\r');
    expect(await done).toBe(0);
    expect(server.ptys.slice(ptysBefore)).toEqual([{ term: 'vt100', cols: 90, rows: 20 }]);
    expect(server.windowChanges.slice(changesBefore)).toEqual([{ cols: 100, rows: 30 }]);
  });

  it('answers STATUS, keeps its socket 0600, and STOP removes it', async () => {
    await freshMaster();
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    const status = await askMaster(socketPath, STATUS);
    expect(status).toMatchObject({ pid: 4242, target: 'ec2-user@i-0123456789abcdef0 (direct)', typed: 'web-1', sessions: 0 });
    expect(status?.idleSince).toEqual(expect.any(Number));
    await askMaster(socketPath, STOP);
    await master.done;
    expect(existsSync(socketPath)).toBe(false);
    expect(await askMaster(socketPath, STATUS)).toBeUndefined();
  });

  it('stops after the idle time with no session', async () => {
    await freshMaster(50);
    await master.done;
    expect(existsSync(socketPath)).toBe(false);
  });

  it('stops when its SSH connection drops; an open session ends with 255', async () => {
    await freshMaster();
    const keyboard = new PassThrough();
    const io = testIo({ stdin: keyboard });
    const done = runSession(await reused(), { pty: false, host: 'web-1', command: 'cat', io });
    const echoed = once(io.stdout, 'data');
    keyboard.write('x');
    await echoed;
    server.dropConnections();
    expect(await done).toBe(255);
    await master.done;
    expect(existsSync(socketPath)).toBe(false);
  });
});
