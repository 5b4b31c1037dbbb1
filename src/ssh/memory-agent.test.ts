// The in-memory agent: lists exactly its one key, signs with it (and only it), lives
// in a 0700 directory, and leaves nothing behind when closed.
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateEphemeralKey } from './key.js';
import { startMemoryAgent } from './memory-agent.js';

const identities = (socketPath: string) =>
  new Promise<Buffer[]>((resolve, reject) =>
    new ssh2.OpenSSHAgent(socketPath).getIdentities((err, keys) => (err ? reject(err) : resolve((keys ?? []).map((k) => k.getPublicSSH())))),
  );

describe('startMemoryAgent', () => {
  it.each([['ed25519'], ['rsa']] as const)('serves one %s key: identities, a verifiable signature, cleanup', async (type) => {
    const key = await generateEphemeralKey(type, 2048);
    const agent = await startMemoryAgent(key.privateKey);
    try {
      expect(statSync(dirname(agent.socketPath)).mode & 0o777).toBe(0o700);
      const listed = await identities(agent.socketPath);
      expect(listed.map((b) => b.toString('base64'))).toEqual([key.publicLine.split(' ')[1]]);

      const pub = ssh2.utils.parseKey(key.publicLine);
      if (pub instanceof Error || Array.isArray(pub)) throw new Error('bad public key');
      const data = Buffer.from('session-id and userauth request');
      const signature = await new Promise<Buffer>((resolve, reject) =>
        new ssh2.OpenSSHAgent(agent.socketPath).sign(pub, data, {}, (err, sig) => (err || !sig ? reject(err) : resolve(sig))),
      );
      expect(pub.verify(data, signature)).toBe(true);
      expect(pub.verify(Buffer.from('other data'), signature)).toBe(false);

      // Another key: refused.
      const other = ssh2.utils.parseKey((await generateEphemeralKey('ed25519')).publicLine);
      if (other instanceof Error || Array.isArray(other)) throw new Error('bad public key');
      await expect(
        new Promise((resolve, reject) => new ssh2.OpenSSHAgent(agent.socketPath).sign(other, data, {}, (err, sig) => (err ? reject(err) : resolve(sig)))),
      ).rejects.toThrow();
    } finally {
      await agent.close();
    }
    expect(existsSync(dirname(agent.socketPath))).toBe(false);
  });

  it('answers an extension request (as OpenSSH sends first) with a failure and stays in step', async () => {
    const key = await generateEphemeralKey('ed25519');
    const agent = await startMemoryAgent(key.privateKey);
    try {
      const name = Buffer.from('session-bind@openssh.com');
      const body = Buffer.concat([Buffer.from([27]), Buffer.from([0, 0, 0, name.length]), name, Buffer.alloc(40, 7)]);
      const extension = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
      const request = Buffer.from([0, 0, 0, 1, 11]);
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const socket = connect(agent.socketPath);
        let got = Buffer.alloc(0);
        socket.on('error', reject);
        socket.on('data', (chunk) => {
          got = Buffer.concat([got, chunk]);
          if (got.length === 5) socket.write(request);
          if (got.length > 9 && got.length >= 5 + 4 + got.readUInt32BE(5)) {
            socket.end();
            resolve(got);
          }
        });
        socket.write(extension);
      });
      expect([...reply.subarray(0, 5)]).toEqual([0, 0, 0, 1, 5]); // SSH_AGENT_FAILURE
      expect(reply[9]).toBe(12); // SSH_AGENT_IDENTITIES_ANSWER
      expect(reply.readUInt32BE(10)).toBe(1);
    } finally {
      await agent.close();
    }
  });
});
