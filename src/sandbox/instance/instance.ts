// The runtime of one emulated EC2 instance: host keys and console output, a fake IMDS,
// and a real OpenSSH sshd whose AuthorizedKeysCommand accepts exactly the keys pushed
// through the sandbox's SendSSHPublicKey within their window (instance-side.md §8).
//
// State directory (one per instance; created if missing):
//   sshd_config, ssh_host_*_key[.pub]  (0600 keys), ca.pem (the trusted signer CA),
//   akc.mjs (the command, copied so its user can always read it), akc.log (its log, owned
//   by that user), sshd.log (every sshd's stderr), authorized_keys/<user> (image keys).
import { execFile } from 'node:child_process';
import { chown, copyFile, mkdir, open, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HostKey, SandboxInstance, World } from '../world.js';
import { provisionHostKeys, type HostKeyKind } from './host-keys.js';
import { startImds, type Imds } from './imds.js';
import { checkStrictModes, checkTraversable, preflight, uidOf, type HostIdentity } from './preflight.js';
import type { SandboxCa } from './signer.js';
import { SSHD_PATH, renderSshdConfig, startSshdListener, type SshdListener } from './sshd.js';

export { createStateDir, preflight, type HostIdentity } from './preflight.js';
export { createSandboxCa, type SandboxCa } from './signer.js';

const run = promisify(execFile);
// Beside this module in src/ (tests) and in dist/ (copied by scripts/copy-assets.mjs).
const AKC_SOURCE = fileURLToPath(new URL('./akc.mjs', import.meta.url));

export interface InstanceRuntimeOptions {
  stateDir: string;
  ca: SandboxCa;
  // Host key types to generate; default ecdsa, ed25519 and rsa.
  hostKeyKinds?: readonly HostKeyKind[];
}

export interface InstanceRuntime {
  readonly stateDir: string;
  readonly imdsUrl: string;
  readonly identity: HostIdentity;
  // Everything the instance's sshds logged (LogLevel VERBOSE), e.g. "Accepted publickey …".
  sshdLog(): string;
  // The AuthorizedKeysCommand's log: the two lines of instance-side.md §5.4, and failures.
  akcLog(): string;
  // New host keys for the sshd, effective from the next connection.
  replaceHostKeys(options?: { updateConsoleOutput?: boolean }): Promise<HostKey[]>;
  close(): Promise<void>;
}

export async function startInstanceRuntime(
  world: World,
  instance: SandboxInstance,
  options: InstanceRuntimeOptions,
): Promise<InstanceRuntime> {
  const identity = await preflight({ osUsers: instance.osUsers });
  // Unprivileged, sshd can only log in the account running it (§8.3).
  if (identity.loginUser !== undefined) instance.osUsers = [identity.loginUser];
  const paths = statePaths(options.stateDir);
  await prepareStateDir(instance, options, identity);
  const imds = await startImds(world, instance, options.ca);
  const sshd = await startSshd(instance, paths, imds, identity).catch(async (err: unknown) => {
    await imds.close();
    throw err;
  });
  let closed: Promise<void> | undefined;
  return {
    stateDir: options.stateDir,
    imdsUrl: imds.url,
    identity,
    sshdLog: () => readFileSync(paths.sshdLog, 'utf8'),
    akcLog: () => readFileSync(paths.akcLog, 'utf8'),
    replaceHostKeys: (replace = {}) => provisionHostKeys(instance, options.stateDir, replace),
    close() {
      closed ??= sshd.close().then(() => imds.close());
      return closed;
    },
  };
}

type StatePaths = ReturnType<typeof statePaths>;

// Writes and checks sshd_config, then listens for SSH connections.
async function startSshd(instance: SandboxInstance, paths: StatePaths, imds: Imds, identity: HostIdentity): Promise<SshdListener> {
  const config = renderSshdConfig({
    instanceId: instance.instanceId,
    hostKeyPaths: instance.hostKeys.map((key) => key.privatePath),
    authorizedKeysDir: paths.authorizedKeys,
    nodePath: process.execPath,
    akcPath: paths.akc,
    imdsUrl: imds.url,
    caPath: paths.ca,
    akcLogPath: paths.akcLog,
    akcUser: identity.akcUser,
  });
  await writeFile(paths.config, config, { mode: 0o644 });
  await testConfig(paths.config);
  const log = await open(paths.sshdLog, 'a', 0o600);
  try {
    // IMDS follows instance.metadataHttpEndpoint before each connection's command runs.
    const listener = await startSshdListener(instance, { configPath: paths.config, logFd: log.fd, beforeConnection: () => imds.sync() });
    return {
      liveConnections: () => listener.liveConnections(),
      close: () => listener.close().then(() => log.close()),
    };
  } catch (err) {
    await log.close();
    throw err;
  }
}

function statePaths(stateDir: string) {
  return {
    config: join(stateDir, 'sshd_config'),
    ca: join(stateDir, 'ca.pem'),
    akc: join(stateDir, 'akc.mjs'),
    akcLog: join(stateDir, 'akc.log'),
    sshdLog: join(stateDir, 'sshd.log'),
    authorizedKeys: join(stateDir, 'authorized_keys'),
  };
}

async function prepareStateDir(instance: SandboxInstance, options: InstanceRuntimeOptions, identity: HostIdentity): Promise<void> {
  const paths = statePaths(options.stateDir);
  // sshd's AuthorizedKeysCommandUser must reach ca.pem, akc.mjs and akc.log.
  await mkdir(options.stateDir, { recursive: true, mode: identity.privileged ? 0o755 : 0o700 });
  await checkTraversable(options.stateDir, identity);
  await mkdir(paths.authorizedKeys, { recursive: true, mode: 0o755 });

  if (!(await hostKeysPresent(instance))) {
    await provisionHostKeys(instance, options.stateDir, { kinds: options.hostKeyKinds });
  }
  await writeFile(paths.ca, options.ca.caCertPem, { mode: 0o644 });
  await copyFile(AKC_SOURCE, paths.akc);
  await writeFile(paths.akcLog, '', { mode: 0o600, flag: 'a' });
  if (identity.privileged) await chown(paths.akcLog, identity.akcUid, identity.akcGid);
  await writeImageKeys(instance, paths.authorizedKeys);
}

// A restarted instance keeps its host keys, as a stopped and started EC2 instance does.
async function hostKeysPresent(instance: SandboxInstance): Promise<boolean> {
  if (instance.hostKeys.length === 0) return false;
  const found = await Promise.all(instance.hostKeys.map((key) => stat(key.privatePath).then(() => true, () => false)));
  return found.every(Boolean);
}

// authorized_keys/<user> for each OS user with image keys; sshd reads them as that user.
async function writeImageKeys(instance: SandboxInstance, dir: string): Promise<void> {
  const entries = Object.entries(instance.authorizedKeys ?? {}).filter(([, keys]) => keys.length > 0);
  for (const [user, keys] of entries) {
    const file = join(dir, user);
    await writeFile(file, keys.map((key) => `${key.trim()}\n`).join(''), { mode: 0o644 });
    await checkStrictModes(file, (await uidOf(user)) ?? 0);
  }
}

// `sshd -t`: a config sshd rejects would otherwise fail every connection silently.
async function testConfig(configPath: string): Promise<void> {
  try {
    await run(SSHD_PATH, ['-t', '-f', configPath]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(`sshd rejects the sandbox instance configuration ${configPath}: ${stderr.trim()}`);
  }
}
