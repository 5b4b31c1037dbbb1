// `eic-ssh proxy` writes nothing but tunnel bytes on stdout, whatever happens: fed
// nothing, it relays exactly what sshd sends (its version line, then binary SSH
// packets) even at -vvv, and every message, including errors, goes to stderr.
// Runs the BUILT CLI (`npm run build` first) as ssh would.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSshHome, type OpenSshHome } from '../support/openssh.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let h: OpenSshHome;
let web1: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  h = await openSshHome(sandbox);
  web1 = sandbox.instance('web-1').instanceId;
});
afterAll(async () => {
  h?.close();
  await sandbox?.close();
});

// RFC 4253 §4.2 version line, then §6 binary packets (unencrypted before NEWKEYS):
// uint32 packet_length, byte padding_length, payload, padding. Returns the message
// numbers of the whole packets and throws on any byte that is not part of one.
function parseServerStream(data: Buffer): { version: string; messages: number[] } {
  const eol = data.indexOf('\r\n');
  if (eol < 0) throw new Error(`no version line in ${JSON.stringify(data.toString('latin1').slice(0, 80))}`);
  const version = data.subarray(0, eol).toString('latin1');
  const messages: number[] = [];
  let offset = eol + 2;
  while (offset < data.length) {
    if (data.length - offset < 6) throw new Error(`stray ${data.length - offset} bytes after the packets`);
    const length = data.readUInt32BE(offset);
    if (length > 35_000 || offset + 4 + length > data.length) throw new Error(`not an SSH packet at byte ${offset}`);
    messages.push(data[offset + 5]);
    offset += 4 + length;
  }
  return { version, messages };
}

describe('proxy stdout carries only tunnel bytes', () => {
  it.each([[[]], [['-v']], [['-vvv']]])('fed nothing, with %j, it relays the server greeting and nothing else', async (flags) => {
    const pub = `${h.keyPath}.pub`;
    const result = await h.eicSsh(['proxy', ...flags, '--push-key', pub, `${sandbox.userOf('web-1')}@${web1}:${sandbox.sshPort}`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.subarray(0, 8).toString('latin1')).toBe('SSH-2.0-');
    const parsed = parseServerStream(result.stdout);
    expect(parsed.version).toMatch(/^SSH-2\.0-OpenSSH_\S+/);
    // Only a server KEXINIT (20) can come before the client has said anything.
    expect(parsed.messages.every((m) => m === 20)).toBe(true);
    expect(result.stdout.toString('latin1')).not.toContain('eic-ssh');
    if (flags.length > 0) expect(result.stderr).toMatch(/eic-ssh: push +\d+ ms/);
  });

  it('takes the `%h %p %r` form too', async () => {
    const result = await h.eicSsh(['proxy', '--push-key', `${h.keyPath}.pub`, web1, String(sandbox.sshPort), sandbox.userOf('web-1')]);
    expect(result.code, result.stderr).toBe(0);
    expect(parseServerStream(result.stdout).version).toMatch(/^SSH-2\.0-/);
  });

  it('reports a failure on stderr only, exit 255, stdout empty', async () => {
    const result = await h.eicSsh(['proxy', '--push-key', `${h.keyPath}.pub`, `ec2-user@i-0000000000000dead:22`]);
    expect(result.code).toBe(255);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toMatch(/^eic-ssh: .*i-0000000000000dead/);
  });

  it('without any key says so clearly, stdout empty', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'eic-ssh-nokey-'));
    try {
      const result = await h.eicSsh(['proxy', `ec2-user@${web1}:22`], { env: { HOME: empty } });
      expect(result.code).toBe(255);
      expect(result.stdout.length).toBe(0);
      expect(result.stderr).toContain('eic-ssh: no public key to push');
      expect(result.stderr).toContain('hint: create one with `ssh-keygen -t ed25519`');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('finds ~/.ssh/id_ed25519.pub by itself, and rejects a key EC2 Instance Connect cannot take', async () => {
    const other = mkdtempSync(join(tmpdir(), 'eic-ssh-keyfind-'));
    try {
      mkdirSync(join(other, '.ssh'));
      writeFileSync(join(other, '.ssh', 'id_ed25519.pub'), readFileSync(`${h.keyPath}.pub`));
      sandbox.world.calls.length = 0;
      const found = await h.eicSsh(['proxy', `${sandbox.userOf('web-1')}@${web1}:${sandbox.sshPort}`], { env: { HOME: other } });
      expect(found.code, found.stderr).toBe(0);
      const push = sandbox.world.calls.find((c) => c.operation === 'SendSSHPublicKey');
      expect(String(push?.params.SSHPublicKey)).toBe(readFileSync(`${h.keyPath}.pub`, 'utf8').split(' ').slice(0, 2).join(' '));

      const ecdsa = join(other, 'ecdsa.pub');
      writeFileSync(ecdsa, 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg= x\n');
      const refused = await h.eicSsh(['proxy', '--push-key', ecdsa, `ec2-user@${web1}:22`]);
      expect(refused.code).toBe(255);
      expect(refused.stdout.length).toBe(0);
      expect(refused.stderr).toContain('holds a ecdsa-sha2-nistp256 key');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
