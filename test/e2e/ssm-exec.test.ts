// eic-ssh --via ssm against real sshd through the sandbox's Session Manager (ssm.md §2):
// StartSession, the signed upgrade, OpenDataChannel, the handshake, SSH as Output
// payloads; exit status, binary data both ways, a PTY, and a clean end (flag + API).
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { runInPty } from '../support/pty-run.js';

let sandbox: TestSandbox;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('db-1');
});
afterAll(async () => sandbox?.close());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('eic-ssh --via ssm', () => {
  it('runs a command on a private instance and passes its exit status through', async () => {
    const ok = await sandbox.run(['--via', 'ssm', `${user}@db-1`, 'echo hello over ssm; hostname >/dev/null']);
    expect(ok.stdoutText).toBe('hello over ssm\n');
    expect(ok.code, ok.stderr).toBe(0);
    const failed = await sandbox.run(['--via', 'ssm', `${user}@db-1`, 'exit 42']);
    expect(failed.code).toBe(42);
  });

  it('calls StartSession with AWS-StartSSHSession, signs the upgrade, and terminates the session', async () => {
    sandbox.world.calls.length = 0;
    sandbox.world.knobs.ssmRequireSignedUpgrade = true; // the sandbox verifies the SigV4 upgrade (ssmmessages)
    const result = await sandbox.run(['-v', '--via', 'ssm', `${user}@db-1`, 'true']).finally(() => {
      sandbox.world.knobs.ssmRequireSignedUpgrade = false;
    });
    expect(result.code, result.stderr).toBe(0);
    const start = sandbox.world.calls.find((c) => c.operation === 'StartSession');
    expect(start?.params).toMatchObject({ Target: sandbox.instance('db-1').instanceId, DocumentName: 'AWS-StartSSHSession', Parameters: { portNumber: ['22'] } });
    const open = sandbox.world.calls.filter((c) => c.operation === 'OpenDataChannel');
    expect(open).toHaveLength(1);
    expect(open[0].params).toMatchObject({ signed: true });
    expect(sandbox.world.calls.filter((c) => c.operation === 'TerminateSession')).toHaveLength(1);
    const sessionId = String(sandbox.world.calls.find((c) => c.operation === 'TerminateSession')?.params.SessionId);
    expect(sandbox.world.ssmSessions.get(sessionId)?.status).not.toBe('Connected');
    expect(result.stderr).toMatch(/route +ssm: SSM session \S+ \(agent [\d.]+\) to port 22/);
    // -v never shows the session token (the sandbox's are 128 base64 characters) or a signature.
    expect(result.stderr).not.toMatch(/[A-Za-z0-9+/]{100,}/);
    expect(result.stderr).not.toMatch(/Signature=|TokenValue/);
  });

  it('carries 4 MiB of random bytes up and back byte-exact (faithful agent pacing)', async () => {
    const payload = randomBytes(4 * 1024 * 1024);
    const result = await sandbox.run(['--via', 'ssm', `${user}@db-1`, 'cat'], { stdin: payload });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.length).toBe(payload.length);
    expect(sha(result.stdout)).toBe(sha(payload));
  });

  it('answers TargetNotConnected with a clear error and exit 255', async () => {
    const instance = sandbox.instance('db-1');
    const saved = instance.ssm!.pingStatus;
    instance.ssm!.pingStatus = 'ConnectionLost';
    try {
      const result = await sandbox.run(['--via', 'ssm', `${user}@db-1`, 'true']);
      expect(result.code).toBe(255);
      expect(result.stderr).toContain(`${instance.instanceId} is not connected to Systems Manager`);
    } finally {
      instance.ssm!.pingStatus = saved;
    }
  });

  it('gives an interactive shell a PTY over SSM and returns its exit status', async () => {
    const result = await runInPty({
      args: ['--via', 'ssm', `${user}@db-1`],
      env: { ...process.env, ...sandbox.env, TERM: 'vt220' },
      size: { columns: 101, rows: 33 },
      steps: [{ after: /\$ $/m, type: 'echo "T=$TERM"; stty size; tty; exit 5\n' }],
    });
    expect(result.output).toContain('T=vt220');
    expect(result.output).toContain('33 101');
    expect(result.output).toMatch(/\/dev\/pts\/\d+/);
    expect(result.code).toBe(5);
  });
});
