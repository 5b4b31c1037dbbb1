// A 200-instance fleet run against a sandbox that throttles SendSSHPublicKey to 10 per
// second (knobs.pushesPerSecond): the client-side rate limiter (rate-limit.ts) plus the
// backoff on ThrottlingException (send-key.ts) must finish with zero failures. All 200
// are real sshd instances (inetd mode, Ed25519 host keys only to keep startup light).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateFleet } from '../../src/sandbox/fleet-gen.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

const HOSTS = 200;
let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ hostKeyKinds: ['ed25519'], fleet: generateFleet(HOSTS, { mixes: ['public'] }) });
  sandbox.world.knobs.pushesPerSecond = 10;
}, 300_000);
afterAll(async () => sandbox?.close());

it(`runs on all ${HOSTS} instances with a push throttle of 10/s and no failures`, async () => {
  sandbox.world.calls.length = 0;
  const result = await sandbox.run(['run', '*', '--json', '--parallel', '20', '--', 'set -- $SSH_CONNECTION; echo "$3"']);
  expect(result.stderr).toBe(`eic-ssh run: ${HOSTS} succeeded, 0 failed, 0 unreachable (of ${HOSTS})\n`);
  expect(result.code).toBe(0);
  const reports = result.stdoutText.trim().split('\n').map((l) => JSON.parse(l) as { instanceId: string; stdout: string; status: string });
  expect(reports).toHaveLength(HOSTS);
  for (const report of reports) expect(report.stdout).toBe(`${sandbox.instance(report.instanceId).hostAddress}\n`);
  const pushes = sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey');
  const admitted = pushes.filter((c) => c.status === 200);
  expect(admitted).toHaveLength(HOSTS);
  // The client-side limiter (8/s, burst 2) keeps every one-second window at 10 or
  // fewer pushes, so the service never had to throttle.
  expect(pushes.filter((c) => c.errorCode === 'ThrottlingException')).toEqual([]);
}, 300_000);
