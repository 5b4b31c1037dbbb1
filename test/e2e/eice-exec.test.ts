// eic-ssh through the sandbox's EC2 Instance Connect Endpoint against real sshd:
// exec with exit status, 50 MiB byte-exact both ways, what the endpoint saw of the
// framing (never an empty frame, no frame above 65,000 bytes), the presigned URL it
// verified, and the private address never being dialled.
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { envText } from '../../src/cli/sandbox.js';
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

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('--via eice', () => {
  it('runs a command on a private instance and passes its exit status through', async () => {
    const result = await sandbox.run(['--via', 'eice', `${user}@db-1`, 'echo hello from $(hostname); exit 7']);
    expect(result.stderr).not.toMatch(/error|failed/i);
    expect(result.stdoutText).toMatch(/^hello from /);
    expect(result.code).toBe(7);
    const tunnel = sandbox.world.tunnels.at(-1)!;
    expect(tunnel).toMatchObject({ privateIpAddress: sandbox.instance('db-1').privateIp, remotePort: 22 });
    expect(tunnel.hostHeader).toBe(new URL(sandbox.eice.url).host);
    expect(tunnel.maxTunnelDuration).toBeUndefined();
    expect(sandbox.world.operations()).toEqual(expect.arrayContaining(['DescribeInstances', 'DescribeInstanceConnectEndpoints', 'SendSSHPublicKey']));
  });

  it('asks DescribeInstanceConnectEndpoints for the four accepted states in the instance VPC', async () => {
    sandbox.world.calls.length = 0;
    await sandbox.run(['--via', 'eice', `${user}@db-1`, 'true']);
    const call = sandbox.world.calls.find((c) => c.operation === 'DescribeInstanceConnectEndpoints')!;
    expect(call.params.Filters).toEqual([
      { Name: 'state', Values: ['create-complete', 'update-in-progress', 'update-failed', 'update-complete'] },
      { Name: 'vpc-id', Values: [sandbox.instance('db-1').vpcId] },
    ]);
  });

  it('carries 50 MiB up and 50 MiB down byte-exact, in frames of at most 65,000 bytes and never empty', async () => {
    const payload = randomBytes(50 * 1024 * 1024);
    const before = sandbox.world.tunnels.length;
    const result = await sandbox.run(['--via', 'eice', `${user}@db-1`, 'cat'], { stdin: payload });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.length).toBe(payload.length);
    expect(sha(result.stdout)).toBe(sha(payload));
    const tunnel = sandbox.world.tunnels[before];
    expect(tunnel.bytesIn).toBeGreaterThan(payload.length);
    expect(tunnel.bytesOut).toBeGreaterThan(payload.length);
    expect(tunnel.maxFrameIn).toBeLessThanOrEqual(65_000);
    expect(tunnel.emptyFramesIn).toBe(0);
    expect(tunnel.textFramesIn).toBe(0);
    // The tunnel ended with CLOSE 1000 (whichever side closed first).
    await vi.waitFor(() => expect(tunnel.open).toBe(false));
    expect(tunnel.closeCode).toBe(1000);
  });

  it('sends maxTunnelDuration only when asked, and the endpoint id given', async () => {
    const id = [...sandbox.world.endpoints.keys()][0];
    const result = await sandbox.run(['--via', 'eice', '--eice-id', id, '--max-tunnel-duration', '900', `${user}@db-1`, 'true']);
    expect(result.code, result.stderr).toBe(0);
    expect(sandbox.world.tunnels.at(-1)).toMatchObject({ endpointId: id, maxTunnelDuration: 900 });
    const call = sandbox.world.calls.filter((c) => c.operation === 'DescribeInstanceConnectEndpoints').at(-1)!;
    expect(call.params.InstanceConnectEndpointIds).toEqual([id]);
  });

  it('-v shows the endpoint, the request id and the route, never the signature', async () => {
    const result = await sandbox.run(['-vvv', '--via', 'eice', `${user}@db-1`, 'true']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/eice +eice-[0-9a-f]+ \(create-complete\)/);
    expect(result.stderr).toMatch(/OpenTunnel RequestId [0-9a-f-]{36}/);
    expect(result.stderr).toMatch(/route +eice: EICE eice-/);
    expect(result.stderr).not.toMatch(/X-Amz-Signature|X-Amz-Credential|Signature=/);
    expect(result.stderr).not.toContain(sandbox.principal.secretAccessKey);
  });

  it('reassembles the stream from small server frames', async () => {
    sandbox.world.eiceKnobs.serverFrameBytes = 777;
    try {
      const payload = randomBytes(1024 * 1024);
      const result = await sandbox.run(['--via', 'eice', `${user}@db-1`, 'cat'], { stdin: payload });
      expect(result.code, result.stderr).toBe(0);
      expect(sha(result.stdout)).toBe(sha(payload));
    } finally {
      sandbox.world.eiceKnobs.serverFrameBytes = undefined;
    }
  });

  it('goes through an HTTPS_PROXY with CONNECT, and around it for a NO_PROXY domain match', async () => {
    const seen: string[] = [];
    const proxy = createServer((client) => {
      client.once('data', (head: Buffer) => {
        const line = head.toString('latin1').split('\r\n')[0];
        seen.push(line);
        const [, authority] = line.split(' ');
        const [host, port] = [authority.slice(0, authority.lastIndexOf(':')), Number(authority.slice(authority.lastIndexOf(':') + 1))];
        const upstream = connect({ host, port }, () => {
          client.write('HTTP/1.1 200 Connection established\r\n\r\n');
          client.pipe(upstream);
          upstream.pipe(client);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const through = await sandbox.run(['--via', 'eice', `${user}@db-1`, 'echo proxied'], { env: { HTTPS_PROXY: proxyUrl, NO_PROXY: 'amazonaws.com' } });
      expect(through.code, through.stderr).toBe(0);
      expect(through.stdoutText).toBe('proxied\n');
      // CONNECT names host:port always (RFC 9110 §9.3.6), also when the endpoint is on 443
      // (the sandbox takes 443 when it runs as root and the port is free).
      const endpoint = new URL(sandbox.eice.url);
      expect(seen).toEqual([`CONNECT ${endpoint.hostname}:${endpoint.port || '443'} HTTP/1.1`]);
      // 127.0.0.1 is a NO_PROXY entry: no CONNECT this time. (The API calls are the SDK's business.)
      const around = await sandbox.run(['--via', 'eice', `${user}@db-1`, 'echo direct'], { env: { HTTPS_PROXY: proxyUrl, NO_PROXY: 'example.com,127.0.0.1' } });
      expect(around.code, around.stderr).toBe(0);
      expect(seen).toHaveLength(1);
    } finally {
      proxy.close();
    }
  });

  it('needs nothing but what `eic-ssh sandbox --env` exports (endpoint URL and CA file)', async () => {
    const exported: Record<string, string> = {};
    for (const line of envText(sandbox).trim().split('\n')) {
      const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line)!;
      exported[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
    }
    expect(exported.EIC_SSH_EICE_ENDPOINT_URL).toBe(sandbox.eice.url);
    expect(exported.EIC_SSH_CA_FILE).toBe(sandbox.eice.caFile);
    const io = testIo({ env: exported });
    const code = await main(['--via', 'eice', `${user}@db-1`, 'echo ok'], io, sandbox.deps());
    expect(code, io.stderrText()).toBe(0);
    expect(io.stdoutText()).toBe('ok\n');
  });
});
