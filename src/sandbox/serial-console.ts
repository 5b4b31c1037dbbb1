// The sandbox's EC2 serial console (eice.md §3.3): the SendSerialConsoleSSHPublicKey
// operation of the EC2 Instance Connect API, and a serial console endpoint — an ssh2
// Server on loopback standing in for serial-console.ec2-instance-connect.<region>.aws:22
// — that admits user `<instance-id>.port0` with a key pushed for that instance in the
// last 60 s and shows the instance's serial port: a login prompt that echoes input.
// One session per instance (SerialConsoleSessionLimitExceededException otherwise).
// Knobs (docs/sandbox.md): serialKnobs(world).accessDisabled (account setting off),
// .unsupportedInstances (SerialConsoleSessionUnsupportedException), .nonNitroTypes
// (EC2InstanceTypeInvalidException), .unavailableNext (SerialConsoleSessionUnavailableException).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { ApiCall, JsonOutcome } from './http-api.js';
import type { World } from './world.js';
import { wellFormedEd25519Pair } from './instance/host-keys.js';

export interface SerialKnobs {
  accessDisabled: boolean;
  unsupportedInstances: Set<string>;
  // Instance types without the Nitro system: the serial console needs Nitro.
  nonNitroTypes: Set<string>;
  unavailableNext: number;
}

interface SerialState {
  knobs: SerialKnobs;
  keys: { instanceId: string; publicKey: string; expiresAt: number }[];
  sessions: Map<string, number>; // instance id → open sessions
}

const states = new WeakMap<World, SerialState>();

function stateOf(world: World): SerialState {
  let state = states.get(world);
  if (!state) {
    state = {
      knobs: { accessDisabled: false, unsupportedInstances: new Set(), nonNitroTypes: new Set(['t2.micro', 't2.small', 't2.medium', 'm4.large', 'c4.large']), unavailableNext: 0 },
      keys: [],
      sessions: new Map(),
    };
    states.set(world, state);
  }
  return state;
}

export function serialKnobs(world: World): SerialKnobs {
  return stateOf(world).knobs;
}

export function openSerialSessions(world: World, instanceId: string): number {
  return stateOf(world).sessions.get(instanceId) ?? 0;
}

const err = (type: string, status: number, message: string): JsonOutcome => ({ error: { type, status, message } });

// SendSerialConsoleSSHPublicKey: InstanceId, SSHPublicKey, SerialPort (0 only).
// `checkPublicKey` is eic-api.ts's key check (passed in: eic-api.ts registers this operation).
export function sendSerialConsoleSshPublicKey(
  input: Record<string, unknown>,
  call: ApiCall,
  checkPublicKey: (line: string, acceptedRsaBits: ReadonlySet<number>) => string | undefined,
): JsonOutcome {
  const { world, principal } = call;
  const state = stateOf(world);
  const instanceId = input.InstanceId;
  const publicKey = typeof input.SSHPublicKey === 'string' ? input.SSHPublicKey.trim() : undefined;
  const port = input.SerialPort ?? 0;
  if (typeof instanceId !== 'string' || !/^i-[a-f0-9]+$/.test(instanceId) || publicKey === undefined) {
    return err('InvalidArgsException', 400, 'InstanceId and SSHPublicKey are required');
  }
  if (port !== 0) return err('InvalidArgsException', 400, `Invalid serial port ${String(port)}: only port 0 is supported`);
  const keyProblem = checkPublicKey(publicKey, world.knobs.acceptedRsaKeyBits);
  if (keyProblem) return err('InvalidArgsException', 400, keyProblem);
  if (state.knobs.accessDisabled) {
    return err('SerialConsoleAccessDisabledException', 403, 'Your requested instance type is not supported or EC2 Serial Console access is disabled for your account.');
  }
  const instance = world.instances.get(instanceId);
  if (!instance) return err('EC2InstanceNotFoundException', 404, `Instance ${instanceId} not found`);
  if (world.knobs.deniedInstances.has(instanceId)) {
    return err('AuthException', 403, `User: ${principal.arn} is not authorized to perform: ec2-instance-connect:SendSerialConsoleSSHPublicKey`);
  }
  if (state.knobs.nonNitroTypes.has(instance.instanceType)) {
    return err('EC2InstanceTypeInvalidException', 400, `The instance type ${instance.instanceType} is not supported: the serial console requires a Nitro instance`);
  }
  if (state.knobs.unsupportedInstances.has(instanceId)) return err('SerialConsoleSessionUnsupportedException', 400, 'Serial console session is not supported for this instance');
  if (instance.state !== 'running') {
    return err('EC2InstanceStateInvalidException', 400, `Instance ${instanceId} is not in a valid state for this operation: ${instance.state}`);
  }
  if (openSerialSessions(world, instanceId) >= 1) {
    return err('SerialConsoleSessionLimitExceededException', 400, `Only one serial console session per instance: ${instanceId} already has one`);
  }
  if (state.knobs.unavailableNext > 0) {
    state.knobs.unavailableNext--;
    return err('SerialConsoleSessionUnavailableException', 500, 'Unable to start the serial console session. Try again later.');
  }
  state.keys.push({ instanceId, publicKey, expiresAt: world.clock.now() + 60_000 });
  return { output: { RequestId: call.requestId, Success: true } };
}

