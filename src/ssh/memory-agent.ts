// A short-lived, private ssh-agent that holds one key in memory, so that the system
// OpenSSH client can authenticate with eic-ssh's ephemeral key without the key ever
// being written to disk (issue 7, "Key hygiene"). It speaks the agent protocol
// (draft-miller-ssh-agent §4.4 identities, §4.5 sign) through ssh2's AgentProtocol,
// on a Unix socket inside a fresh 0700 directory; close() removes both.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type AgentInboundRequest, type ParsedKey } from 'ssh2';
import { EicError } from '../errors.js';

export interface MemoryAgent {
  readonly socketPath: string;
  close(): Promise<void>;
}

export async function startMemoryAgent(privateKey: string): Promise<MemoryAgent> {
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error) throw new EicError('KEY_UNSUPPORTED', 'the key cannot be served by the in-memory agent');
  const publicBlob = key.getPublicSSH();
  // mkdtemp creates the directory 0700: only this user can reach the socket.
  const dir = await mkdtemp(join(tmpdir(), 'eic-ssh-agent-'));
  const socketPath = join(dir, 'agent.sock');
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const protocol = new ssh2.AgentProtocol(false);
    protocol.on('error', () => socket.destroy());
    protocol.pipe(socket);
    socket.on('data', frames((message) => {
      // ssh2's server answers an unknown request with a failure but then misreads its
      // payload as the next message; OpenSSH sends SSH_AGENTC_EXTENSION (27,
      // session-bind@openssh.com) first. So only REQUEST_IDENTITIES (11) and
      // SIGN_REQUEST (13) reach ssh2; everything else gets SSH_AGENT_FAILURE (5) here
      // (draft-miller-ssh-agent §3: "an agent ... MUST reply with SSH_AGENT_FAILURE").
      // OpenSSH waits for each reply before its next request, so order is kept.
      if (message[4] === 11 || message[4] === 13) protocol.write(message);
      else socket.write(Buffer.from([0, 0, 0, 1, 5]));
    }, () => socket.destroy()));
    protocol.on('identities', (request: AgentInboundRequest) => protocol.getIdentitiesReply(request, [key]));
    protocol.on('sign', (request: AgentInboundRequest, pubKey: ParsedKey, data: Buffer, options: { hash?: string }) => {
      if (!pubKey.getPublicSSH().equals(publicBlob)) return protocol.failureReply(request);
      const signature = key.sign(data, options?.hash);
      if (signature instanceof Error) return protocol.failureReply(request);
      protocol.signReply(request, signature);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Splits the agent byte stream into whole messages (uint32 length + body).
// Messages above 256 KiB (OpenSSH's own agent limit) end the connection.
function frames(onMessage: (message: Buffer) => void, onBad: () => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (length === 0 || length > 256 * 1024) return onBad();
      if (pending.length < 4 + length) return;
      onMessage(pending.subarray(0, 4 + length));
      pending = pending.subarray(4 + length);
    }
  };
}
