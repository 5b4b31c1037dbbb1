// The public key `eic-ssh proxy` pushes, and `eic-ssh config` names: the OpenSSH
// client's own key, since OpenSSH (not eic-ssh) authenticates through the proxy.
// In order: --push-key FILE; the first Ed25519/RSA key of the ssh-agent at
// SSH_AUTH_SOCK (ssh offers agent keys first, so that one is tried first); then
// ~/.ssh/id_ed25519.pub and ~/.ssh/id_rsa.pub, ssh's default identities.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EicError } from '../errors.js';
import { listAgentKeys } from '../ssh/agent-keys.js';
import { fingerprintOfPublicKey, formatPublicKeyLine, parsePublicKeyLine } from '../ssh/openssh-key-format.js';
import { expandHome } from './state-dir.js';

export interface PushKey {
  publicLine: string;
  fingerprint: string;
  // Where it came from, for -v and messages: a file path or "ssh-agent".
  source: string;
  // The .pub file it was read from (absent for an agent key).
  publicFile?: string;
}

export interface FindPushKeyOptions {
  pushKeyFile?: string;
  // Skip the agent (eic-ssh config names key files only).
  noAgent?: boolean;
  env: Record<string, string | undefined>;
  homeDir: string;
  log?(line: string): void;
}

// EC2 Instance Connect accepts RSA and Ed25519 keys only (eice.md "Key facts").
const PUSHABLE_TYPES = new Set(['ssh-ed25519', 'ssh-rsa']);
export const DEFAULT_PUBLIC_KEY_FILES = ['.ssh/id_ed25519.pub', '.ssh/id_rsa.pub'];

export async function findPushKey(options: FindPushKeyOptions): Promise<PushKey> {
  if (options.pushKeyFile) return readPushKeyFile(expandHome(options.pushKeyFile, options.homeDir));
  const socket = options.env.SSH_AUTH_SOCK;
  if (socket && !options.noAgent) {
    try {
      const keys = await listAgentKeys(socket);
      const usable = keys.find((k) => PUSHABLE_TYPES.has(k.type));
      if (usable) return fromLine(usable.publicLine, `ssh-agent (${usable.comment || usable.type})`);
      options.log?.(`ssh-agent holds no Ed25519 or RSA key (${keys.length} keys): trying key files`);
    } catch (error) {
      options.log?.(`${error instanceof Error ? error.message : String(error)}: trying key files`);
    }
  }
  for (const relative of DEFAULT_PUBLIC_KEY_FILES) {
    const path = join(options.homeDir, relative);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined) return parseKeyFile(text, path);
  }
  throw new EicError('KEY_FILE', 'no public key to push: no ssh-agent key and no ~/.ssh/id_ed25519.pub or ~/.ssh/id_rsa.pub', {
    hint: 'create one with `ssh-keygen -t ed25519`, add one to ssh-agent, or name one with --push-key FILE.pub',
  });
}

// --push-key takes the .pub file; given the private key's path, its .pub beside it.
async function readPushKeyFile(path: string): Promise<PushKey> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new EicError('KEY_FILE', `cannot read --push-key ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, {
      hint: 'give the public key file, e.g. --push-key ~/.ssh/id_ed25519.pub',
    });
  });
  if (parsePublicKeyLine(text) === undefined && !path.endsWith('.pub')) {
    const beside = await readFile(`${path}.pub`, 'utf8').catch(() => undefined);
    if (beside !== undefined) return parseKeyFile(beside, `${path}.pub`);
  }
  return parseKeyFile(text, path);
}

function parseKeyFile(text: string, path: string): PushKey {
  const line = text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
  const parsed = parsePublicKeyLine(line);
  if (!parsed) {
    throw new EicError('KEY_FILE', `${path} is not an OpenSSH public key`, {
      hint: 'give the .pub file written by ssh-keygen, e.g. ~/.ssh/id_ed25519.pub',
    });
  }
  if (!PUSHABLE_TYPES.has(parsed.type)) {
    throw new EicError('KEY_UNSUPPORTED', `${path} holds a ${parsed.type} key`, {
      hint: 'EC2 Instance Connect accepts Ed25519 and RSA keys: create one with `ssh-keygen -t ed25519`',
    });
  }
  return { ...fromLine(formatPublicKeyLine(parsed.blob), path), publicFile: path };
}

function fromLine(publicLine: string, source: string): PushKey {
  const parsed = parsePublicKeyLine(publicLine);
  if (!parsed) throw new EicError('KEY_FILE', `${source} gave a malformed public key`);
  return { publicLine, fingerprint: fingerprintOfPublicKey(parsed.blob), source };
}
