// startSandbox(): an emulated AWS account on loopback, ready with no configuration.
// It starts the API server the real AWS SDK talks to, and one real OpenSSH sshd
// runtime per running instance, and hands back everything a client needs: the
// environment variables that point eic-ssh (and the aws CLI) at it, the world
// model with its knobs and call log, and close().
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { allocateAddressBlock } from './addresses.js';
import { buildInstance, DEFAULT_FLEET, SANDBOX_VPC_ID, type InstanceSpec } from './fleet.js';
import { defaultNetwork } from './network.js';
import { startApiServer } from './http-api.js';
import { writeFile } from 'node:fs/promises';
import { buildEndpoint, DEFAULT_ENDPOINTS, type EndpointSpec } from './eice-fleet.js';
import { startEiceServer, type EiceServer } from './eice-server.js';
import { startSsmServer, type SsmServer } from './ssm-server.js';
import { startSerialEndpoint, type SerialEndpoint } from './serial-console.js';
import { createTlsIdentity } from './tls.js';
import { createSandboxCa, createStateDir, startInstanceRuntime, type InstanceRuntime } from './instance/instance.js';
import type { HostKeyKind } from './instance/host-keys.js';
import { World, type InstanceStateName, type SandboxInstance, type SandboxPrincipal } from './world.js';

export interface SandboxOptions {
  region?: string;
  fleet?: InstanceSpec[];
  // Port of the API server on 127.0.0.1 (default: any free port).
  apiPort?: number;
  // SSH port on every instance address (default: 22 as root when free, else a free port).
  sshPort?: number;
  // Keep the state directory (sshd configs, logs) on close, for debugging.
  keepState?: boolean;
  // EC2 Instance Connect Endpoints (default: one in subnet a of the sandbox VPC).
  endpoints?: EndpointSpec[];
  // Port of the EICE tunnel server on 127.0.0.1 (default: 443 as root when free, else any free port).
  eicePort?: number;
  // Host key types every instance's sshd gets (default: ecdsa, ed25519, rsa). ['ed25519']
  // makes big fleets cheap: RSA key generation dominates an instance's start.
  hostKeyKinds?: readonly HostKeyKind[];
}

export interface Sandbox {
  readonly world: World;
  readonly region: string;
  readonly apiUrl: string;
  readonly sshPort: number;
  readonly stateDir: string;
  readonly principal: SandboxPrincipal;
  // Variables that point eic-ssh and the aws CLI at this sandbox.
  readonly env: Record<string, string>;
  // The EICE tunnel server: where it listens and the CA file that makes clients trust it.
  readonly eice: { url: string; port: number; caFile: string };
  // The SSM data-channel server (wss://127.0.0.1:<port>) and its live session links.
  readonly ssm: SsmServer;
  instances(): SandboxInstance[];
  // The instance with this id or Name tag (the first, for a shared name).
  instance(idOrName: string): SandboxInstance;
  runtime(instanceId: string): InstanceRuntime;
  // The instance-state knob: stopping closes the instance's sshd (connections are
  // refused), starting brings it back with the same host keys, as EC2 stop/start does.
  setState(instanceId: string, state: InstanceStateName): Promise<void>;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const region = options.region ?? 'us-east-1';
  const world = new World(region);
  const principal = sandboxPrincipal(world.accountId);
  world.principals.push(principal);

  const stateDir = await createStateDir();
  // Two addresses per instance: past 122 instances one /24 is not enough.
  const addresses = await allocateAddressBlock(Math.random, (options.fleet ?? DEFAULT_FLEET).length > 122 ? 2 : 1);
  const sshPort = options.sshPort ?? (await pickSshPort(`${addresses.prefix}.10`));
  const launchTime = new Date(Math.floor(world.clock.now() / 1000) * 1000);
  const fleet = options.fleet ?? DEFAULT_FLEET;
  fleet.forEach((spec, index) => world.addInstance(buildInstance(spec, index, { region, addresses, sshPort, launchTime })));

