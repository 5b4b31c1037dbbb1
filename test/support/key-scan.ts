// Looks for private-key material in files: PEM "PRIVATE KEY" armour, the OpenSSH key
// magic ("openssh-key-v1\0" base64: b3BlbnNzaC1rZXktdjE) and PKCS#8 Ed25519 DER prefixes
// (base64 and hex). Used by the key-hygiene test; bounded in depth and file count.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';

export const KEY_MARKERS = [
  'PRIVATE KEY',
  'b3BlbnNzaC1rZXktdjE',
  'MC4CAQAwBQYDK2VwBCIEI', // base64 of the PKCS#8 Ed25519 prefix 302e020100300506032b657004220420
  '302e020100300506032b657004220420',
];
const PKCS8_ED25519_DER = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface ScanOptions {
  // Only files (and directories) modified at or after this time (ms); 0 = all.
  since: number;
  // Paths not to enter.
  exclude: string[];
  maxDepth?: number;
  maxFiles?: number;
}

export interface Finding {
  path: string;
  marker: string;
  text: string;
}

export function scanForKeyMaterial(root: string, options: ScanOptions): Finding[] {
  const findings: Finding[] = [];
  let files = 0;
  const maxFiles = options.maxFiles ?? 50_000;
  const walk = (path: string, depth: number) => {
    if (options.exclude.some((e) => path === e || path.startsWith(`${e}/`))) return;
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      return; // vanished or unreadable (another process's temp file)
    }
    if (stat.isDirectory()) {
      if (depth > (options.maxDepth ?? 8)) return;
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names) walk(join(path, name), depth + 1);
      return;
    }
    if (!stat.isFile() || stat.mtimeMs < options.since || stat.size > 8 * 1024 * 1024) return;
    if (++files > maxFiles) return;
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch {
      return;
    }
    const text = data.toString('latin1');
    const marker = KEY_MARKERS.find((m) => text.includes(m)) ?? (data.includes(PKCS8_ED25519_DER) ? 'PKCS#8 Ed25519 DER' : undefined);
    if (marker) findings.push({ path, marker, text });
  };
  walk(root, 0);
  return findings;
}

// The public key blobs (base64) of every private key that ssh2 can read in `text`
// (PEM blocks and OpenSSH armour), so a finding can be matched to the keys we pushed.
export function publicBlobsOf(text: string): string[] {
  const blocks = text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g) ?? [];
  const blobs: string[] = [];
  for (const block of blocks) {
    const parsed = ssh2.utils.parseKey(block);
    const keys = parsed instanceof Error ? [] : Array.isArray(parsed) ? parsed : [parsed];
    for (const key of keys) blobs.push(key.getPublicSSH().toString('base64'));
    if (keys.length === 0) {
      const blob = nodeKeyBlob(block);
      if (blob) blobs.push(blob);
    }
  }
  return blobs;
}

// PKCS#8 PEM that ssh2 cannot read (Node's Ed25519 and RSA output): the SSH public
// blob (RFC 4253 §6.6, RFC 8709) built from the JWK of its public half.
function nodeKeyBlob(pem: string): string | undefined {
  try {
    const jwk = createPublicKey(createPrivateKey(pem)).export({ format: 'jwk' });
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (8 * (3 - i))) & 0xff)), b]);
    const mpint = (b: Buffer) => str(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
    if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) {
      return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(Buffer.from(jwk.x, 'base64url'))]).toString('base64');
    }
    if (jwk.kty === 'RSA' && jwk.n && jwk.e) {
      return Buffer.concat([str(Buffer.from('ssh-rsa')), mpint(Buffer.from(jwk.e, 'base64url')), mpint(Buffer.from(jwk.n, 'base64url'))]).toString('base64');
    }
  } catch {
    return undefined;
  }
  return undefined;
}
