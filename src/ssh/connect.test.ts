// Component tests: connectSsh against an in-process ssh2 server on 127.0.0.1.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestSshServer, type TestSshServer } from '../../test/support/ssh-test-server.js';
import { EicError } from '../errors.js';
import { connectSsh, preferredHostKeyAlgorithms, type ConnectOptions } from './connect.js';
import { createHostKeyVerifier } from './host-key-verifier.js';
import { generateEphemeralKey } from './key.js';
import { KnownHostsFile } from './known-hosts.js';
import { formatPublicKeyLine } from './openssh-key-format.js';

const ALIAS = 'i-0123456789abcdef0';
const key = generateEphemeralKey();
let server: TestSshServer;
const clients: Client[] = [];
const sockets: Socket[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'eic-ssh-connect-'));

beforeAll(async () => {
  server = await startTestSshServer({ authorizedKey: key.publicLine });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.end();
  for (const socket of sockets.splice(0)) socket.destroy();
});
afterAll(async () => {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});

function tcp(port: number): Socket {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  return socket;
}

async function open(overrides: Partial<ConnectOptions> = {}): Promise<Client> {
  const client = await connectSsh({
    sock: tcp(server.port),
    username: 'ec2-user',
    privateKey: key.privateKey,
    hostKeyAlias: ALIAS,
    verifyHostKey: (presented) => presented.equals(server.hostKeyBlob),
    ...overrides,
  });
  clients.push(client);
  return client;
}

async function failure(overrides: Partial<ConnectOptions>): Promise<EicError> {
  try {
    await open(overrides);
  } catch (error) {
    if (error instanceof EicError) return error;
    throw error;
  }
  throw new Error('connectSsh resolved, expected a failure');
}

