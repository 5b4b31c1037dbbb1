// The sandbox's Session Manager data channel end to end (ssm.md §4, §21): a sandbox with
// a private SSM-managed instance, StartSession through the real SDK, a minimal in-test
// client (ssm-mini-client.ts) on the wss StreamUrl, and the instance's real sshd at the
// far end: its banner, ssh2 exec byte-exact under drop/duplication/reordering, "Bye"
// closes with ResumeSession, publication bursts, signed upgrades, tokens and timeouts.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { ResumeSessionCommand, SSMClient, StartSessionCommand, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { defaultKnobs } from '../../src/sandbox/world.js';
import { HANDSHAKE_TIMEOUT_OUTPUT } from '../../src/sandbox/ssm-agent.js';
import { MiniSsmClient } from './ssm-mini-client.js';
import { wellFormedEd25519Pair } from '../../src/sandbox/instance/host-keys.js';

let sandbox: Sandbox;
let ssm: SSMClient;
let ca: string;
const clients: MiniSsmClient[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ fleet: [{ name: 'db-1', public: false, ssm: true }], endpoints: [] });
  ssm = new SSMClient({ endpoint: sandbox.apiUrl, region: sandbox.region, credentials: sandbox.principal, maxAttempts: 1 });
  ca = await readFile(sandbox.eice.caFile, 'utf8');
});
afterAll(async () => {
  ssm?.destroy();
  await sandbox?.close();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  Object.assign(sandbox.world.knobs, defaultKnobs());
});

const db1 = () => sandbox.instance('db-1');

async function start(options: ConstructorParameters<typeof MiniSsmClient>[0] = {}) {
  const session = await ssm.send(new StartSessionCommand({ Target: db1().instanceId, DocumentName: 'AWS-StartSSHSession', Parameters: { portNumber: ['22'] } }));
  const client = new MiniSsmClient({ ca, ...options });
  clients.push(client);
  return { session, client };
}

// Re-opens the data channel after a close 1000 "Bye" or a dropped socket (1006), as the
// official client does (§13).
function resumeOnBye(client: MiniSsmClient, sessionId: string, streamUrl: string): void {
  client.onSocketClose = (code, reason) => {
    if (!(code === 1000 && reason === 'Bye') && code !== 1006) return;
    void ssm.send(new ResumeSessionCommand({ SessionId: sessionId })).then((r) => client.connect(streamUrl, r.TokenValue!));
  };
}

