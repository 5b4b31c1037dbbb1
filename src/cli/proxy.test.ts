import { connect, createServer, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EicError } from '../errors.js';
import { parseProxyArgs, relay } from './proxy.js';

describe('parseProxyArgs', () => {
  it.each([
    [['ec2-user@i-0abc:22'], { target: 'i-0abc', user: 'ec2-user', port: 22 }],
    [['ubuntu@web-1:2222'], { target: 'web-1', user: 'ubuntu', port: 2222 }],
    [['i-0abc', '22', 'admin'], { target: 'i-0abc', user: 'admin', port: 22 }],
    [['i-0abc'], { target: 'i-0abc', user: undefined, port: undefined }],
    [['--push-key', '/k.pub', '--via', 'ssm', '-v', 'u@h:22'], { pushKeyFile: '/k.pub', via: 'ssm', verbosity: 1, target: 'h' }],
    [['--push-key=/k.pub', 'u@h:22'], { pushKeyFile: '/k.pub' }],
    [['-o', 'ConnectTimeout=4', '--region', 'eu-west-1', 'u@h:22'], { connectTimeoutSeconds: 4, region: 'eu-west-1' }],
  ])('%j', (argv, expected) => {
    expect(parseProxyArgs(argv)).toMatchObject(expected);
  });

  it.each([
    [[], /proxy: no target given/],
    [['u@h:22', 'extra'], /proxy: unexpected arguments: extra/],
    [['h', 'ssh', 'u'], /'ssh' is not a port number/],
    [['-i', '/k', 'u@h:22'], /-i does not apply/],
    [['-L', '1:a:1', 'u@h:22'], /-L, -R, -D, -N, -C and -F do not apply/],
    [['--push-key'], /--push-key needs a value/],
  ])('rejects %j', (argv, message) => {
    let error: unknown;
    try {
      parseProxyArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EicError);
    expect((error as EicError).message).toMatch(message);
  });
});

describe('relay', () => {
  it('carries both ways, passes stdin EOF on as a half-close, and ends when the route ends', async () => {
    let received = '';
    const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
      socket.write('banner;');
      socket.on('data', (d: Buffer) => (received += d.toString()));
      // Answers only after our EOF: proves the half-close arrives and the reply still flows back.
      socket.on('end', () => socket.end(`got ${received.length} bytes`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const sock = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => sock.once('connect', resolve));
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (d: Buffer) => out.push(d));
    stdin.end(Buffer.alloc(300_000, 7));
    await relay(sock, stdin, stdout, 'i-test');
    server.close();
    expect(received.length).toBe(300_000);
    expect(Buffer.concat(out).toString()).toBe('banner;got 300000 bytes');
  });

  it('turns a route error into a CONNECT error', async () => {
    const server = createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sock = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
    const stdin = new PassThrough();
    await expect(relay(sock, stdin, new PassThrough(), 'i-test')).rejects.toMatchObject({ code: 'CONNECT', message: expect.stringContaining('connection to i-test lost: ECONNRESET') });
    server.close();
  });
});
