// `eic-ssh run` over a 50-instance fleet with mixed routes: public instances directly,
// private ones through the VPC's EICE or, with no endpoint, through SSM; some hosts
// unreachable and some commands failing. Each host proves where its command ran by
// printing the server address of its SSH connection ($SSH_CONNECTION, field 3), which
// is that instance's own sshd address, and exits 3 when the address's last octet is a
// multiple of 4: per-host status, output and exit status are all checked.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { generateFleet } from '../../src/sandbox/fleet-gen.js';
import type { SandboxInstance } from '../../src/sandbox/world.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { testIo } from '../support/test-io.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ hostKeyKinds: ['ed25519'], fleet: generateFleet(50) });
}, 120_000);
afterAll(async () => sandbox?.close());

const COMMAND = 'set -- $SSH_CONNECTION; echo "$3"; echo "to stderr" >&2; exit $(( ${3##*.} % 4 == 0 ? 3 : 0 ))';
const expectedExit = (i: SandboxInstance) => (Number(i.hostAddress.split('.').at(-1)) % 4 === 0 ? 3 : 0);

function setEndpoints(state: 'create-complete' | 'delete-complete') {
  for (const endpoint of sandbox.world.endpoints.values()) endpoint.state = state;
}

interface Report {
  host: string;
  instanceId: string;
  route: string | null;
  status: string;
  exitStatus: number | null;
  error: string | null;
  stdout: string;
  stderr: string;
  timings: { startedAt: string; connectMs: number | null; totalMs: number };
}

