// ssh2 drops the leading zero byte of an Ed25519 public key (about one key in 256);
// the sandbox must never hand sshd such a key.
import { describe, expect, it } from 'vitest';
import { ed25519BlobIsWellFormed } from './host-keys.js';

function line(keyBytes: Buffer): string {
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return `ssh-ed25519 ${Buffer.concat([len(type.length), type, len(keyBytes.length), keyBytes]).toString('base64')} root@ip-1`;
}

describe('ed25519BlobIsWellFormed', () => {
  it('accepts a 32-byte key, even one starting with zero', () => {
    expect(ed25519BlobIsWellFormed(line(Buffer.alloc(32, 7)))).toBe(true);
    expect(ed25519BlobIsWellFormed(line(Buffer.concat([Buffer.from([0]), Buffer.alloc(31, 7)])))).toBe(true);
  });

  it('refuses the 31-byte key ssh2 writes when the first byte is zero', () => {
    expect(ed25519BlobIsWellFormed(line(Buffer.alloc(31, 7)))).toBe(false);
  });
});
