// Shared set-up for the instance runtime tests: a World with fully described
// instances on a fresh loopback block, client keys, and the two SSH clients the tests
// drive (ssh2's Client and the real /usr/bin/ssh).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type ClientChannel } from 'ssh2';
import { allocateAddressBlock, type AddressBlock } from '../../src/sandbox/addresses.js';
import { sshFingerprint } from '../../src/sandbox/instance/host-keys.js';
import {
  createSandboxCa,
  createStateDir,
  preflight,
  startInstanceRuntime,
  type InstanceRuntime,
  type SandboxCa,
} from '../../src/sandbox/instance/instance.js';
import { World, type SandboxInstance } from '../../src/sandbox/world.js';
import { wellFormedEd25519Pair } from '../../src/sandbox/instance/host-keys.js';

export interface Fixture {
  world: World;
  ca: SandboxCa;
  block: AddressBlock;
  stateRoot: string;
  keyDir: string;
  addInstance(overrides?: Partial<SandboxInstance>): SandboxInstance;
  start(instance: SandboxInstance): Promise<InstanceRuntime>;
  close(): Promise<void>;
}

let counter = 0;

export async function createFixture(region = 'us-east-1'): Promise<Fixture> {
  // Fails the suite (never skips it) when sshd or the OS users are missing.
  const identity = await preflight();
  if (!identity.privileged) {
    throw new Error('the instance tests log in as ec2-user, ubuntu and admin: run them as root, after: sudo bash .ci/setup.sh');
  }
  const world = new World(region);
  const ca = await createSandboxCa(region, world.clock.now());
  const block = await allocateAddressBlock();
  const stateRoot = await createStateDir('eic-instance-test-');
  const keyDir = await mkdtemp(join(tmpdir(), 'eic-client-keys-'));
  const runtimes: InstanceRuntime[] = [];
  return {
    world,
    ca,
    block,
    stateRoot,
    keyDir,
    addInstance(overrides = {}) {
      const n = ++counter;
      const privateIp = `10.0.${n >> 8}.${(n & 0xff) + 10}`;
      const hostAddress = block.next();
      const instance: SandboxInstance = {
        instanceId: `i-0${(0xabc000000 + n * 7919).toString(16).padStart(16, '0')}`,
        tags: { Name: `test-${n}` },
        state: 'running',
        imageId: 'ami-0123456789abcdef0',
        platformDetails: 'Linux/UNIX',
        instanceType: 't3.micro',
        az: `${region}a`,
        vpcId: 'vpc-0123456789abcdef0',
        subnetId: 'subnet-0123456789abcdef0',
        privateIp,
        privateDnsName: `ip-${privateIp.replaceAll('.', '-')}.ec2.internal`,
        hostAddress,
        sshPort: 0,
        imdsPort: 0,
        osUsers: ['ec2-user'],
        launchTime: world.clock.date(),
        hostKeys: [],
        metadataHttpEndpoint: 'enabled',
        clockSkewSeconds: 0,
        ...overrides,
      };
      world.addInstance(instance);
      return instance;
    },
    async start(instance) {
      const runtime = await startInstanceRuntime(world, instance, {
        stateDir: join(stateRoot, instance.instanceId),
        ca,
      });
      runtimes.push(runtime);
      return runtime;
    },
    async close() {
      await Promise.all(runtimes.map((runtime) => runtime.close()));
      await rm(stateRoot, { recursive: true, force: true });
      await rm(keyDir, { recursive: true, force: true });
    },
  };
}

export interface ClientKey {
  privateKey: string;
  publicKey: string; // 'ssh-ed25519 AAAA… comment'
  fingerprint: string; // SHA256:…
  path: string; // private key file, mode 0600, for /usr/bin/ssh
}

export async function clientKey(fixture: Fixture, type: 'ed25519' | 'rsa' = 'ed25519'): Promise<ClientKey> {
  const pair = type === 'rsa' ? ssh2.utils.generateKeyPairSync('rsa', { bits: 2048, comment: 'test' }) : wellFormedEd25519Pair('test');
  const path = join(fixture.keyDir, `key-${++counter}`);
  await writeFile(path, pair.private, { mode: 0o600 });
  return { privateKey: pair.private, publicKey: pair.public.trim(), fingerprint: sshFingerprint(pair.public), path };
}

