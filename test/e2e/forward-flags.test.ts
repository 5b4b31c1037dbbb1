// The other ssh-compatible flags against real sshd: -C negotiates compression, -F
// reads an ssh_config file for the target, and unsupported or unknown flags are
// refused before anything is sent to AWS.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runInBackground, startEchoHttp, type EchoHttp } from '../support/forward-helpers.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('web-1');
});
afterAll(async () => sandbox?.close());

describe('-C', () => {
  it('negotiates zlib compression both ways and still runs the command', async () => {
    const result = await sandbox.run(['-C', '-vv', `${user}@web-1`, 'echo compressed']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdoutText).toBe('compressed\n');
    expect(result.stderr).toMatch(/Handshake: C->S compression: zlib(@openssh\.com)?\n/);
    expect(result.stderr).toMatch(/Handshake: S->C compression: zlib(@openssh\.com)?\n/);
  });

  it('without -C, no compression', async () => {
    const result = await sandbox.run(['-vv', `${user}@web-1`, 'true']);
    expect(result.stderr).toContain('Handshake: C->S compression: none');
  });
});

describe('-F', () => {
  let http: EchoHttp;
  beforeAll(async () => {
    http = await startEchoHttp();
  });
  afterAll(async () => http?.close());

  it('takes User, HostName, Compression and LocalForward from the matching Host block', async () => {
    const local = await freePort();
    const file = join(sandbox.home, 'ssh_config');
    writeFileSync(
      file,
      [
        'Host other',
        '    User nobody-at-all',
        'Host app',
        `    HostName ${sandbox.instance('web-1').instanceId}`,
        `    User ${user}`,
        '    Compression yes',
        `    LocalForward ${local} 127.0.0.1:${http.port}`,
        '',
      ].join('\n'),
    );
    const once = await sandbox.run(['-F', file, '-vv', 'app', 'id -un']);
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdoutText).toBe(`${user}\n`);
    expect(once.stderr).toMatch(/Handshake: C->S compression: zlib/);

    const bg = runInBackground(sandbox, ['-F', file, '-N', '-v', 'app']);
    await bg.waitForStderr(new RegExp(`forward +-L 127\\.0\\.0\\.1:${local}`));
    const body = await fetch(`http://127.0.0.1:${local}/from-config`).then((r) => r.text());
    expect(body).toBe('hello /from-config');
    bg.io.signal('SIGINT');
    expect(await bg.done).toBe(0);
  });

  it('refuses a keyword it does not support, naming file and line, before any AWS call', async () => {
    const file = join(sandbox.home, 'bad_config');
    writeFileSync(file, 'Host web-*\n    ForwardAgent yes\n');
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['-F', file, `${user}@web-1`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(`eic-ssh: -F ${file} line 2: ForwardAgent is not supported by eic-ssh`);
    expect(sandbox.world.calls).toHaveLength(0);
  });

  it('a missing file is a clear error', async () => {
    const result = await sandbox.run(['-F', '/nonexistent/ssh_config', `${user}@web-1`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('eic-ssh: -F /nonexistent/ssh_config: cannot read it: no such file');
  });
});

describe('-f', () => {
  it('needs a command or -N, like ssh', async () => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['-f', `${user}@web-1`]);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/^eic-ssh: -f needs a command or -N\n  hint: /);
    expect(sandbox.world.calls).toHaveLength(0);
  });
});

describe('flags eic-ssh does not take', () => {
  it.each([
    [['-A'], 'eic-ssh: ssh option -A is not supported by eic-ssh'],
    [['-X'], 'eic-ssh: ssh option -X is not supported by eic-ssh'],
    [['-Z'], 'eic-ssh: unknown option -Z'],
    [['--frobnicate'], 'eic-ssh: unknown option --frobnicate'],
    [['-L', '8080'], "eic-ssh: -L '8080' is not [bind_address:]port:host:hostport"],
    [['-D', 'x'], "eic-ssh: -D x: 'x' is not a port number"],
    [['-R', '9000'], 'eic-ssh: -R 9000: remote dynamic (SOCKS) forwarding is not supported by eic-ssh'],
  ])('%j is refused with a message and a hint, and nothing is pushed', async (flags, message) => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run([...flags, `${user}@web-1`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr.split('\n')[0]).toBe(message);
    expect(result.stderr).toContain('  hint: ');
    expect(sandbox.world.calls).toHaveLength(0);
  });
});
