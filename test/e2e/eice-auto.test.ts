// `--via auto` (the default) as a real fallback: a public address goes direct; a
// private instance goes through the VPC's endpoint; a route that fails at connect
// time falls through to the next with exactly one line on stderr saying why; -v
// shows the plan and the route taken.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EicError } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { testIo } from '../support/test-io.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => sandbox?.close());
afterEach(() => {
  // Each test starts without a remembered route (route-cache.ts).
  rmSync(join(sandbox.home, '.eic-ssh', 'routes.json'), { force: true });
  sandbox.world.eiceKnobs.blockedInstances.clear();
  for (const e of sandbox.world.endpoints.values()) e.state = 'create-complete';
});

// Runs eic-ssh with a network on which the public address of `blocked` is filtered
// (the client side of a firewall: connection attempts time out).
async function runFiltered(argv: string[], blocked: string) {
  const io = testIo({ env: { ...sandbox.env } });
  const base = sandbox.deps();
  const deps = {
    ...base,
    connectTcp: (host: string, port: number, timeoutMs: number) =>
      host === blocked
        ? Promise.reject(new EicError('CONNECT_TIMEOUT', `no answer from ${host} port ${port} within ${Math.round(timeoutMs / 1000)} s`))
        : base.connectTcp(host, port, timeoutMs),
  };
  const code = await main(argv, io, deps);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe('--via auto', () => {
  it('goes direct to a public instance', async () => {
    const before = sandbox.world.tunnels.length;
    const result = await sandbox.run(['-v', `${sandbox.userOf('web-1')}@web-1`, 'echo ok']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/route +auto: direct → eice/);
    expect(result.stderr).toMatch(/route +direct: public address/);
    expect(sandbox.world.tunnels.length).toBe(before);
  });

  it('goes through the endpoint to a private instance', async () => {
    const before = sandbox.world.tunnels.length;
    const result = await sandbox.run(['-v', `${sandbox.userOf('db-1')}@db-1`, 'echo ok']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdoutText).toBe('ok\n');
    expect(result.stderr).toMatch(/route +auto: eice/);
    expect(result.stderr).toMatch(/route +eice: EICE eice-/);
    expect(sandbox.world.tunnels.length).toBe(before + 1);
  });

  it('falls through from direct to EICE with one line saying why', async () => {
    const web = sandbox.instance('web-1');
    const before = sandbox.world.tunnels.length;
    const result = await runFiltered([`${sandbox.userOf('web-1')}@web-1`, 'echo via the endpoint'], web.publicIp!);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('via the endpoint\n');
    const notices = result.stderr.split('\n').filter((l) => /route failed/.test(l));
    expect(notices).toEqual([`eic-ssh: direct route failed (no answer from ${web.publicIp} port 22 within 20 s); trying eice`]);
    expect(sandbox.world.tunnels.length).toBe(before + 1);
    expect(sandbox.world.tunnels.at(-1)?.privateIpAddress).toBe(web.privateIp);
  });

  it('tries the route it fell through to first next time, and forgets it when it fails', async () => {
    const web = sandbox.instance('web-2');
    const user = sandbox.userOf('web-2');
    const first = await runFiltered([`${user}@web-2`, 'true'], web.publicIp!);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/direct route failed/);
    const cache = JSON.parse(readFileSync(join(sandbox.home, '.eic-ssh', 'routes.json'), 'utf8')) as Record<string, { route: string }>;
    expect(cache[web.instanceId].route).toBe('eice');

    const second = await runFiltered(['-v', `${user}@web-2`, 'true'], web.publicIp!);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/route failed/);
    expect(second.stderr).toMatch(/route +auto: eice → direct → ssm \(eice first: it worked last time\)/);

    // The remembered route fails: one line, back to direct, and the entry is replaced.
    sandbox.world.eiceKnobs.blockedInstances.add(web.instanceId);
    const third = await sandbox.run([`${user}@web-2`, 'true']);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/eice route failed .*; trying direct/);
    const after = JSON.parse(readFileSync(join(sandbox.home, '.eic-ssh', 'routes.json'), 'utf8')) as Record<string, { route: string }>;
    expect(after[web.instanceId].route).toBe('direct');
  });

  it('-q silences the fall-through line but not the result', async () => {
    const web = sandbox.instance('web-1');
    const result = await runFiltered(['-q', `${sandbox.userOf('web-1')}@web-1`, 'echo quiet'], web.publicIp!);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/route failed/);
  });

  it('falls through from EICE to SSM when the endpoint cannot reach the instance', async () => {
    const db = sandbox.instance('db-1');
    sandbox.world.eiceKnobs.blockedInstances.add(db.instanceId);
    const result = await sandbox.run(['-v', `${sandbox.userOf('db-1')}@db-1`, 'echo via ssm']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdoutText).toBe('via ssm\n');
    const notices = result.stderr.split('\n').filter((l) => /route failed/.test(l));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^eic-ssh: eice route failed \(.*closed the tunnel: Unable to connect to [\d.]+:22: connection timed out \(code 4001\)\); trying ssm$/);
    expect(result.stderr).toMatch(/route +ssm: /);
  });

  it('reports the real failure when every route fails, after one line per fall-through', async () => {
    const web = sandbox.instance('web-1');
    const ssm = web.ssm;
    web.ssm = undefined; // not a managed node: SSM cannot apply
    sandbox.world.eiceKnobs.blockedInstances.add(web.instanceId);
    const result = await runFiltered([`${sandbox.userOf('web-1')}@web-1`, 'true'], web.publicIp!).finally(() => {
      web.ssm = ssm;
    });
    expect(result.code).toBe(255);
    expect(result.stderr.split('\n').filter((l) => /route failed/.test(l))).toHaveLength(2);
    expect(result.stderr).toMatch(/closed the tunnel: Unable to connect to [\d.]+:22: connection timed out/);
    expect(result.stderr).toMatch(/hint: the instance must accept TCP\/22/);
  });

  it('says why no route applies to a private instance with no serving endpoint and no SSM', async () => {
    const db = sandbox.instance('db-1');
    const ssm = db.ssm;
    db.ssm = undefined;
    for (const e of sandbox.world.endpoints.values()) e.state = 'delete-in-progress';
    const result = await sandbox.run([`${sandbox.userOf('db-1')}@db-1`, 'true']).finally(() => {
      db.ssm = ssm;
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(new RegExp(`eic-ssh: no route to ${db.instanceId}`));
    expect(result.stderr).toMatch(/  eice: there are no available instance connect endpoints in vpc-/);
    expect(result.stderr).toMatch(/  ssm: /);
    expect(result.stderr).toMatch(/hint: create one/);
  });

  it('never dials the private address a private instance reports', async () => {
    const db = sandbox.instance('db-1');
    const dialled: string[] = [];
    const io = testIo({ env: { ...sandbox.env } });
    const base = sandbox.deps();
    const code = await main([`${sandbox.userOf('db-1')}@db-1`, 'true'], io, {
      ...base,
      connectTcp: (host, port, timeoutMs) => {
        dialled.push(host);
        return base.connectTcp(host, port, timeoutMs);
      },
    });
    expect(code, io.stderrText()).toBe(0);
    expect(dialled).not.toContain(db.privateIp);
  });

  it('--via direct to a private instance fails fast: nothing listens on the reported address', async () => {
    const result = await sandbox.run(['--via', 'direct', `${sandbox.userOf('db-1')}@db-1`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(new RegExp(`cannot connect to ${sandbox.instance('db-1').privateIp.replace(/\./g, '\\.')} port \\d+: ECONNREFUSED`));
  });
});