  const ca = await createSandboxCa(region, world.clock.now());
  const runtimes = new Map<string, InstanceRuntime>();
  const api = await startApiServer(world, { port: options.apiPort ?? 0 });
  (options.endpoints ?? DEFAULT_ENDPOINTS).forEach((spec, index) => world.addEndpoint(buildEndpoint(spec, index, region, launchTime)));
  // The healthy default network (network.ts): the VPC is the sandbox's 127.X.Y.0/24 block.
  Object.assign(
    world.network,
    defaultNetwork({
      region,
      accountId: world.accountId,
      vpcId: SANDBOX_VPC_ID,
      vpcCidr: addresses.cidr,
      instanceIds: [...world.instances.keys()],
      endpointGroupIds: [...world.endpoints.values()].flatMap((e) => e.securityGroupIds),
    }),
  );
  let eice: EiceServer | undefined;
  let ssm: SsmServer | undefined;
  let serial: SerialEndpoint | undefined;
  const close = async () => {
    await Promise.allSettled([api.close(), eice?.close(), ssm?.close(), serial?.close(), ...[...runtimes.values()].map((r) => r.close())]);
    if (!options.keepState) await rm(stateDir, { recursive: true, force: true });
  };
  const startRuntime = async (instance: SandboxInstance) => {
    runtimes.set(instance.instanceId, await startInstanceRuntime(world, instance, { stateDir: join(stateDir, instance.instanceId), ca, hostKeyKinds: options.hostKeyKinds }));
  };
  try {
    // Only running instances answer on port 22, as on EC2.
    for (const instance of world.instances.values()) if (instance.state === 'running') await startRuntime(instance);
  } catch (error) {
    await close();
    throw error;
  }

  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: api.url,
    AWS_ACCESS_KEY_ID: principal.accessKeyId,
    AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // A fresh sandbox has fresh host keys: keep its known hosts apart from the user's.
    EIC_SSH_KNOWN_HOSTS: join(stateDir, 'known_hosts'),
  };
  if (sshPort !== 22) env.EIC_SSH_PORT = String(sshPort);
  // The tunnel endpoint: every endpoint's DNS name resolves, for eic-ssh, to this server
  // (EIC_SSH_EICE_ENDPOINT_URL), whose certificate chains to the sandbox CA (EIC_SSH_CA_FILE).
  const eiceCaFile = join(stateDir, 'eice-ca.pem');
  try {
    const tls = await createTlsIdentity([...world.endpoints.values()].flatMap((e) => [e.dnsName, e.fipsDnsName]), world.clock.now());
    await writeFile(eiceCaFile, tls.caCertPem, { mode: 0o644 });
    // 443 as on AWS when root and free; another sandbox may take it between check and
    // listen, so a failed 443 falls back to any free port.
    const wants443 = options.eicePort === undefined && process.getuid?.() === 0 && (await canListen('127.0.0.1', 443));
    eice = wants443
      ? await startEiceServer(world, { tls, port: 443 }).catch(() => startEiceServer(world, { tls, port: 0 }))
      : await startEiceServer(world, { tls, port: options.eicePort ?? 0 });
    // SSM data channel (ssm.md §4): wss on 127.0.0.1 with the same sandbox CA.
    ssm = await startSsmServer(world, { tls });
    // The EC2 serial console endpoint (serial-console.ts) and its host key fingerprint.
    serial = await startSerialEndpoint(world);
  } catch (error) {
    await close();
    throw error;
  }
  env.EIC_SSH_EICE_ENDPOINT_URL = eice.url;
  env.EIC_SSH_CA_FILE = eiceCaFile;
  // StreamUrls from the sandbox's StartSession start with this (the client's explicit
  // override of its AWS-endpoint check, ssm.md §4.1).
  env.EIC_SSH_SSM_ENDPOINT_URL = ssm!.url;
  env.EIC_SSH_SERIAL_ENDPOINT = `${serial!.host}:${String(serial!.port)}`;
  env.EIC_SSH_SERIAL_HOST_KEYS = serial!.hostKeyFingerprint;

  return {
    world,
    region,
    apiUrl: api.url,
    sshPort,
    stateDir,
    principal,
    env,
    eice: { url: eice.url, port: eice.port, caFile: eiceCaFile },
    ssm: ssm!,
    instances: () => [...world.instances.values()],
    instance(idOrName) {
      const found = [...world.instances.values()].find((i) => i.instanceId === idOrName || i.tags.Name === idOrName);
      if (!found) throw new Error(`sandbox has no instance ${idOrName}`);
      return found;
    },
    runtime(instanceId) {
      const runtime = runtimes.get(instanceId);
      if (!runtime) throw new Error(`sandbox instance ${instanceId} is not running`);
      return runtime;
    },
    async setState(instanceId, state) {
      const instance = world.instances.get(instanceId);
      if (!instance) throw new Error(`sandbox has no instance ${instanceId}`);
      instance.state = state;
      const runtime = runtimes.get(instanceId);
      if (state === 'running' && !runtime) await startRuntime(instance);
      if (state !== 'running' && runtime) {
        runtimes.delete(instanceId);
        await runtime.close();
      }
    },
    close,
  };
}

// Throw-away credentials, unique per sandbox: nothing else will accept them.
function sandboxPrincipal(accountId: string): SandboxPrincipal {
  return {
    accessKeyId: `AKIASANDBOX${randomBytes(5).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    arn: `arn:aws:iam::${accountId}:user/sandbox-developer`,
    userId: `AIDASANDBOX${randomBytes(6).toString('hex').toUpperCase()}`,
  };
}

// Port 22 as on EC2 when we may bind it; each sandbox has its own addresses, so
// only something else on that exact address (or on 0.0.0.0:22) can be in the way.
async function pickSshPort(address: string): Promise<number> {
  if (process.getuid?.() === 0 && (await canListen(address, 22))) return 22;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if (await canListen(address, port)) return port;
  }
  throw new Error(`no free SSH port on ${address}`);
}

function canListen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, address, () => server.close(() => resolve(true)));
  });
}