export function push(fixture: Fixture, instance: SandboxInstance, user: string, key: ClientKey) {
  return fixture.world.pushKey({
    instanceId: instance.instanceId,
    osUser: user,
    publicKey: key.publicKey,
    callerArn: 'arn:aws:iam::111122223333:user/alice',
  });
}

export interface Ssh2Result {
  ok: boolean;
  error?: Error & { level?: string };
  hostKey?: Buffer; // the raw host key blob sshd presented
  stdout?: string;
  exitCode?: number;
}

// Connects with ssh2, runs `command` when given, and reports what happened.
export function ssh2Run(instance: SandboxInstance, user: string, key: ClientKey, command?: string): Promise<Ssh2Result> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let hostKey: Buffer | undefined;
    client.once('error', (error) => resolve({ ok: false, error, hostKey }));
    client.once('ready', () => {
      if (command === undefined) {
        client.end();
        return resolve({ ok: true, hostKey });
      }
      client.exec(command, (err, channel: ClientChannel) => {
        if (err) return resolve({ ok: false, error: err, hostKey });
        let stdout = '';
        let exitCode: number | undefined;
        channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        channel.on('exit', (code: number) => (exitCode = code));
        channel.on('close', () => {
          client.end();
          resolve({ ok: true, hostKey, stdout, exitCode });
        });
      });
    });
    client.connect({
      host: instance.hostAddress,
      port: instance.sshPort,
      username: user,
      privateKey: key.privateKey,
      readyTimeout: 20_000,
      hostVerifier: (blob: Buffer) => {
        hostKey = blob;
        return true;
      },
    });
  });
}

export interface OpenSshResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Runs the real OpenSSH client. Without `knownHosts` it trusts any host key; with it,
// it checks the host key strictly against that file.
export function openSsh(
  instance: SandboxInstance,
  user: string,
  key: ClientKey,
  args: string[],
  knownHosts?: string,
): Promise<OpenSshResult> {
  const options = [
    '-F', '/dev/null',
    '-i', key.path,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'BatchMode=yes',
    '-o', `StrictHostKeyChecking=${knownHosts === undefined ? 'no' : 'yes'}`,
    '-o', `UserKnownHostsFile=${knownHosts ?? '/dev/null'}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    '-p', String(instance.sshPort),
  ];
  return new Promise((resolve) => {
    execFile('/usr/bin/ssh', [...options, `${user}@${instance.hostAddress}`, ...args], (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 255;
      resolve({ code, stdout, stderr });
    });
  });
}

// An authenticated ssh2 Client, for tests that open several channels or sftp.
export function ssh2Connect(instance: SandboxInstance, user: string, key: ClientKey): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('error', reject);
    client.once('ready', () => resolve(client));
    client.connect({
      host: instance.hostAddress,
      port: instance.sshPort,
      username: user,
      privateKey: key.privateKey,
      readyTimeout: 20_000,
      hostVerifier: () => true,
    });
  });
}

// Runs `command` on a connected client; `pty` asks for a terminal as `ssh -t` does.
export function exec(client: ssh2.Client, command: string, pty = false): Promise<{ stdout: string; exitCode?: number }> {
  return new Promise((resolve, reject) => {
    client.exec(command, { pty }, (err, channel) => {
      if (err) return reject(err);
      let stdout = '';
      let exitCode: number | undefined;
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      channel.stderr.on('data', () => {});
      channel.on('exit', (code: number) => (exitCode = code));
      channel.on('close', () => resolve({ stdout, exitCode }));
    });
  });
}

// `pid` and its ancestors up to (not including) this test process: the processes an
// instance started to run a command (sshd titles itself, so its command line is no help).
export function ancestry(pid: number): number[] {
  const chain: number[] = [];
  for (let current = pid; current > 1 && current !== process.pid; ) {
    chain.push(current);
    const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
    current = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return chain;
}

// Alive and not a zombie.
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
