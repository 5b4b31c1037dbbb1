// An authenticated ssh2 connection to one instance, for every command that speaks SSH
// itself (ssh, cp): make or load the key, reach the instance, verify its host key by
// instance id, authenticate within the key's 60-second window, and push once more
// if authentication fails after that window.
import type { Client } from 'ssh2';
import type { Deps } from '../deps.js';
import { EicError } from '../errors.js';
import type { Io } from '../io.js';
import { connectSsh, preferredHostKeyAlgorithms } from '../ssh/connect.js';
import { createHostKeyVerifier } from '../ssh/host-key-verifier.js';
import { generateEphemeralKey, loadPrivateKeyFile, type EphemeralKey } from '../ssh/key.js';
import { KnownHostsFile, type StrictHostKeyChecking } from '../ssh/known-hosts.js';
import type { RouteName } from '../tunnel/route.js';
import { noConsoleKeysNotice, pinFromConsole, pinnedNotice, type HostKeySource } from './host-key-pin.js';
import { reachInstance, type ReachedInstance, type ReachOptions } from './reach-instance.js';
import type { Verbose } from './verbose.js';
import { expandHome, knownHostsPath } from './state-dir.js';

// A pushed key authenticates for 60 s (eice.md §3.1). Past this age an auth failure
// is most likely an expired key, worth one fresh push.
export const KEY_WINDOW_MS = 60_000;

export interface ConnectOptions extends ReachOptions {
  identityFile?: string;
  keyType: 'ed25519' | 'rsa-2048' | 'rsa-4096';
  strictHostKeyChecking: StrictHostKeyChecking;
  userKnownHostsFile?: string;
  serverAliveIntervalSeconds?: number;
  serverAliveCountMax?: number;
  quiet: boolean;
  // ssh -C.
  compression?: boolean;
  // --host-key-source (host-key-pin.ts); the caller resolves the config default. Default tofu.
  hostKeySource?: HostKeySource;
  // Called once the key is pushed (audit lines for connections that fail after it).
  onReached?(reached: ReachedInstance, keyFingerprint: string): void;
}

export interface ConnectedInstance {
  client: Client;
  reached: ReachedInstance;
  route: RouteName;
  // For audit lines: the EICE endpoint or SSM session id, and the key's fingerprint.
  routeId?: string;
  keyFingerprint: string;
}

export async function connectToInstance(options: ConnectOptions, io: Io, deps: Deps, v: Verbose): Promise<ConnectedInstance> {
  const key = await v.phase('key', async () => makeKey(options, deps), (k) => `${k.type} ${k.fingerprint}`);
  const reached = await reachInstance(options, key.publicLine, io, deps, v);
  options.onReached?.(reached, key.fingerprint);
  const { instance } = reached;
  const knownHosts = new KnownHostsFile(knownHostsPath(options, io.env, deps.homeDir));
  const notice = (text: string) => {
    if (!options.quiet) io.stderr.write(text);
  };
  let policy = options.strictHostKeyChecking;
  if (options.hostKeySource === 'console') {
    const pin = await v.phase('pin', () => pinFromConsole(reached.aws, instance.instanceId, knownHosts), (p) =>
      p.kind === 'pinned' ? `${String(p.keyLines.length)} console keys` : 'no console keys',
    );
    if (pin.kind === 'pinned') {
      if (pin.changed) notice(pinnedNotice(instance.instanceId, pin.keyLines.length));
      // Only the pinned keys are trusted: a key type the console did not show is
      // refused, not recorded (unless StrictHostKeyChecking=no says otherwise).
      if (policy === 'accept-new') policy = 'yes';
    } else if ((await knownHosts.lookup(instance.instanceId)).length === 0) {
      notice(noConsoleKeysNotice(instance.instanceId));
    }
  }

  const connect = async (): Promise<ConnectedInstance> => {
    const opened = await reached.open();
    const started = deps.now();
    const client = await connectSsh({
      sock: opened.sock,
      username: reached.osUser,
      privateKey: key.privateKey,
      hostKeyAlias: instance.instanceId,
      verifyHostKey: createHostKeyVerifier({
        knownHosts,
        instanceId: instance.instanceId,
        policy,
        warn: notice,
      }),
      hostKeyAlgorithms: preferredHostKeyAlgorithms((await knownHosts.lookup(instance.instanceId)).map((e) => e.type)),
      readyTimeoutMs: (options.connectTimeoutSeconds ?? 20) * 1000,
      keepaliveIntervalMs: (options.serverAliveIntervalSeconds ?? 15) * 1000,
      keepaliveCountMax: options.serverAliveCountMax ?? 3,
      compress: options.compression,
      debug: v.level >= 2 ? (line) => v.log(line, 2) : undefined,
    });
    v.log(`auth       ${String(deps.now() - started).padStart(5)} ms  ${reached.osUser}@${instance.instanceId}`);
    return { client, reached, route: opened.route, routeId: opened.id, keyFingerprint: key.fingerprint };
  };

  try {
    return await connect();
  } catch (error) {
    if (!(error instanceof EicError && error.code === 'SSH_AUTH' && deps.now() - reached.pushedAt() >= KEY_WINDOW_MS)) throw error;
    v.log('auth failed after the 60 s key window: pushing the key again');
    await reached.repush();
    return connect();
  }
}

async function makeKey(options: ConnectOptions, deps: Deps): Promise<EphemeralKey> {
  if (options.identityFile) return loadPrivateKeyFile(expandHome(options.identityFile, deps.homeDir));
  if (options.keyType === 'ed25519') return generateEphemeralKey('ed25519');
  return generateEphemeralKey('rsa', options.keyType === 'rsa-4096' ? 4096 : 2048);
}

