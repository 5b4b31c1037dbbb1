// The key a connection authenticates with: an ephemeral key made in memory for one
// SendSSHPublicKey push (the default), or a user's key file given with -i.
// The private half lives only in memory: it is never written to disk, and the
// object hides it from JSON.stringify, util.inspect and console.log.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import ssh2 from 'ssh2';
import { EicError } from '../errors.js';
import {
  encodeOpenSshEd25519PrivateKey,
  fingerprintOfPublicKey,
  formatPublicKeyLine,
  isEncryptedPrivateKey,
} from './openssh-key-format.js';

export { fingerprintOfPublicKey } from './openssh-key-format.js';

// EC2 Instance Connect accepts RSA and Ed25519 keys only (eice.md "Key facts").
export type KeyType = 'ed25519' | 'rsa';

export interface EphemeralKey {
  readonly type: KeyType;
  // Unencrypted private key text that ssh2 accepts (OpenSSH format, or PKCS#1 PEM
  // for an RSA key loaded from a file). Memory only.
  readonly privateKey: string;
  // '<type> <base64>' with no comment; an Ed25519 line is exactly 80 characters.
  readonly publicLine: string;
  // 'SHA256:' + unpadded base64, as printed by ssh-keygen -l.
  readonly fingerprint: string;
}

const MIN_RSA_BITS = 2048;
const KEY_TYPES_HINT =
  'EC2 Instance Connect accepts RSA (2048 bits or more) and Ed25519 keys; ' +
  'without -i, eic-ssh uses a fresh Ed25519 key for every connection.';

// A private field plus a prototype getter keeps the private key out of
// Object.keys, spreads, structuredClone and JSON; inspect.custom covers util.inspect.
class KeyPair implements EphemeralKey {
  readonly #privateKey: string;

  constructor(
    readonly type: KeyType,
    privateKey: string,
    readonly publicLine: string,
    readonly fingerprint: string,
  ) {
    this.#privateKey = privateKey;
  }

  get privateKey(): string {
    return this.#privateKey;
  }

  toJSON(): Omit<EphemeralKey, 'privateKey'> {
    return { type: this.type, publicLine: this.publicLine, fingerprint: this.fingerprint };
  }

  toString(): string {
    return `${this.type} key ${this.fingerprint}`;
  }

  [inspect.custom](): string {
    return `EphemeralKey { type: '${this.type}', fingerprint: '${this.fingerprint}', privateKey: <hidden> }`;
  }
}

// Makes a new key pair with ssh2 (node:crypto underneath).
export function generateEphemeralKey(type: KeyType = 'ed25519', bits: 2048 | 4096 = 2048): EphemeralKey {
  if (type === 'rsa' && bits !== 2048 && bits !== 4096) {
    throw new EicError('KEY_UNSUPPORTED', `Unsupported RSA key size: ${String(bits)}`, { hint: KEY_TYPES_HINT });
  }
  // Ed25519 from node:crypto, encoded by us: ssh2's own Ed25519 generator emits a
  // malformed OpenSSH key about once in 500 (233 bytes instead of 234), which its
  // parser then rejects.
  if (type === 'ed25519') return fromKeyObject(generateKeyPairSync('ed25519').privateKey, '(generated key)');
  const pair = ssh2.utils.generateKeyPairSync('rsa', { bits });
  return fromUnencryptedPrivateKey(type, pair.private);
}

// Reads a private key file for -i: OpenSSH, PEM (PKCS#1 / PKCS#8) or PuTTY format,
// decrypting it with `passphrase` when it is encrypted.
export async function loadPrivateKeyFile(path: string, passphrase?: string): Promise<EphemeralKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new EicError('KEY_FILE', `Cannot read identity file ${path}: ${describeFsError(error)}`, {
      cause: error,
    });
  }
  const encrypted = isEncryptedPrivateKey(text);
  if (encrypted && (passphrase === undefined || passphrase === '')) {
    throw new EicError('KEY_PASSPHRASE', `Identity file ${path} is encrypted and no passphrase was given`);
  }
  const keyObject = decodePrivateKey(text, path, encrypted ? passphrase : undefined);
  return fromKeyObject(keyObject, path);
}

// Turns file text into a node:crypto KeyObject. PKCS#8 goes straight to node:crypto
// (ssh2 cannot read it); everything else goes through ssh2's parser, which knows
// the OpenSSH and PuTTY containers.
function decodePrivateKey(text: string, path: string, passphrase: string | undefined): KeyObject {
  const badPassphrase = () =>
    new EicError('KEY_PASSPHRASE', `Wrong passphrase for identity file ${path}`);
  if (/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    try {
      return createPrivateKey({ key: text, format: 'pem', passphrase });
    } catch (error) {
      if (passphrase !== undefined) throw badPassphrase();
      throw new EicError('KEY_FILE', `Identity file ${path} is not a valid private key`, { cause: error });
    }
  }
  const parsed = ssh2.utils.parseKey(text, passphrase);
  if (parsed instanceof Error) {
    if (passphrase !== undefined) throw badPassphrase();
    if (/^\s*(ssh-|ecdsa-|sk-)/.test(text)) {
      throw new EicError('KEY_FILE', `${path} is a public key; -i needs the private key file`);
    }
    throw new EicError('KEY_FILE', `Identity file ${path} is not a private key eic-ssh can read`, {
      cause: parsed,
      hint: 'Supported formats: OpenSSH, PEM (PKCS#1, PKCS#8) and PuTTY .ppk.',
    });
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || !key.isPrivateKey()) {
    throw new EicError('KEY_FILE', `${path} is a public key; -i needs the private key file`);
  }
  if (key.type !== 'ssh-ed25519' && key.type !== 'ssh-rsa') {
    throw new EicError('KEY_UNSUPPORTED', `Identity file ${path} holds a ${key.type} key`, { hint: KEY_TYPES_HINT });
  }
  return createPrivateKey(key.getPrivatePEM());
}

// Re-encodes a decrypted key as unencrypted text ssh2 accepts, so the rest of
// eic-ssh never needs the passphrase again.
function fromKeyObject(keyObject: KeyObject, path: string): EphemeralKey {
  const kind = keyObject.asymmetricKeyType;
  if (kind === 'ed25519') {
    const jwk = keyObject.export({ format: 'jwk' });
    const seed = Buffer.from(jwk.d ?? '', 'base64url');
    const publicKey = Buffer.from(jwk.x ?? '', 'base64url');
    return fromUnencryptedPrivateKey('ed25519', encodeOpenSshEd25519PrivateKey(seed, publicKey));
  }
  if (kind === 'rsa') {
    const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new EicError('KEY_UNSUPPORTED', `Identity file ${path} holds a ${String(bits)}-bit RSA key`, {
        hint: KEY_TYPES_HINT,
      });
    }
    const pem = keyObject.export({ type: 'pkcs1', format: 'pem' }).toString();
    return fromUnencryptedPrivateKey('rsa', pem);
  }
  throw new EicError('KEY_UNSUPPORTED', `Identity file ${path} holds a ${kind ?? 'unknown'} key`, {
    hint: KEY_TYPES_HINT,
  });
}

// Derives the public line and fingerprint with ssh2's parser, which also proves
// that ssh2 will accept the private key text when connecting.
function fromUnencryptedPrivateKey(type: KeyType, privateKey: string): EphemeralKey {
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error) {
    throw new EicError('KEY_FILE', 'Internal error: ssh2 cannot parse the generated key', { cause: key });
  }
  const blob = key.getPublicSSH();
  return new KeyPair(type, privateKey, formatPublicKeyLine(blob), fingerprintOfPublicKey(blob));
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}