function readUntil(client: MiniSsmClient, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(text)}`)), 20_000);
    client.stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
}

function waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () => (check() ? resolve() : Date.now() > deadline ? reject(new Error(`timed out waiting for ${what}`)) : setTimeout(poll, 20));
    poll();
  });
}

// ssh2 over the mini client's Duplex, authenticated with a freshly pushed key.
async function sshOver(client: MiniSsmClient): Promise<ssh2.Client> {
  const pair = wellFormedEd25519Pair();
  sandbox.world.pushKey({ instanceId: db1().instanceId, osUser: 'ec2-user', publicKey: pair.public.trim(), callerArn: sandbox.principal.arn });
  const conn = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    conn.once('ready', resolve).once('error', reject);
    conn.once('close', () => reject(new Error('the SSH connection closed before it was ready')));
    conn.connect({ sock: client.stream, username: 'ec2-user', privateKey: pair.private, hostVerifier: () => true, readyTimeout: 30_000 });
  });
  return conn;
}

function run(conn: ssh2.Client, command: string, stdin?: Buffer): Promise<{ stdout: Buffer; code?: number }> {
  return new Promise((resolve, reject) => {
    conn.exec(command, (error, channel) => {
      if (error) return reject(error);
      const out: Buffer[] = [];
      let code: number | undefined;
      channel.on('data', (d: Buffer) => out.push(d));
      channel.on('exit', (c: number) => (code = c));
      channel.on('close', () => resolve({ stdout: Buffer.concat(out), code }));
      if (stdin) channel.end(stdin);
      else channel.end();
    });
  });
}

describe('the data channel', () => {
  it('handshakes and carries the real sshd banner of a private instance', async () => {
    const { session, client } = await start();
    const banner = readUntil(client, /SSH-2\.0-OpenSSH/);
    await client.connect(session.StreamUrl!, session.TokenValue!);
    await client.handshakeDone;
    expect(client.handshakeRequest).toEqual({
      AgentVersion: '3.3.1000.0',
      RequestedClientActions: [{ ActionType: 'SessionType', ActionParameters: { SessionType: 'Port', Properties: { portNumber: '22' } } }],
    });
    expect(await banner).toMatch(/^SSH-2\.0-OpenSSH/);
    expect(session.StreamUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/v1\/data-channel\//);
    expect(sandbox.world.calls.filter((c) => c.operation === 'OpenDataChannel').at(-1)).toMatchObject({ service: 'ssmmessages', status: 101, params: { SessionId: session.SessionId, signed: false } });
  });

  it('runs ssh2 exec byte-exact both ways under drop, duplication and reordering', async () => {
    Object.assign(sandbox.world.knobs, { ssmDropRate: 0.05, ssmDuplicateRate: 0.02, ssmReorderRate: 0.05, ssmPacing: 'fast', ssmFaultSeed: 42 });
    const { session, client } = await start();
    await client.connect(session.StreamUrl!, session.TokenValue!);
    const conn = await sshOver(client);
    const status = await run(conn, 'echo hi; exit 3');
    expect(status).toEqual({ stdout: Buffer.from('hi\n'), code: 3 });
    const upload = Buffer.alloc(300_000);
    for (let i = 0; i < upload.length; i++) upload[i] = (i * 7919) & 0xff;
    const sum = await run(conn, 'sha256sum', upload);
    expect(sum.stdout.toString()).toBe(`${createHash('sha256').update(upload).digest('hex')}  -\n`);
    const download = await run(conn, 'seq 1 40000');
    expect(download.stdout.toString()).toBe(Array.from({ length: 40000 }, (_, i) => `${i + 1}\n`).join(''));
    // The faults really happened, in both directions.
    const link = sandbox.ssm.links.get(session.SessionId!)!;
    for (const line of [link.toClient, link.toAgent]) {
      expect(line.counts.dropped).toBeGreaterThan(0);
      expect(line.counts.duplicated).toBeGreaterThan(0);
      expect(line.counts.reordered).toBeGreaterThan(0);
    }
    conn.end();
  });

  it('survives close 1000 "Bye" every second through ResumeSession, in faithful pacing', async () => {
    Object.assign(sandbox.world.knobs, { ssmByeEverySeconds: 1 });
    const { session, client } = await start();
    resumeOnBye(client, session.SessionId!, session.StreamUrl!);
    await client.connect(session.StreamUrl!, session.TokenValue!);
    const conn = await sshOver(client);
    const out = await run(conn, 'for i in $(seq 1 25); do echo line$i; sleep 0.1; done; head -c 200000 /dev/zero | tr "\\0" x');
    const lines = Array.from({ length: 25 }, (_, i) => `line${i + 1}\n`).join('');
    expect(out.stdout.toString()).toBe(lines + 'x'.repeat(200_000));
    expect(client.events.closes.filter((c) => c.code === 1000 && c.reason === 'Bye').length).toBeGreaterThanOrEqual(2);
    expect(client.largestOutput).toBeLessThanOrEqual(1024); // faithful: ≤ 1024-byte reads
    conn.end();
  });

  it('recovers from corrupted digests, delayed acks and sockets dropped without CLOSE', async () => {
    Object.assign(sandbox.world.knobs, { ssmCorruptDigestRate: 0.05, ssmAckDelayMs: 150, ssmDropSocketEverySeconds: 1, ssmPacing: 'fast', ssmFaultSeed: 7 });
    const { session, client } = await start();
    resumeOnBye(client, session.SessionId!, session.StreamUrl!);
    await client.connect(session.StreamUrl!, session.TokenValue!);
    const conn = await sshOver(client);
    const out = await run(conn, 'for i in $(seq 1 20); do seq 1 500; sleep 0.1; done | sha256sum');
    const expected = createHash('sha256').update(Array.from({ length: 20 }, () => Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join('')).join('')).digest('hex');
    expect(out.stdout.toString()).toBe(`${expected}  -\n`);
    expect(sandbox.ssm.links.get(session.SessionId!)!.corrupted).toBeGreaterThan(0);
    expect(client.rejected).toBeGreaterThan(0);
    expect(client.events.closes.some((c) => c.code === 1006)).toBe(true);
    conn.end();
  });

  it('sends pause_publication / start_publication bursts and the stream stays intact', async () => {
    Object.assign(sandbox.world.knobs, { ssmPauseEverySeconds: 0.4, ssmPauseForMs: 150, ssmPacing: 'fast' });
    const { session, client } = await start();
    await client.connect(session.StreamUrl!, session.TokenValue!);
    const conn = await sshOver(client);
    const out = await run(conn, 'for i in $(seq 1 10); do echo tick$i; sleep 0.1; done');
    expect(out.stdout.toString()).toBe(Array.from({ length: 10 }, (_, i) => `tick${i + 1}\n`).join(''));
    expect(client.events.controls).toContain('pause_publication');
    expect(client.events.controls).toContain('start_publication');
    expect(client.largestOutput).toBeGreaterThan(0);
    conn.end();
  });
});

describe('tokens and signed upgrades', () => {
  it('accepts each token once and only within its lifetime', async () => {
    const { session, client } = await start();
    await client.connect(session.StreamUrl!, session.TokenValue!);
    await client.handshakeDone;
    const again = new MiniSsmClient({ ca });
    clients.push(again);
    await again.connect(session.StreamUrl!, session.TokenValue!);
    await waitFor(() => again.events.closes.length > 0, 'the reused token to be refused');
    expect(again.events.closes[0]).toEqual({ code: 1008, reason: 'Invalid token' });
    const resumed = await ssm.send(new ResumeSessionCommand({ SessionId: session.SessionId }));
    sandbox.world.clock.advance((sandbox.world.knobs.ssmTokenLifetimeSeconds + 1) * 1000);
    try {
      const late = new MiniSsmClient({ ca });
      clients.push(late);
      await late.connect(session.StreamUrl!, resumed.TokenValue!);
      await waitFor(() => late.events.closes.length > 0, 'the expired token to be refused');
      expect(late.events.closes[0]).toEqual({ code: 1008, reason: 'Token expired' });
    } finally {
      sandbox.world.clock.advance(-(sandbox.world.knobs.ssmTokenLifetimeSeconds + 1) * 1000);
    }
  });

  it('verifies a SigV4-signed upgrade (service ssmmessages) and can require one', async () => {
    sandbox.world.knobs.ssmRequireSignedUpgrade = true;
    const { session, client } = await start();
    await expect(client.connect(session.StreamUrl!, session.TokenValue!)).rejects.toThrow('upgrade refused: 403');
    const url = new URL(session.StreamUrl!);
    const signer = new SignatureV4({ service: 'ssmmessages', region: sandbox.region, credentials: sandbox.principal, sha256: Hash.bind(null, 'sha256'), applyChecksum: false });
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => (query[k] = v));
    const signed = await signer.sign({ method: 'GET', protocol: 'https:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers: { host: url.host } });
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'));
    const signedClient = new MiniSsmClient({ ca, headers });
    clients.push(signedClient);
    const banner = readUntil(signedClient, /SSH-2\.0-OpenSSH/);
    await signedClient.connect(session.StreamUrl!, session.TokenValue!);
    await banner;
    const opens = sandbox.world.calls.filter((c) => c.operation === 'OpenDataChannel').slice(-2);
    expect(opens.map((c) => [c.status, c.params.signed, c.caller])).toEqual([
      [403, false, undefined],
      [101, true, sandbox.principal.arn],
    ]);
  });
});

describe('session end', () => {
  it('TerminateSession sends channel_closed and ends the stream', async () => {
    const { session, client } = await start();
    await client.connect(session.StreamUrl!, session.TokenValue!);
    await client.handshakeDone;
    const ended = new Promise((resolve) => client.stream.once('end', resolve));
    client.stream.resume();
    await ssm.send(new TerminateSessionCommand({ SessionId: session.SessionId }));
    await ended;
    expect(client.events.channelClosed).toBe('');
    expect(sandbox.ssm.links.has(session.SessionId!)).toBe(false);
  });

  it('the idle timeout ends the session without client input; ResumeSession then has no token', async () => {
    // Seconds here; the SDK signs with the real clock, so the sandbox clock stays put.
    const { session, client } = await start();
    await client.connect(session.StreamUrl!, session.TokenValue!);
    await client.handshakeDone;
    sandbox.world.knobs.ssmIdleTimeoutSeconds = 1;
    await waitFor(() => client.events.channelClosed !== undefined, 'channel_closed');
    expect(client.events.channelClosed).toBe(`Session ${session.SessionId} timed out due to inactivity.`);
    expect(sandbox.world.ssmSessions.get(session.SessionId!)!.status).toBe('TimedOut');
    expect((await ssm.send(new ResumeSessionCommand({ SessionId: session.SessionId }))).TokenValue).toBeUndefined();
  });

  it('the maximum session duration ends a busy session', async () => {
    const { session, client } = await start();
    await client.connect(session.StreamUrl!, session.TokenValue!);
    const conn = await sshOver(client);
    // One second from now, however long the SSH handshake took on a busy machine.
    const age = (sandbox.world.clock.now() - sandbox.world.ssmSessions.get(session.SessionId!)!.startDate.getTime()) / 1000;
    sandbox.world.knobs.ssmMaxSessionSeconds = Math.ceil(age) + 1;
    conn.exec('while true; do echo busy; sleep 0.05; done', () => {});
    await waitFor(() => client.events.channelClosed !== undefined, 'channel_closed');
    expect(client.events.channelClosed).toBe(`Session ${session.SessionId} reached its maximum duration.`);
    conn.end();
  });

  it('the agent gives up after the handshake timeout', async () => {
    sandbox.world.knobs.ssmHandshakeTimeoutMs = 300;
    const { session, client } = await start({ answerHandshake: false });
    await client.connect(session.StreamUrl!, session.TokenValue!);
    await waitFor(() => client.events.channelClosed !== undefined, 'channel_closed');
    expect(client.events.channelClosed).toBe(HANDSHAKE_TIMEOUT_OUTPUT);
    expect(client.handshakeRequest).toBeDefined();
  });

  it('the SSH session ending (sshd EOF) ends the session with channel_closed', async () => {
    const { session, client } = await start();
    await client.connect(session.StreamUrl!, session.TokenValue!);
    const conn = await sshOver(client);
    expect((await run(conn, 'true')).code).toBe(0);
    conn.end();
    await waitFor(() => client.events.channelClosed !== undefined, 'channel_closed');
    expect(sandbox.world.ssmSessions.get(session.SessionId!)!.status).toBe('Terminated');
  });
});
