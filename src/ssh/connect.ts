// Opens an authenticated SSH connection with ssh2 over any Duplex (direct TCP,
// EICE WebSocket, SSM data channel). The host key is verified during key exchange,
// before a single authentication or data byte is sent, and authentication uses
// only the given private key: no agent, no password, no keyboard-interactive.
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import ssh2 from 'ssh2';
import type { Client, ConnectConfig, HostVerifier, ServerHostKeyAlgorithm } from 'ssh2';
import { EicError, isEicError } from '../errors.js';
import { hostKeyChangedHint, hostKeyChangedMessage, hostKeyUnknownHint } from './host-key-messages.js';
import { blobKeyType, fingerprintOfPublicKey } from './openssh-key-format.js';
import { mapSshError, type SshPhase } from './ssh-errors.js';

// true: trust the key. false or { refuse }: abort the connection with
// HOST_KEY_UNKNOWN (false, 'unknown') or HOST_KEY_CHANGED ('changed'); `message`
// replaces the default message. A thrown EicError aborts with that error.
export type HostKeyVerdict = boolean | { refuse: 'changed' | 'unknown'; message?: string };

export interface ConnectOptions {
  sock: Duplex; // owned by the connection from now on
  username: string;
  privateKey: string;
  hostKeyAlias: string; // the instance id: names the host in messages
  verifyHostKey(key: Buffer /* raw SSH public key blob */): Promise<HostKeyVerdict> | HostKeyVerdict;
  readyTimeoutMs?: number; // handshake + authentication; default 20 s
  keepaliveIntervalMs?: number; // ssh_config ServerAliveInterval; 0 (default) = off
  keepaliveCountMax?: number; // ssh_config ServerAliveCountMax; default 3
  // Host key algorithms to offer, most preferred first (see preferredHostKeyAlgorithms).
  hostKeyAlgorithms?: readonly string[];
  // ssh -C / Compression yes: offer zlib (RFC 4253 §6.2; OpenSSH's delayed variant first).
  compress?: boolean;
  onPhase?(phase: 'handshake' | 'auth', ms: number): void;
  debug?(line: string): void;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;

// ssh2's own default order (lib/protocol/constants.js DEFAULT_SERVER_HOST_KEY).
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

// ssh_config(5) HostKeyAlgorithms: "If hostkeys are known for the destination host
// then this default is modified to prefer their algorithms." Without this, a host
// recorded with its RSA key would present Ed25519 next time and look new.
export function preferredHostKeyAlgorithms(knownKeyTypes: readonly string[]): string[] {
  const preferred = DEFAULT_HOST_KEY_ALGORITHMS.filter((algorithm) =>
    knownKeyTypes.some((type) => type === algorithm || (type === 'ssh-rsa' && algorithm.startsWith('rsa-sha2-'))),
  );
  return [...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
}

export function connectSsh(options: ConnectOptions): Promise<Client> {
  const { sock, username, hostKeyAlias } = options;
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const debug = options.debug === undefined ? undefined : redactingDebug(options.debug);
  const client = new ssh2.Client();
  const started = performance.now();
  let handshakeDoneAt: number | undefined;
  let phase: SshPhase = 'handshake';
  let heardFromServer = false;
  let refusal: EicError | undefined;
  let acceptedKey: Buffer | undefined;

  // Callback form, so an async verdict (reading the known-hosts file) holds the key
  // exchange until it is known. On a re-key the server must present the same key.
  const hostVerifier: HostVerifier = (key, verify) => {
    if (acceptedKey !== undefined) {
      if (!acceptedKey.equals(key)) {
        refusal = new EicError('HOST_KEY_CHANGED', `${hostKeyAlias} presented a different host key during re-keying`);
      }
      verify(refusal === undefined);
      return;
    }
    const fingerprint = fingerprintOfPublicKey(key);
    debug?.(`Server host key: ${blobKeyType(key) ?? 'unknown'} ${fingerprint}`);
    Promise.resolve()
      .then(() => options.verifyHostKey(key))
      .then(
        (verdict) => {
          if (verdict === true) {
            acceptedKey = Buffer.from(key);
            debug?.(`Host key of ${hostKeyAlias} accepted`);
          } else {
            refusal = refusalError(verdict, hostKeyAlias, key);
          }
          verify(verdict === true);
        },
        (error: unknown) => {
          refusal = isEicError(error)
            ? error
            : new EicError('HOST_KEY_UNKNOWN', `Could not verify the host key of ${hostKeyAlias}`, { cause: error });
          verify(false);
        },
      );
  };

  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (error: EicError) => {
      if (settled) return;
      settled = true;
      debug?.(`Connection failed: ${error.code}`);
      client.end();
      reject(error);
    };
    client.on('handshake', () => {
      handshakeDoneAt = performance.now();
      phase = 'auth';
      options.onPhase?.('handshake', handshakeDoneAt - started);
      debug?.(`Authenticating to ${hostKeyAlias} as '${username}'`);
    });
    client.on('ready', () => {
      options.onPhase?.('auth', performance.now() - (handshakeDoneAt ?? started));
      phase = 'session';
      settled = true;
      debug?.(`Authenticated to ${hostKeyAlias}`);
      resolve(client);
    });
    client.on('error', (error) => {
      if (!settled) {
        fail(refusal ?? mapSshError(error, { hostKeyAlias, username, phase, heardFromServer, readyTimeoutMs }));
      } else {
        // Later errors belong to whoever uses the client (runSession listens);
        // this listener only keeps an 'error' with no listener from throwing.
        debug?.(`Connection error: ${error.message}`);
      }
    });
    client.on('close', () => {
      const where = phase === 'handshake' ? 'before the SSH handshake completed' : 'during authentication';
      fail(refusal ?? new EicError('CONNECT', `Connection to ${hostKeyAlias} closed ${where}`));
    });

    debug?.(`Starting SSH to ${hostKeyAlias} as '${username}'`);
    const config: ConnectConfig = {
      sock: sock as ConnectConfig['sock'],
      username,
      privateKey: options.privateKey,
      // Only the one key: OpenSSH's IdentitiesOnly, nothing else is ever offered.
      authHandler: ['publickey'],
      hostVerifier,
      readyTimeout: readyTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs ?? 0,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      ...(options.hostKeyAlgorithms === undefined
        ? {}
        : { algorithms: { serverHostKey: [...options.hostKeyAlgorithms] as ServerHostKeyAlgorithm[] } }),
      ...(debug === undefined ? {} : { debug }),
    };
    if (options.compress) config.algorithms = { ...config.algorithms, compress: ['zlib@openssh.com', 'zlib', 'none'] };
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 throws synchronously for a private key it cannot parse.
      fail(new EicError('KEY_FILE', 'ssh2 cannot use the private key', { cause: error }));
      return;
    }
    // Added after connect(), which paused the socket: this listener must not
    // start the data flow before ssh2 is ready for it.
    sock.once('data', () => {
      heardFromServer = true;
    });
  });
}

function refusalError(verdict: Exclude<HostKeyVerdict, true>, host: string, key: Buffer): EicError {
  const type = blobKeyType(key) ?? 'unknown';
  if (verdict !== false && verdict.refuse === 'changed') {
    return new EicError('HOST_KEY_CHANGED', verdict.message ?? hostKeyChangedMessage(host, type), {
      hint: hostKeyChangedHint(host),
    });
  }
  const message = verdict === false ? undefined : verdict.message;
  return new EicError('HOST_KEY_UNKNOWN', message ?? `Host key verification failed for ${host}`, {
    hint: hostKeyUnknownHint(),
  });
}

// ssh2's debug lines carry no key material as of 1.17, but they are produced by
// code we do not own: anything that looks like a long base64 or hex run is
// replaced before the line leaves this module.
export function redactingDebug(sink: (line: string) => void): (line: string) => void {
  return (line) => sink(line.replace(/[A-Za-z0-9+/]{40,}={0,2}/g, '[redacted]'));
}
