// `eic-ssh tunnel TARGET`: stdio mode (a ProxyCommand; refuses a terminal), listener
// mode with one fresh websocket per TCP connection and a connection cap, no key push,
// and local EOF ending the tunnel with CLOSE 1000 and never an empty frame.
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/main.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { testIo } from '../support/test-io.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => sandbox?.close());

function readBanner(port: number): Promise<{ banner: string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', reject);
    socket.once('data', (chunk) => {
      resolve({ banner: chunk.toString('latin1'), closed });
      socket.end();
    });
  });
}

describe('eic-ssh tunnel', () => {
  it('bridges stdin/stdout to sshd, pushes no key, and ends with CLOSE 1000 on stdin EOF', async () => {
    sandbox.world.calls.length = 0;
    const stdin = new PassThrough();
    const io = testIo({ stdin, env: { ...sandbox.env } });
    const running = main(['tunnel', 'db-1'], io, sandbox.deps());
    await vi.waitFor(() => expect(io.stdoutText()).toMatch(/^SSH-2\.0-OpenSSH/), { timeout: 20_000 });
    stdin.write('SSH-2.0-eic-ssh-test\r\n');
    stdin.end();
    expect(await running).toBe(0);
    const tunnel = sandbox.world.tunnels.at(-1)!;
    await vi.waitFor(() => expect(tunnel.open).toBe(false));
    expect(tunnel).toMatchObject({ closeCode: 1000, closedBy: 'client', emptyFramesIn: 0, framesIn: 1, bytesIn: 22 });
    expect(sandbox.world.operations()).not.toContain('SendSSHPublicKey');
    expect(sandbox.world.operations()).toEqual(['DescribeInstances', 'DescribeInstanceConnectEndpoints']);
  });

  it.each([[['tunnel', '--help']], [['help', 'tunnel']]])('%j documents the command', async (argv) => {
    const io = testIo();
    expect(await main(argv, io, sandbox.deps())).toBe(0);
    expect(io.stdoutText()).toMatch(/^Open a bare EC2 Instance Connect Endpoint tunnel/);
    expect(io.stdoutText()).toContain('Usage: eic-ssh tunnel [<options>] <target>');
    expect(io.stdoutText()).toContain('--remote-port {22 | 3389}');
  });

  it('refuses a terminal on stdin', async () => {
    const io = testIo({ stdinIsTTY: true, env: { ...sandbox.env } });
    expect(await main(['tunnel', 'db-1'], io, sandbox.deps())).toBe(255);
    expect(io.stderrText()).toMatch(/does not support interactive mode/);
    expect(io.stderrText()).toMatch(/hint: .*ProxyCommand.*--local-port/);
  });

  it.each([
    [['--remote-port', '80', 'db-1'], /reach only ports 22 and 3389, not 80/],
    [['--bind', '0.0.0.0', 'db-1'], /--bind needs --local-port/],
    [['db-1', 'web-1'], /unexpected argument 'web-1'/],
    [[], /no target given/],
  ])('rejects %j before any AWS call', async (args, message) => {
    sandbox.world.calls.length = 0;
    const io = testIo({ env: { ...sandbox.env } });
    expect(await main(['tunnel', ...args], io, sandbox.deps())).toBe(255);
    expect(io.stderrText()).toMatch(message);
    expect(sandbox.world.calls).toHaveLength(0);
  });

  it('listens, opens one freshly signed websocket per connection, and caps connections', async () => {
    const io = testIo({ env: { ...sandbox.env } });
    const before = sandbox.world.tunnels.length;
    const running = main(['tunnel', '--local-port', '0', '--max-connections', '1', 'db-1'], io, sandbox.deps());
    await vi.waitFor(() => expect(io.stderrText()).toMatch(/Listening for connections on 127\.0\.0\.1 port \d+\./), { timeout: 20_000 });
    const port = Number(/port (\d+)\./.exec(io.stderrText())![1]);

    const first = await readBanner(port);
    expect(first.banner).toMatch(/^SSH-2\.0-OpenSSH/);
    await first.closed;
    const second = await readBanner(port);
    expect(second.banner).toMatch(/^SSH-2\.0-OpenSSH/);
    await second.closed;
    const made = sandbox.world.tunnels.slice(before);
    expect(made).toHaveLength(2);
    expect(new Set(made.map((t) => t.requestId)).size).toBe(2);

    // Over the cap: held open, a second connection is closed at once.
    const held = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => held.once('data', resolve));
    const refused = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => refused.once('close', resolve));
    expect(io.stderrText()).toContain('Max websocket connections 1 have been reached, closing incoming connection.');
    held.destroy();

    io.signal('SIGINT');
    expect(await running).toBe(0);
    expect(io.stderrText()).toMatch(/\[1\] Accepted new tcp connection, opening websocket tunnel\./);
    expect(io.stderrText()).toMatch(/\[1\] Closing tcp connection\./);
  });
});
