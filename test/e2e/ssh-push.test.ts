// SendSSHPublicKey end to end: every error name gets its own message, transient
// ones are retried, and an auth failure after the 60-second window re-pushes once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/aws.js';
import { explainPushError } from '../../src/aws/send-key.js';
import { EicError } from '../../src/errors.js';
import { generateEphemeralKey } from '../../src/ssh/key.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('web-1');
});
afterAll(async () => sandbox?.close());

const pushes = () => sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey');

describe('eic-ssh pushes its key', () => {
  it.each([
    ['ThrottlingException', 'throttleNextPushes'],
    ['EC2InstanceUnavailableException', 'unavailableNextPushes'],
    ['ServiceException', 'serviceErrorNextPushes'],
  ] as const)('retries %s with backoff and then connects', async (errorName, knob) => {
    sandbox.world.calls.length = 0;
    sandbox.world.knobs[knob] = 2;
    const result = await sandbox.run([`${user}@web-1`, 'echo connected']);
    expect(result.stdoutText).toBe('connected\n');
    expect(result.code).toBe(0);
    expect(pushes().map((c) => c.errorCode)).toEqual([errorName, errorName, undefined]);
  });

  it('explains an IAM denial (AuthException) and exits 255', async () => {
    sandbox.world.knobs.deniedOsUsers.add(user);
    try {
      const result = await sandbox.run([`${user}@web-1`, 'true']);
      expect(result.code).toBe(255);
      const id = sandbox.instance('web-1').instanceId;
      expect(result.stderr).toContain(`eic-ssh: not allowed to push a key to ${id} for OS user '${user}'`);
      expect(result.stderr).toMatch(/hint: allow ec2-instance-connect:SendSSHPublicKey on arn:aws:ec2:us-east-1:<account>:instance\//);
    } finally {
      sandbox.world.knobs.deniedOsUsers.delete(user);
    }
  });

  it('explains an invalid OS user name (InvalidArgsException)', async () => {
    const result = await sandbox.run(['-l', 'no spaces allowed', 'web-1', 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/EC2 Instance Connect rejected the request/);
    expect(result.stderr).toMatch(/hint: check the OS user name 'no spaces allowed'/);
  });

  it.each([
    ['EC2InstanceNotFoundException', () => 'i-0123456789abcdef0', 'TARGET_NOT_FOUND', /cannot find i-0123456789abcdef0/],
    ['EC2InstanceStateInvalidException', () => sandbox.instance('old-batch').instanceId, 'INSTANCE_STATE', /is not running/],
  ])('maps %s from the real service answer', async (_name, instanceId, code, message) => {
    const aws = await createAws({ env: sandbox.env });
    const request = { instanceId: instanceId(), osUser: user, publicKey: generateEphemeralKey().publicLine };
    const error = await aws.sendSshPublicKey(request).catch((e: unknown) => explainPushError(request, aws.region, e));
    expect(error).toBeInstanceOf(EicError);
    expect((error as EicError).code).toBe(code);
    expect((error as EicError).message).toMatch(message);
  });

  it('pushes again once when authentication fails after the 60-second window', async () => {
    sandbox.world.calls.length = 0;
    // The sandbox clock (which the instance's key check uses) jumps past the window
    // while the first push is in flight, as if the client had stalled for a minute.
    sandbox.world.events.once('push', () => sandbox.world.clock.advance(61_000));
    const result = await sandbox.run(['-v', `${user}@web-1`, 'echo made it']);
    expect(result.stdoutText).toBe('made it\n');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('auth failed after the 60 s key window: pushing the key again');
    expect(pushes()).toHaveLength(2);
    const id = sandbox.instance('web-1').instanceId;
    expect(sandbox.runtime(id).akcLog()).toMatch(/Providing ssh key from EC2 Instance Connect/);
  });

  it('does not push again when authentication fails inside the window', async () => {
    sandbox.world.calls.length = 0;
    // A key the instance rejects for another reason (its OS user does not exist there).
    const result = await sandbox.run(['-l', 'nobody-here', 'web-1', 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/eic-ssh: .*(denied|authenticat)/i);
    expect(result.stderr).toMatch(/hint: .*login user/i);
    expect(pushes()).toHaveLength(1);
  });
});
