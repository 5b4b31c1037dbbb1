// ssh-compatible forwarding against real sshd: -L to a real HTTP server, -D SOCKS5
// used by real curl, -R reached from the instance, all in one session, and -N
// holding the forwards until Ctrl-C.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runInBackground, startEchoHttp, type EchoHttp } from '../support/forward-helpers.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

const run = promisify(execFile);
let sandbox: TestSandbox;
let http: EchoHttp;
let target: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  http = await startEchoHttp();
  target = `${sandbox.userOf('web-1')}@web-1`;
});
afterAll(async () => {
  await http?.close();
  await sandbox?.close();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function httpCall(port: number, path: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('-L local forwarding', () => {
  it('-N -L serves a real HTTP server through the instance until Ctrl-C', async () => {
    const local = await freePort();
    const bg = runInBackground(sandbox, ['-N', '-v', '-L', `${local}:127.0.0.1:${http.port}`, target]);
    await bg.waitForStderr(/forward +-L 127\.0\.0\.1:\d+/);
    const answer = await httpCall(local, '/through-L');
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('hello /through-L');

    const payload = randomBytes(4 * 1024 * 1024);
    const echoed = await httpCall(local, '/echo', payload);
    expect(sha256(echoed.body)).toBe(sha256(payload));

    bg.io.signal('SIGINT');
    expect(await bg.done).toBe(0);
    expect(await refuses(local)).toBe(true);
  });

  it('binds loopback by default and an explicit address when given', async () => {
    const a = await freePort();
    const b = await freePort();
    const bg = runInBackground(sandbox, ['-N', '-v', '-L', `${a}:127.0.0.1:${http.port}`, '-L', `127.0.0.3:${b}:127.0.0.1:${http.port}`, target]);
    await bg.waitForStderr(new RegExp(`forward +-L 127\\.0\\.0\\.3:${b}`));
    expect(bg.io.stderrText()).toContain(`forward    -L 127.0.0.1:${a} → 127.0.0.1:${http.port}`);
    const viaExplicit = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.3', port: b, path: '/explicit', agent: false }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(viaExplicit).toBe('hello /explicit');
    bg.io.signal('SIGTERM');
    expect(await bg.done).toBe(0);
  });

  it('a local port in use is an error, exit 255, before anything runs', async () => {
    const busy = await startEchoHttp();
    try {
      const result = await sandbox.run(['-L', `${busy.port}:127.0.0.1:${http.port}`, target, 'echo should-not-run']);
      expect(result.code).toBe(255);
      expect(result.stdoutText).toBe('');
      expect(result.stderr).toContain(`eic-ssh: -L: cannot listen on 127.0.0.1 port ${busy.port}: EADDRINUSE`);
    } finally {
      await busy.close();
    }
  });

  it('reports a refused target per connection without ending the session', async () => {
    const local = await freePort();
    const closed = await freePort();
    const bg = runInBackground(sandbox, ['-N', '-v', '-L', `${local}:127.0.0.1:${closed}`, target]);
    await bg.waitForStderr(/forward +-L/);
    await expect(httpCall(local, '/')).rejects.toThrow();
    await bg.waitForStderr(new RegExp(`channel open failed: 127\\.0\\.0\\.1:${closed}: connect failed`));
    bg.io.signal('SIGINT');
    expect(await bg.done).toBe(0);
  });
});

describe('-D SOCKS5 dynamic forwarding', () => {
  it('real curl reaches the HTTP server by name (--socks5-hostname) and by address (--socks5)', async () => {
    const socks = await freePort();
    const bg = runInBackground(sandbox, ['-N', '-v', '-D', String(socks), target]);
    await bg.waitForStderr(/forward +-D 127\.0\.0\.1:\d+ \(SOCKS5\)/);
    const byName = await run('curl', ['-sS', '--max-time', '20', '--socks5-hostname', `127.0.0.1:${socks}`, `http://localhost:${http.port}/by-name`]);
    expect(byName.stdout).toBe('hello /by-name');
    const byAddress = await run('curl', ['-sS', '--max-time', '20', '--socks5', `127.0.0.1:${socks}`, `http://127.0.0.1:${http.port}/by-address`]);
    expect(byAddress.stdout).toBe('hello /by-address');
    expect(bg.io.stderrText()).toContain(`SOCKS      CONNECT localhost port ${http.port}`);
    expect(bg.io.stderrText()).toContain(`SOCKS      CONNECT 127.0.0.1 port ${http.port}`);

    // A refused target is answered with a SOCKS failure, not a hang.
    const closed = await freePort();
    const refused = await run('curl', ['-sS', '--max-time', '20', '--socks5-hostname', `127.0.0.1:${socks}`, `http://localhost:${closed}/`]).catch((e: { code: number; stderr: string }) => e);
    expect('code' in refused && refused.code).toBe(97); // CURLE_PROXY
    bg.io.signal('SIGINT');
    expect(await bg.done).toBe(0);
  });
});

describe('-R remote forwarding', () => {
  it('the instance reaches our HTTP server through -R, from a command in the same session', async () => {
    const remote = await freePort();
    const result = await sandbox.run(['-R', `${remote}:127.0.0.1:${http.port}`, target, `curl -sS --max-time 20 http://127.0.0.1:${remote}/from-instance`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdoutText).toBe('hello /from-instance');
  });

  it('-R 0 prints the allocated port, and bash /dev/tcp on the instance reaches it', async () => {
    const bg = runInBackground(sandbox, ['-N', '-R', `0:127.0.0.1:${http.port}`, target]);
    const [, port] = await bg.waitForStderr(/Allocated port (\d+) for remote forward to 127\.0\.0\.1:\d+/);
    const script = `exec 3<>/dev/tcp/127.0.0.1/${port}; printf 'GET /dev-tcp HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`;
    const result = await sandbox.run([target, `bash -c "${script}"`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdoutText).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello \/dev-tcp$/);
    bg.io.signal('SIGINT');
    expect(await bg.done).toBe(0);
  });
});

describe('-L, -R and -D together in one session', () => {
  it('serves all three over one connection and one key push', async () => {
    const [local, socks, remote] = [await freePort(), await freePort(), await freePort()];
    sandbox.world.calls.length = 0;
    const bg = runInBackground(sandbox, [
      '-N',
      '-v',
      '-L', `${local}:127.0.0.1:${http.port}`,
      '-D', String(socks),
      '-R', `${remote}:127.0.0.1:${http.port}`,
      target,
    ]);
    await bg.waitForStderr(/forward +-R/);
    expect((await httpCall(local, '/L')).body.toString()).toBe('hello /L');
    const viaSocks = await run('curl', ['-sS', '--max-time', '20', '--socks5-hostname', `127.0.0.1:${socks}`, `http://127.0.0.1:${http.port}/D`]);
    expect(viaSocks.stdout).toBe('hello /D');
    const fromInstance = await sandbox.run([target, `curl -sS --max-time 20 http://127.0.0.1:${remote}/R`]);
    expect(fromInstance.stdoutText).toBe('hello /R');
    bg.io.signal('SIGINT');
    expect(await bg.done).toBe(0);
    // The forwarding session pushed once; the separate curl command pushed once.
    expect(sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey')).toHaveLength(2);
  });
});