export interface SerialEndpoint {
  host: string;
  port: number;
  // 'SHA256:…' of the endpoint's host key (what AWS publishes per region).
  hostKeyFingerprint: string;
  close(): Promise<void>;
}

export async function startSerialEndpoint(world: World): Promise<SerialEndpoint> {
  const pair = wellFormedEd25519Pair();
  const hostKey = ssh2.utils.parseKey(pair.private);
  if (hostKey instanceof Error || Array.isArray(hostKey)) throw new Error('serial endpoint host key');
  const fingerprint = 'SHA256:' + createHash('sha256').update(hostKey.getPublicSSH()).digest('base64').replace(/=+$/, '');
  const state = stateOf(world);
  const clients = new Set<{ end(): void }>();
  const server = new ssh2.Server({ hostKeys: [pair.private] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    let instanceId: string | undefined;
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      const match = /^(i-[a-f0-9]+)\.port0$/.exec(ctx.username);
      if (!match || ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const now = world.clock.now();
      const allowed = state.keys.some((k) => {
        if (k.instanceId !== match[1] || k.expiresAt <= now) return false;
        const blob = Buffer.from(k.publicKey.split(/\s+/)[1] ?? '', 'base64');
        return blob.length === ctx.key.data.length && timingSafeEqual(blob, ctx.key.data);
      });
      if (!allowed) return ctx.reject(['publickey']);
      if (!ctx.signature) return ctx.accept(); // the "would this key do" query
      const parsed = ssh2.utils.parseKey(Buffer.concat([Buffer.from(`${ctx.key.algo} `), Buffer.from(ctx.key.data.toString('base64'))]));
      if (parsed instanceof Error || Array.isArray(parsed) || !ctx.blob || !parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.reject(['publickey']);
      instanceId = match[1];
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('pty', (ok) => ok?.());
        session.on('window-change', (ok) => ok?.());
        session.on('shell', (ok) => {
          const channel = ok();
          const id = instanceId ?? '';
          state.sessions.set(id, (state.sessions.get(id) ?? 0) + 1);
          const instance = world.instances.get(id);
          const host = instance?.privateDnsName.split('.')[0] || id;
          channel.write(`\r\nDebian GNU/Linux 12 ${host} ttyS0\r\n\r\n${host} login: `);
          channel.on('data', (data: Buffer) => {
            // A serial line echoes what is typed; Enter brings the prompt back.
            const text = data.toString('latin1').replace(/\r\n?|\n/g, '\r\n');
            channel.write(text.replace(/\r\n/g, `\r\n${host} login: `));
          });
          let ended = false;
          const finish = () => {
            if (ended) return;
            ended = true;
            state.sessions.set(id, Math.max(0, (state.sessions.get(id) ?? 1) - 1));
          };
          channel.on('end', () => {
            channel.exit(0);
            channel.end();
          });
          channel.on('close', finish);
          client.on('close', finish);
        });
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    hostKeyFingerprint: fingerprint,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.end();
        server.close(() => resolve());
      }),
  };
}
