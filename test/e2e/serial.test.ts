// `eic-ssh serial`: SendSerialConsoleSSHPublicKey (SerialPort 0) then the serial console
// endpoint as <instance-id>.port0, with the endpoint's host key checked against the
// published fingerprints (AWS's table, or EIC_SSH_SERIAL_HOST_KEYS as the sandbox
// sets); each serial-console error name gets its own clear message.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSerialSessions, serialKnobs } from '../../src/sandbox/serial-console.js';
import { runInPty } from '../support/pty-run.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => sandbox?.close());

describe('eic-ssh serial', () => {
  it('pushes a serial key for port 0, logs in as <id>.port0 and shows the serial line', async () => {
    const web1 = sandbox.instance('web-1');
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['serial', 'web-1'], { stdin: 'root\n' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdoutText).toMatch(/ttyS0\r\n\r\n\S+ login: root\r\n\S+ login: $/);
    expect(result.stderr).toContain(`serial console of ${web1.instanceId} (port 0)`);
    const push = sandbox.world.calls.find((c) => c.operation === 'SendSerialConsoleSSHPublicKey');
    expect(push?.status).toBe(200);
    expect(push?.params).toMatchObject({ InstanceId: web1.instanceId, SerialPort: 0 });
    expect(sandbox.world.operations()).not.toContain('SendSSHPublicKey');
    // The endpoint notices the disconnect a moment later; the session slot is freed.
    await vi.waitFor(() => expect(openSerialSessions(sandbox.world, web1.instanceId)).toBe(0), { timeout: 5000 });
  });

  it('refuses an endpoint whose host key is not a published one, and needs a published list', async () => {
    const wrong = await sandbox.run(['serial', 'web-1'], { stdin: '', env: { EIC_SSH_SERIAL_HOST_KEYS: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(wrong.code).toBe(255);
    expect(wrong.stderr).toMatch(/eic-ssh: the serial console endpoint 127\.0\.0\.1 presented host key SHA256:\S+, which is not a published one/);
    expect(wrong.stderr).toMatch(/hint: check EIC_SSH_SERIAL_HOST_KEYS/);
    // Without the variable, AWS's published fingerprint for the sandbox's Region
    // (us-east-1) is the list: the sandbox endpoint's own key is not it, so it is refused.
    const published = await sandbox.run(['serial', 'web-1'], { stdin: '', env: { EIC_SSH_SERIAL_HOST_KEYS: '' } });
    expect(published.code).toBe(255);
    expect(published.stderr).toMatch(/eic-ssh: the serial console endpoint 127\.0\.0\.1 presented host key SHA256:\S+, which is not a published one/);
    expect(published.stderr).toContain('hint: AWS publishes SHA256:dXwn5ma/xadVMeBZGEru5l2gx+yI5LDiJaLUcz0FMmw for us-east-1');
    // A Region the table does not know, without the variable: refused before any push.
    sandbox.world.calls.length = 0;
    const none = await sandbox.run(['serial', '--region', 'zz-nowhere-1', 'web-1'], { stdin: '', env: { EIC_SSH_SERIAL_HOST_KEYS: '' } });
    expect(none.code).toBe(255);
    expect(none.stderr).toMatch(/no published host key fingerprints known for the serial console endpoint 127\.0\.0\.1 \(region zz-nowhere-1\)/);
    expect(none.stderr).toMatch(/hint: set EIC_SSH_SERIAL_HOST_KEYS/);
    expect(sandbox.world.operations()).not.toContain('SendSerialConsoleSSHPublicKey');
    // A malformed entry is a usage error, also before any push.
    const malformed = await sandbox.run(['serial', 'web-1'], { stdin: '', env: { EIC_SSH_SERIAL_HOST_KEYS: 'MD5:00:11' } });
    expect(malformed.code).toBe(255);
    expect(malformed.stderr).toMatch(/EIC_SSH_SERIAL_HOST_KEYS entry 'MD5:00:11' is not a SHA256 fingerprint/);
    expect(sandbox.world.operations()).not.toContain('SendSerialConsoleSSHPublicKey');
  });

  it.each([
    ['access disabled', () => (serialKnobs(sandbox.world).accessDisabled = true), /EC2 Serial Console access is disabled/, /enable-serial-console-access/, 403, 'SerialConsoleAccessDisabledException'],
    ['not Nitro', () => serialKnobs(sandbox.world).nonNitroTypes.add('t3.micro'), /instance type does not support the serial console/, /Nitro/, 400, 'EC2InstanceTypeInvalidException'],
    ['unsupported', () => serialKnobs(sandbox.world).unsupportedInstances.add(sandbox.instance('web-1').instanceId), /serial console is not supported for this instance/, /Nitro/, 400, 'SerialConsoleSessionUnsupportedException'],
    ['unavailable', () => (serialKnobs(sandbox.world).unavailableNext = 1), /serial console session could not be started/, /try again/, 500, 'SerialConsoleSessionUnavailableException'],
  ] as const)('%s: a one-line error with a hint, exit 255', async (_name, set, message, hint, status, errorCode) => {
    const knobs = serialKnobs(sandbox.world);
    const saved = { accessDisabled: knobs.accessDisabled, nonNitro: new Set(knobs.nonNitroTypes), unsupported: new Set(knobs.unsupportedInstances) };
    set();
    try {
      const result = await sandbox.run(['serial', 'web-1'], { stdin: '' });
      expect(result.code).toBe(255);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(hint);
      expect(result.stdoutText).toBe('');
      const call = sandbox.world.calls.filter((c) => c.operation === 'SendSerialConsoleSSHPublicKey').at(-1);
      expect([call?.status, call?.errorCode]).toEqual([status, errorCode]);
    } finally {
      knobs.accessDisabled = saved.accessDisabled;
      knobs.nonNitroTypes = saved.nonNitro;
      knobs.unsupportedInstances = saved.unsupported;
      knobs.unavailableNext = 0;
    }
  });

  it('allows one session per instance: a second one is refused while the first is open', async () => {
    const web1 = sandbox.instance('web-1');
    const { PassThrough } = await import('node:stream');
    const stdin = new PassThrough();
    const first = sandbox.run(['serial', 'web-1'], { stdin });
    await vi.waitFor(() => expect(openSerialSessions(sandbox.world, web1.instanceId)).toBe(1), { timeout: 10_000 });
    const second = await sandbox.run(['serial', 'web-1'], { stdin: '' });
    expect(second.code).toBe(255);
    expect(second.stderr).toMatch(/already has a serial console session \(one at a time\)/);
    const refused = sandbox.world.calls.filter((c) => c.operation === 'SendSerialConsoleSSHPublicKey').at(-1);
    expect([refused?.status, refused?.errorCode]).toEqual([400, 'SerialConsoleSessionLimitExceededException']);
    stdin.end();
    expect((await first).code).toBe(0);
  });

  it('on a terminal (the built CLI in a pty) gets a PTY, and ~. disconnects with 255', async () => {
    const result = await runInPty({
      args: ['serial', 'web-1'],
      env: { ...process.env, ...sandbox.env, TERM: 'xterm' },
      size: { columns: 80, rows: 24 },
      steps: [
        { after: /login: $/, type: 'admin\r' },
        { after: /admin\r+\n\S+ login: $/, type: '~.' },
      ],
    });
    expect(result.output).toContain('admin');
    expect(result.code).toBe(255);
  });
});