// A TCP server on port 0 whose connections run `onConnection`.
async function rawServer(onConnection: (socket: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const srv: Server = createServer((socket) => {
    open.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return {
    port: (srv.address() as AddressInfo).port,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

describe('connectSsh', () => {
  it('verifies the host key, then authenticates with the given key only', async () => {
    const before = server.authAttempts.length;
    const presented: Buffer[] = [];
    const phases: string[] = [];
    await open({
      verifyHostKey: (blob) => {
        presented.push(blob);
        return true;
      },
      onPhase: (phase, ms) => {
        expect(ms).toBeGreaterThanOrEqual(0);
        phases.push(phase);
      },
    });
    expect(presented).toEqual([server.hostKeyBlob]);
    expect(phases).toEqual(['handshake', 'auth']);
    const attempts = server.authAttempts.slice(before);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => a.method === 'publickey' && a.username === 'ec2-user')).toBe(true);
  });

  it('waits for an asynchronous host-key verdict', async () => {
    await open({ verifyHostKey: async (blob) => blob.equals(server.hostKeyBlob) });
  });

  it('works over a Duplex that is not a net.Socket (the EICE/SSM shape)', async () => {
    const socket = tcp(server.port);
    await once(socket, 'connect');
    await open({ sock: Duplex.from({ readable: socket, writable: socket }) });
  });

  // Waits until the server has seen the connection close, so that it has processed
  // everything the client sent, then returns the auth attempts it got meanwhile.
  async function authAttemptsDuring(action: () => Promise<unknown>): Promise<number> {
    const attempts = server.authAttempts.length;
    const disconnects = server.count('disconnect');
    await action();
    await server.waitFor('disconnect', disconnects + 1);
    return server.authAttempts.length - attempts;
  }

  it('refuses a changed host key before any authentication attempt', async () => {
    let error: EicError | undefined;
    const attempts = await authAttemptsDuring(async () => {
      error = await failure({ verifyHostKey: () => ({ refuse: 'changed' }) });
    });
    expect(error?.code).toBe('HOST_KEY_CHANGED');
    expect(error?.hint).toContain(`eic-ssh known-hosts --remove ${ALIAS}`);
    expect(attempts).toBe(0);
  });

  it.each([
    { name: 'an unknown-host verdict', verdict: { refuse: 'unknown' as const } },
    { name: 'false', verdict: false },
  ])('refuses the host with HOST_KEY_UNKNOWN for $name', async ({ verdict }) => {
    let code: string | undefined;
    const attempts = await authAttemptsDuring(async () => {
      code = (await failure({ verifyHostKey: () => verdict })).code;
    });
    expect(code).toBe('HOST_KEY_UNKNOWN');
    expect(attempts).toBe(0);
  });

  it('rejects with the EicError the verifier throws', async () => {
    const thrown = new EicError('LOCAL_IO', 'disk on fire');
    expect(await failure({ verifyHostKey: () => Promise.reject(thrown) })).toBe(thrown);
  });

  it('records the host key on first use and matches it afterwards (accept-new)', async () => {
    const knownHosts = new KnownHostsFile(join(scratch, 'first-use', 'known_hosts'));
    const warnings: string[] = [];
    const verifier = () =>
      createHostKeyVerifier({ knownHosts, instanceId: ALIAS, policy: 'accept-new', warn: (t) => warnings.push(t) });
    await open({ verifyHostKey: verifier() });
    expect(readFileSync(knownHosts.path, 'utf8')).toBe(`${ALIAS} ${formatPublicKeyLine(server.hostKeyBlob)}\n`);
    expect(warnings).toEqual([`Warning: Permanently added '${ALIAS}' (ED25519) to the list of known hosts.\n`]);
    await open({ verifyHostKey: verifier() });
    expect(warnings).toHaveLength(1);
  });

  it('stops at a changed key recorded in the known-hosts file, with the warning block', async () => {
    const knownHosts = new KnownHostsFile(join(scratch, 'changed-known_hosts'));
    writeFileSync(knownHosts.path, `${ALIAS} ${generateEphemeralKey().publicLine}\n`);
    const warnings: string[] = [];
    let error: EicError | undefined;
    const attempts = await authAttemptsDuring(async () => {
      error = await failure({
        verifyHostKey: createHostKeyVerifier({ knownHosts, instanceId: ALIAS, policy: 'accept-new', warn: (t) => warnings.push(t) }),
      });
    });
    expect(error?.code).toBe('HOST_KEY_CHANGED');
    expect(error?.message).toContain(`the ED25519 host key of ${ALIAS} has changed`);
    expect(warnings.join('')).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(attempts).toBe(0);
  });

  it('maps a key the server does not accept to SSH_AUTH with a hint', async () => {
    const error = await failure({ privateKey: generateEphemeralKey().privateKey });
    expect(error.code).toBe('SSH_AUTH');
    expect(error.message).toBe(`Permission denied (publickey) for ec2-user@${ALIAS}`);
    expect(error.hint).toMatch(/60 seconds/);
  });

  it('maps a wrong OS user to SSH_AUTH', async () => {
    expect((await failure({ username: 'ubuntu' })).code).toBe('SSH_AUTH');
  });

  it('maps a server that never speaks to CONNECT_TIMEOUT', async () => {
    const silent = await rawServer(() => undefined);
    try {
      const error = await failure({ sock: tcp(silent.port), readyTimeoutMs: 200 });
      expect(error.code).toBe('CONNECT_TIMEOUT');
    } finally {
      await silent.close();
    }
  });

  it('maps a refused TCP connection to CONNECT', async () => {
    const gone = await rawServer(() => undefined);
    await gone.close();
    const error = await failure({ sock: tcp(gone.port) });
    expect(error.code).toBe('CONNECT');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('maps a peer that hangs up before the SSH banner to CONNECT', async () => {
    const hangup = await rawServer((socket) => socket.end());
    try {
      const error = await failure({ sock: tcp(hangup.port) });
      expect(error.code).toBe('CONNECT');
      expect(error.message).toContain('before the SSH handshake');
    } finally {
      await hangup.close();
    }
  });

  it('maps a peer that is not an SSH server to SSH_PROTOCOL', async () => {
    const http = await rawServer((socket) => socket.end('SSH-1.5-ancient\r\n'));
    try {
      expect((await failure({ sock: tcp(http.port) })).code).toBe('SSH_PROTOCOL');
    } finally {
      await http.close();
    }
  });

  it('never passes key material to the debug sink', async () => {
    const lines: string[] = [];
    await open({ debug: (line) => lines.push(line) });
    expect(lines.length).toBeGreaterThan(5);
    const secrets = key.privateKey.split('\n').filter((l) => l.length > 20);
    const publicBase64 = key.publicLine.split(' ')[1] ?? '';
    for (const line of lines) {
      for (const secret of secrets) expect(line).not.toContain(secret);
      expect(line).not.toContain(publicBase64);
      expect(line).not.toMatch(/PRIVATE KEY/);
    }
  });
});

describe('preferredHostKeyAlgorithms', () => {
  it.each([
    { known: [], first: 'ssh-ed25519' },
    { known: ['ssh-ed25519'], first: 'ssh-ed25519' },
    { known: ['ssh-rsa'], first: 'rsa-sha2-512' },
    { known: ['ecdsa-sha2-nistp256'], first: 'ecdsa-sha2-nistp256' },
  ])('puts the algorithms of known keys $known first', ({ known, first }) => {
    const list = preferredHostKeyAlgorithms(known);
    expect(list[0]).toBe(first);
    expect(new Set(list).size).toBe(7);
  });

  it('makes a server with several host keys present the recorded type', async () => {
    const rsaHost = generateEphemeralKey('rsa');
    const edHost = generateEphemeralKey('ed25519');
    const both = await startTestSshServer({ authorizedKey: key.publicLine, hostKeys: [edHost.privateKey, rsaHost.privateKey] });
    const presentedWith = async (hostKeyAlgorithms?: string[]) => {
      const presented: string[] = [];
      await open({
        sock: tcp(both.port),
        ...(hostKeyAlgorithms === undefined ? {} : { hostKeyAlgorithms }),
        verifyHostKey: (blob) => {
          presented.push(formatPublicKeyLine(blob));
          return true;
        },
      });
      return presented;
    };
    try {
      expect(await presentedWith()).toEqual([edHost.publicLine]);
      expect(await presentedWith(preferredHostKeyAlgorithms(['ssh-rsa']))).toEqual([rsaHost.publicLine]);
    } finally {
      await both.close();
    }
  });
});
