// `eic-ssh [options] [user@]TARGET [COMMAND...]`: resolve the instance, make a key,
// push it, connect within its 60-second window, verify the host key by instance id,
// run the session, and return the remote exit status.
import { join } from 'node:path';
import type { Client } from 'ssh2';
import type { InstanceInfo } from '../aws/instance-info.js';
import { resolveTarget } from '../aws/resolve-target.js';
import { pushPublicKey } from '../aws/send-key.js';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { connectSsh, preferredHostKeyAlgorithms } from '../ssh/connect.js';
import { createHostKeyVerifier } from '../ssh/host-key-verifier.js';
import { KnownHostsFile } from '../ssh/known-hosts.js';
import { generateEphemeralKey, loadPrivateKeyFile, type EphemeralKey } from '../ssh/key.js';
import { runSession } from '../ssh/session.js';
import { chooseDirectAddress } from '../tunnel/direct.js';
import { decidePty } from './pty-decision.js';
import type { SshOptions } from './ssh-args.js';
import { firstByteWatch } from './first-byte.js';
import { verbose, type Verbose } from './verbose.js';

// A pushed key authenticates for 60 s (eice.md §3.1). Past this age an auth failure
// is most likely an expired key, worth one fresh push.
export const KEY_WINDOW_MS = 60_000;
const DEFAULT_OS_USER = 'ec2-user';

export async function runSsh(options: SshOptions, io: Io, deps: Deps): Promise<number> {
  if (!options.target) {
    throw new UsageError('no target given', 'usage: eic-ssh [options] [user@]<target> [<command>...]');
  }
  const v = verbose(io, options.verbosity, deps.now);
  const aws = await deps.createAws({
    region: options.region,
    profile: options.profile,
    env: io.env,
    debug: options.verbosity >= 3 ? (line) => v.log(line, 3) : undefined,
  });
  const target = options.target;
  const instance = await v.phase('resolve', () => resolveTarget(aws, target), (i) => `${i.instanceId} ${i.state}`);
  requireRunning(instance);
  const osUser = options.user ?? DEFAULT_OS_USER;
  const endpoint = chooseDirectAddress(instance, options.via);
  const port = options.port ?? defaultPort(io.env);
  v.log(`route      direct to ${endpoint.kind} address ${endpoint.address} port ${port} as ${osUser}`);

  const key = await v.phase('key', async () => makeKey(options, deps), (k) => `${k.type} ${k.fingerprint}`);
  const push = () =>
    v.phase(
      'push',
      () => pushPublicKey({ instanceId: instance.instanceId, osUser, publicKey: key.publicLine }, { aws, sleep: deps.sleep, log: (l) => v.log(l) }),
      (r) => `request ${r.requestId}`,
    );
  // The window opens when the service takes the key, so the clock is read before the call.
  let pushedAt = deps.now();
  await push();

  const knownHosts = new KnownHostsFile(knownHostsPath(options, io.env, deps.homeDir));
  const connect = async (): Promise<Client> => {
    const sock = await v.phase('connect', () => deps.connectTcp(endpoint.address, port, connectTimeoutMs(options)));
    const verifier = createHostKeyVerifier({
      knownHosts,
      instanceId: instance.instanceId,
      policy: options.strictHostKeyChecking,
      warn: (text) => {
        if (!options.quiet) io.stderr.write(text);
      },
    });
    const started = deps.now();
    const client = await connectSsh({
      sock,
      username: osUser,
      privateKey: key.privateKey,
      hostKeyAlias: instance.instanceId,
      verifyHostKey: verifier,
      hostKeyAlgorithms: preferredHostKeyAlgorithms((await knownHosts.lookup(instance.instanceId)).map((e) => e.type)),
      readyTimeoutMs: connectTimeoutMs(options),
      keepaliveIntervalMs: (options.serverAliveIntervalSeconds ?? 15) * 1000,
      keepaliveCountMax: options.serverAliveCountMax ?? 3,
      debug: options.verbosity >= 2 ? (line) => v.log(line, 2) : undefined,
    });
    v.log(`auth       ${String(deps.now() - started).padStart(5)} ms  ${osUser}@${instance.instanceId}`);
    return client;
  };

  let client: Client;
  try {
    client = await connect();
  } catch (error) {
    if (!(error instanceof EicError && error.code === 'SSH_AUTH' && deps.now() - pushedAt >= KEY_WINDOW_MS)) throw error;
    v.log('auth failed after the 60 s key window: pushing the key again');
    pushedAt = deps.now();
    await push();
    client = await connect();
  }
  return runRemote(client, instance.instanceId, options, io, v, deps);
}

async function runRemote(client: Client, instanceLabel: string, options: SshOptions, io: Io, v: Verbose, deps: Deps): Promise<number> {
  const pty = decidePty(options.requestTty, options.command.length > 0, io.stdinIsTTY);
  if (pty.warning && !options.quiet) io.stderr.write(`${pty.warning}\n`);
  const watched = v.level >= 1 ? firstByteWatch(io, deps.now, (ms) => v.log(`first byte ${String(ms).padStart(5)} ms`)) : io;
  try {
    return await runSession(client, {
      command: options.command.length > 0 ? options.command.join(' ') : undefined,
      pty: pty.allocate,
      term: io.env.TERM,
      io: watched,
      escapeChar: pty.allocate ? options.escapeChar : null,
      host: instanceLabel,
      quiet: options.quiet,
    });
  } finally {
    client.end();
  }
}

function requireRunning(instance: InstanceInfo): void {
  if (instance.state === 'running') return;
  throw new EicError('INSTANCE_STATE', `${instance.instanceId} is ${instance.state}, not running`, {
    hint:
      instance.state === 'stopped'
        ? `start it first: aws ec2 start-instances --instance-ids ${instance.instanceId}`
        : 'wait until it is running and try again',
  });
}

async function makeKey(options: SshOptions, deps: Deps): Promise<EphemeralKey> {
  if (options.identityFile) return loadPrivateKeyFile(expandHome(options.identityFile, deps.homeDir));
  if (options.keyType === 'ed25519') return generateEphemeralKey('ed25519');
  return generateEphemeralKey('rsa', options.keyType === 'rsa-4096' ? 4096 : 2048);
}

function defaultPort(env: Record<string, string | undefined>): number {
  const fromEnv = env.EIC_SSH_PORT;
  if (fromEnv === undefined || fromEnv === '') return 22;
  const port = Number(fromEnv);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`EIC_SSH_PORT='${fromEnv}' is not a port number`, 'unset it or use a number from 1 to 65535');
  }
  return port;
}

function connectTimeoutMs(options: SshOptions): number {
  return (options.connectTimeoutSeconds ?? 20) * 1000;
}

export function knownHostsPath(options: SshOptions, env: Record<string, string | undefined>, homeDir: string): string {
  if (options.userKnownHostsFile) return expandHome(options.userKnownHostsFile, homeDir);
  if (env.EIC_SSH_KNOWN_HOSTS) return expandHome(env.EIC_SSH_KNOWN_HOSTS, homeDir);
  return join(stateDir(env, homeDir), 'known_hosts');
}

export function stateDir(env: Record<string, string | undefined>, homeDir: string): string {
  return env.EIC_SSH_HOME ? expandHome(env.EIC_SSH_HOME, homeDir) : join(homeDir, '.eic-ssh');
}

function expandHome(path: string, homeDir: string): string {
  return path === '~' ? homeDir : path.startsWith('~/') ? join(homeDir, path.slice(2)) : path;
}