describe('eic-ssh run over 50 instances', () => {
  it('--json: direct, SSM and unreachable hosts, each with its own status (no EICE endpoint)', async () => {
    setEndpoints('delete-complete');
    try {
      const result = await sandbox.run(['run', '*', '--json', '--parallel', '10', '--', COMMAND]);
      const reports = result.stdoutText.trim().split('\n').map((l) => JSON.parse(l) as Report);
      expect(reports).toHaveLength(50);
      const byId = new Map(reports.map((r) => [r.instanceId, r]));
      let failing = 0;
      for (const instance of sandbox.instances()) {
        const report = byId.get(instance.instanceId)!;
        const mix = instance.tags.route;
        expect(report.host).toBe(instance.tags.Name);
        if (mix === 'eice') {
          expect(report).toMatchObject({ status: 'unreachable', route: null, exitStatus: null, stdout: '' });
          expect(report.error).toMatch(/\S/);
          continue;
        }
        const exit = expectedExit(instance);
        if (exit !== 0) failing++;
        expect(report).toMatchObject({
          route: mix === 'public' ? 'direct' : 'ssm',
          status: exit === 0 ? 'succeeded' : 'failed',
          exitStatus: exit,
          stdout: `${instance.hostAddress}\n`,
          stderr: 'to stderr\n',
        });
        expect(report.timings.connectMs).toBeGreaterThanOrEqual(0);
        expect(report.timings.totalMs).toBeGreaterThanOrEqual(report.timings.connectMs!);
      }
      expect(failing).toBeGreaterThan(0);
      const unreachable = sandbox.instances().filter((i) => i.tags.route === 'eice').length;
      expect(result.stderr).toContain(`eic-ssh run: ${50 - unreachable - failing} succeeded, ${failing} failed, ${unreachable} unreachable (of 50)\n`);
      expect(result.stderr).toMatch(/ {2}failed {7}node-\d+: exit 3 via (direct|ssm)\n/);
      expect(result.stderr).toMatch(/ {2}unreachable {2}node-\d+: \S/);
      expect(result.code).toBe(255);
    } finally {
      setEndpoints('create-complete');
    }
  }, 180_000);

  it('prefixes live lines by host and exits 1 when only commands failed (private hosts through EICE)', async () => {
    const tunnelsBefore = sandbox.world.tunnels.length;
    const result = await sandbox.run(['run', 'tag:route=eice', '--', COMMAND]);
    const hosts = sandbox.instances().filter((i) => i.tags.route === 'eice');
    const width = Math.max(...hosts.map((h) => h.tags.Name.length));
    const lines = result.stdoutText.split('\n').filter(Boolean).sort();
    expect(lines).toEqual(hosts.map((h) => `${h.tags.Name.padEnd(width)} | ${h.hostAddress}`).sort());
    for (const h of hosts) expect(result.stderr).toContain(`${h.tags.Name.padEnd(width)} | to stderr\n`);
    const failing = hosts.filter((h) => expectedExit(h) !== 0);
    expect(result.stderr).toContain(`eic-ssh run: ${hosts.length - failing.length} succeeded, ${failing.length} failed, 0 unreachable (of ${hosts.length})`);
    for (const h of failing) expect(result.stderr).toContain(`  failed       ${h.tags.Name}: exit 3 via eice\n`);
    expect(result.code).toBe(failing.length > 0 ? 1 : 0);
    // One EICE tunnel per host, each to that host's private address.
    const tunnels = sandbox.world.tunnels.slice(tunnelsBefore).map((t) => t.privateIpAddress).sort();
    expect(tunnels).toEqual(hosts.map((h) => h.privateIp).sort());
  }, 120_000);

  it('--group prints each host together and exits 0 when all succeed', async () => {
    const result = await sandbox.run(['run', 'node-1,node-2,node-3', '--group', '--', 'echo one; echo two']);
    expect(result.code).toBe(0);
    for (const n of ['node-1', 'node-2', 'node-3']) {
      const i = sandbox.instance(n);
      expect(result.stdoutText).toMatch(new RegExp(`=== ${n} \\(${i.instanceId}\\) exit 0 via (direct|eice|ssm)\\none\\ntwo\\n`));
    }
    expect(result.stderr).toBe('eic-ssh run: 3 succeeded, 0 failed, 0 unreachable (of 3)\n');
  }, 60_000);

  it('--audit writes one line per host connection, and asks STS who we are once', async () => {
    const audit = join(sandbox.home, `run-audit-${Date.now()}.jsonl`);
    const since = sandbox.world.calls.length;
    const names = ['node-1', 'node-2', 'node-3', 'node-4'];
    const result = await sandbox.run(['run', names.join(','), '--audit', audit, '--', COMMAND]);
    const calls = sandbox.world.calls.slice(since);
    const pushes = calls.filter((c) => c.operation === 'SendSSHPublicKey' && c.status === 200);
    expect(calls.filter((c) => c.operation === 'GetCallerIdentity')).toHaveLength(1);
    const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(names.length);
    expect(statSync(audit).mode & 0o777).toBe(0o600);
    const byInstance = new Map(lines.map((l) => [l.instance, l]));
    for (const name of names) {
      const instance = sandbox.instance(name);
      const line = byInstance.get(instance.instanceId)!;
      const push = pushes.find((c) => c.params.InstanceId === instance.instanceId)!;
      expect(line.caller).toBe(sandbox.principal.arn);
      expect(line.osUser).toBe(push.params.InstanceOSUser);
      expect(line.pushRequestId).toBe(push.requestId);
      expect(line.keyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(['direct', 'eice', 'ssm']).toContain(line.route);
      expect(line.exitStatus).toBe(expectedExit(instance));
      expect(line.reused).toBeUndefined();
    }
    expect(result.code).toBe(names.some((n) => expectedExit(sandbox.instance(n)) !== 0) ? 1 : 0);
  }, 60_000);

  it('Ctrl-C stops the running commands, starts no more, and reports what ran', async () => {
    const io = testIo({ env: sandbox.env });
    const done = main(['run', 'tag:route=public', '--parallel', '2', '--', 'echo started; sleep 30'], io, sandbox.deps());
    // Bounded wait for the first host's output (at most 20 s).
    for (let i = 0; i < 200 && !io.stdoutText().includes('started'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(io.stdoutText()).toContain('started');
    io.signal('SIGINT');
    const code = await done;
    expect(code).toBe(130);
    const stderr = io.stderrText();
    expect(stderr).toContain('eic-ssh run: interrupted; stopping the running commands\n');
    expect(stderr).toMatch(/eic-ssh run: 0 succeeded, [12] failed, 0 unreachable, 1[45] not started \(of 17\), interrupted\n/);
    expect(stderr).toMatch(/failed {7}node-\d+: interrupted/);
    expect(io.signalListenerCount()).toBe(0);
  }, 60_000);

  it('refuses a run without a command, and a selector that matches nothing', async () => {
    const none = await sandbox.run(['run', '*']);
    expect(none.code).toBe(255);
    expect(none.stderr).toMatch(/run: no command given\n {2}hint: put it after '--'/);
    const empty = await sandbox.run(['run', 'web-*', '--', 'true']);
    expect(empty.code).toBe(255);
    expect(empty.stderr).toMatch(/'web-\*' matches no running instance/);
  });
});
