// The OpenSSH key encodings eic-ssh reads and writes, as pure functions:
// public-key lines ('<type> <base64>'), SSH wire-format key blobs (RFC 4253 §6.6),
// fingerprints, and the unencrypted "openssh-key-v1" private-key container
// (OpenSSH PROTOCOL.key), which we need because ssh2 cannot read back the
// PKCS#8 PEM that node:crypto produces for Ed25519 keys.
import { createHash, randomBytes } from 'node:crypto';

export interface PublicKey {
  type: string; // 'ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', …
  blob: Buffer; // the SSH wire-format public key
}

// 'SHA256:' + unpadded base64 of SHA-256(blob): the format of ssh-keygen -l and of
// OpenSSH's host-key warnings (ssh_config FingerprintHash, default sha256).
export function fingerprintOfPublicKey(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

// '<type> <base64>' with no comment: an Ed25519 line is then exactly 80 characters,
// SendSSHPublicKey's minimum (eice.md "Key facts"), so nothing may be trimmed from it.
export function formatPublicKeyLine(blob: Buffer): string {
  const type = blobKeyType(blob);
  if (type === undefined) throw new TypeError('not an SSH public key blob');
  return `${type} ${blob.toString('base64')}`;
}

// Parses '<type> <base64> [comment]'. Returns undefined for anything else, including
// a line whose label disagrees with the type inside the blob: known-hosts lines are
// compared by blob, so a mislabelled line must not be half-trusted.
export function parsePublicKeyLine(line: string): PublicKey | undefined {
  const [type, base64] = line.trim().split(/\s+/);
  if (type === undefined || base64 === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  if (blobKeyType(blob) !== type) return undefined;
  return { type, blob };
}

// The key type named by the first string of a wire-format blob.
export function blobKeyType(blob: Buffer): string | undefined {
  const first = readString(blob, 0);
  if (first === undefined) return undefined;
  const type = first.value.toString('latin1');
  return /^[a-z0-9@.-]+$/.test(type) ? type : undefined;
}

// OpenSSH's display name for a key type (sshkey_type()): 'ssh-ed25519' → 'ED25519'.
export function keyTypeLabel(type: string): string {
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type === 'ssh-rsa') return 'RSA';
  if (type === 'ssh-dss') return 'DSA';
  if (type.startsWith('ecdsa-sha2-')) return 'ECDSA';
  return type.toUpperCase();
}

// True when a private-key file needs a passphrase. Checked up front so that a
// missing passphrase is reported as such instead of as a parse failure.
export function isEncryptedPrivateKey(text: string): boolean {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)) return true; // PKCS#8
  if (/^Proc-Type:\s*4,ENCRYPTED/m.test(text)) return true; // legacy PEM
  if (/^Encryption:\s*(?!none\s*$)\S/m.test(text)) return true; // PuTTY .ppk
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (body?.[1] === undefined) return false;
  const raw = Buffer.from(body[1].replace(/\s+/g, ''), 'base64');
  if (!raw.subarray(0, AUTH_MAGIC.length).equals(AUTH_MAGIC)) return false;
  const cipher = readString(raw, AUTH_MAGIC.length);
  return cipher !== undefined && cipher.value.toString('latin1') !== 'none';
}

const AUTH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

// The SSH wire blob of an Ed25519 public key: string "ssh-ed25519", string key.
export function ed25519PublicBlob(publicKey: Buffer): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(publicKey)]);
}

// Serialises an Ed25519 key as an unencrypted OpenSSH private key (PROTOCOL.key):
// magic, cipher "none", kdf "none", one public key, then the private section
// (two equal check integers, type, public key, seed‖public key, empty comment,
// padding 1, 2, 3, … to the 8-byte block size of the "none" cipher).
export function encodeOpenSshEd25519PrivateKey(
  seed: Buffer,
  publicKey: Buffer,
  checkInt: Buffer = randomBytes(4),
): string {
  if (seed.length !== 32 || publicKey.length !== 32 || checkInt.length !== 4) {
    throw new TypeError('Ed25519 keys are 32 bytes and the check integer 4 bytes');
  }
  const unpadded = Buffer.concat([
    checkInt,
    checkInt,
    sshString('ssh-ed25519'),
    sshString(publicKey),
    sshString(Buffer.concat([seed, publicKey])),
    sshString(''),
  ]);
  const padLength = (8 - (unpadded.length % 8)) % 8;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const privateSection = Buffer.concat([unpadded, padding]);
  const container = Buffer.concat([
    AUTH_MAGIC,
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(ed25519PublicBlob(publicKey)),
    sshString(privateSection),
  ]);
  const base64 = container.toString('base64').replace(/.{70}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${base64}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

function readString(buf: Buffer, offset: number): { value: Buffer; next: number } | undefined {
  if (offset + 4 > buf.length) return undefined;
  const length = buf.readUInt32BE(offset);
  const end = offset + 4 + length;
  if (end > buf.length) return undefined;
  return { value: buf.subarray(offset + 4, end), next: end };
}
