// Every EICE failure the user can meet, each with its one-line message, its hint and
// exit status 255 (eice.md §6.4, §8, §10): refused handshakes with the endpoint's
// ErrorCode and Message, closes with a reason, dropped tunnels, protocol errors, TLS
// without the CA, ports other than 22/3389 (refused before any AWS call), endpoints
// that cannot serve, and the duration cap.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { testIo } from '../support/test-io.js';

let sandbox: TestSandbox;
let user: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('db-1');
});
afterAll(async () => sandbox?.close());
afterEach(() => {
  const knobs = sandbox.world.eiceKnobs;
  knobs.blockedInstances.clear();
  knobs.dropAfterBytes = undefined;
  knobs.closeAfterSeconds = undefined;
  knobs.rejectNextHandshake = undefined;
  knobs.textFrameNext = false;
  knobs.maxTunnelsPerEndpoint = 20;
  for (const e of sandbox.world.endpoints.values()) e.state = 'create-complete';
});

const eice = (...args: string[]) => sandbox.run(['--via', 'eice', ...args]);

describe('EICE errors', () => {
  it('refuses ports other than 22 and 3389 before any AWS call', async () => {
    sandbox.world.calls.length = 0;
    const result = await eice('-p', '2222', `${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('eic-ssh: EC2 Instance Connect Endpoint tunnels reach only ports 22 and 3389, not 2222');
    expect(result.stderr).toContain('hint:');
    expect(sandbox.world.calls).toHaveLength(0);
  });

  it.each([
    ['--max-tunnel-duration', '0', /--max-tunnel-duration must be 1 to 3600 seconds/],
    ['--max-tunnel-duration', '3601', /--max-tunnel-duration must be 1 to 3600 seconds/],
    ['--eice-id', 'vpc-123', /--eice-id: 'vpc-123' is not an endpoint id/],
  ])('rejects %s %s', async (flag, value, message) => {
    const result = await eice(flag, value, `${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(message);
  });

  it('shows the endpoint ErrorCode, Message, HTTP status and request id of a refused handshake', async () => {
    sandbox.world.eiceKnobs.rejectNextHandshake = {
      status: 403,
      body: JSON.stringify({ ErrorCode: 'AccessDeniedException', Message: 'User is not authorized to perform ec2-instance-connect:OpenTunnel' }),
    };
    const result = await eice(`${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/refused the tunnel: AccessDeniedException: User is not authorized to perform ec2-instance-connect:OpenTunnel/);
    expect(result.stderr).toMatch(/HTTP 403, request id [0-9a-f-]{36}/);
    expect(result.stderr).toMatch(/hint: .*--max-tunnel-duration/);
  });

  it('shows a non-JSON refusal as text with its status', async () => {
    sandbox.world.eiceKnobs.rejectNextHandshake = { status: 502, body: 'Bad Gateway' };
    const result = await eice(`${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/refused the tunnel: Bad Gateway/);
    expect(result.stderr).toMatch(/HTTP 502/);
  });

  it('reports port 3389 refused by a Linux instance with the close reason', async () => {
    const result = await eice('-p', '3389', `${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/closed the tunnel: Unable to connect to [\d.]+:3389: connection refused \(code 4001\)/);
  });

  it('reports a security group that does not admit the endpoint with the close reason and a hint', async () => {
    sandbox.world.eiceKnobs.blockedInstances.add(sandbox.instance('db-1').instanceId);
    const result = await eice(`${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/closed the tunnel: Unable to connect to [\d.]+:22: connection timed out \(code 4001\)/);
    expect(result.stderr).toContain("hint: the instance must accept TCP/22 from the endpoint's security group or subnet");
  });

  it('finds no endpoint while it is create-in-progress', async () => {
    for (const e of sandbox.world.endpoints.values()) e.state = 'create-in-progress';
    const result = await eice(`${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/there are no available instance connect endpoints in vpc-/);
    expect(result.stderr).toMatch(/hint: create one/);
  });

  it('names an --eice-id that does not exist', async () => {
    const result = await eice('--eice-id', 'eice-0000000000000dead', `${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/eice-0000000000000dead/);
  });

  it('says "tunnel connection lost" when the endpoint drops the connection without CLOSE', async () => {
    sandbox.world.eiceKnobs.dropAfterBytes = 64 * 1024;
    const result = await eice(`${user}@db-1`, 'head -c 10000000 /dev/zero');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/tunnel connection lost/);
  });

  it('carries the reason of a tunnel the endpoint closes after N seconds', async () => {
    sandbox.world.eiceKnobs.closeAfterSeconds = 1;
    const result = await eice(`${user}@db-1`, 'sleep 5; echo too late');
    expect(result.code).toBe(255);
    expect(result.stdoutText).not.toContain('too late');
    expect(result.stderr).toMatch(/closed the tunnel: Tunnel closed by the sandbox \(closeAfterSeconds knob\) \(code 4002\)/);
  });

  it('ends the session when --max-tunnel-duration expires, with the endpoint reason', async () => {
    const result = await eice('--max-tunnel-duration', '2', `${user}@db-1`, 'sleep 5; echo too late');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Tunnel duration exceeded \(code 4000\)/);
    // The warning before the cap came first (lead: a tenth of a short tunnel's duration).
    expect(result.stderr).toMatch(/eic-ssh: the EICE tunnel to i-[0-9a-f]+ closes in 1 s \(maximum tunnel duration 2 s\)[\s\S]*Tunnel duration exceeded/);
    expect(sandbox.world.tunnels.at(-1)?.maxTunnelDuration).toBe(2);
  });

  it('treats a TEXT frame from the endpoint as a protocol error', async () => {
    sandbox.world.eiceKnobs.textFrameNext = true;
    const result = await eice(`${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/received invalid data from EC2 Instance Connect Endpoint eice-[0-9a-f]+ \(a TEXT frame\)/);
  });

  it('refuses a 21st concurrent tunnel (here: a cap of 0) with ThrottlingException', async () => {
    sandbox.world.eiceKnobs.maxTunnelsPerEndpoint = 0;
    const result = await eice(`${user}@db-1`, 'true');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/ThrottlingException: .*maximum of 0 concurrent connections/);
    expect(result.stderr).toMatch(/HTTP 429/);
  });

  it('fails TLS verification without the sandbox CA, pointing at EIC_SSH_CA_FILE', async () => {
    const result = await sandbox.run(['--via', 'eice', `${user}@db-1`, 'true'], { env: { EIC_SSH_CA_FILE: undefined } });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/TLS verification of EC2 Instance Connect Endpoint eice-[0-9a-f]+ failed/);
    expect(result.stderr).toMatch(/hint: .*EIC_SSH_CA_FILE/);
  });

  it('refuses a presigned URL signed 10 minutes ago (the verifier: expired, AccessDeniedException)', async () => {
    const io = testIo({ env: { ...sandbox.env } });
    // Only the presign reads this clock; the SDK signs API calls with its own.
    const deps = { ...sandbox.deps(), now: () => sandbox.world.clock.now() - 10 * 60_000 };
    const code = await main(['--via', 'eice', `${user}@db-1`, 'true'], io, deps);
    expect(code).toBe(255);
    expect(io.stderrText()).toMatch(/refused the tunnel: AccessDeniedException: Signature expired/);
    expect(io.stderrText()).toMatch(/HTTP 403/);
  });
});
