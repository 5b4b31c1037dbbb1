// The sandbox's in-memory model of an AWS account: instances, pushed keys, the call
// log, the clock and every fault knob. The API server (http-api.ts) and the
// instance runtime (instance/) both read and change this one object.
// Its zero configuration is ready for use: see defaultKnobs().
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { emptyNetwork, type SandboxNetwork } from './network.js';
import { defaultEiceKnobs, defaultKnobs, type EiceKnobs, type Knobs } from './knobs.js';

// The knobs live in knobs.ts; importers of world.ts keep finding them here.
export { defaultEiceKnobs, defaultKnobs, type EiceKnobs, type ImdsBundleFault, type Knobs } from './knobs.js';

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

// EC2 instance state codes (eice.md §2.2).
export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface HostKey {
  type: string; // e.g. 'ssh-ed25519'
  publicLine: string; // '<type> <base64> root@<hostname>'
  privatePath: string; // mode 0600 file handed to sshd
}

export interface SandboxInstance {
  instanceId: string;
  tags: Record<string, string>; // the Name tag is tags.Name
  state: InstanceStateName;
  imageId: string;
  platformDetails: string;
  instanceType: string;
  az: string;
  vpcId: string;
  subnetId: string;
  // Reported private address. Never listened on: like a VPC address seen from a laptop,
  // a direct attempt fails fast (connection refused); tunnels reach the instance instead.
  privateIp: string;
  privateDnsName: string;
  // Reported public address; when present the instance's sshd listens there.
  publicIp?: string;
  publicDnsName?: string;
  // Reported IPv6 address (DescribeInstances `ipv6Address`); undefined = none.
  ipv6Address?: string;
  // Where the instance's sshd and IMDS actually listen (== publicIp for public instances,
  // an unreported loopback address otherwise).
  hostAddress: string;
  sshPort: number;
  imdsPort: number;
  // OS users that can log in (the sandbox maps them to real local accounts).
  osUsers: string[];
  launchTime: Date;
  // Filled by the instance runtime when it starts.
  hostKeys: HostKey[];
  // cloud-init style console text (instance-side.md §7.2); undefined = nothing posted yet.
  consoleOutput?: string;
  metadataHttpEndpoint: 'enabled' | 'disabled';
  // The instance's clock minus the sandbox clock (instance-side.md §5.5: clock far off).
  clockSkewSeconds: number;
  // EC2 MetadataOptions.HttpTokens: 'optional' also lets IMDS answer GETs without a
  // token (IMDSv1). undefined = 'required' (IMDSv2 only).
  metadataHttpTokens?: 'required' | 'optional';
  // Keys baked into the image per OS user, like the launch key pair cloud-init writes to
  // ~/.ssh/authorized_keys; the instance's sshd reads them from its AuthorizedKeysFile.
  // Read when the instance runtime starts. undefined = none: only pushed keys work.
  authorizedKeys?: Record<string, string[]>;
  // SSM: the instance's SSM Agent as DescribeInstanceInformation reports it (ssm.md §3.4);
  // undefined = not a managed node (StartSession answers TargetNotConnected).
  ssm?: SsmManagedInfo;
}

// A managed node's SSM Agent (ssm.md §3.4). Only PingStatus 'Online' accepts sessions.
export interface SsmManagedInfo {
  pingStatus: 'Online' | 'ConnectionLost' | 'Inactive';
  agentVersion: string;
  platformType: 'Linux' | 'Windows' | 'MacOS';
  platformName: string;
  platformVersion: string;
}

// One Session Manager session (ssm.md §3). The data channel's live state belongs to the
// websocket server (ssm-server.ts); this is what the API knows.
export interface SsmSession {
  sessionId: string;
  target: string;
  documentName: string;
  // The document's parameters after defaults (e.g. { portNumber: '22' }).
  parameters: Record<string, string>;
  owner: string; // caller ARN
  startDate: Date;
  // 'Connected' while live; 'Terminated' after TerminateSession or a channel_closed;
  // 'TimedOut' after the idle / max-duration timeout.
  status: 'Connected' | 'Terminated' | 'TimedOut';
  streamUrl: string;
  // Tokens handed out by StartSession / ResumeSession: token → expiry (sandbox-clock ms).
  // Single use: OpenDataChannel deletes the one it uses.
  tokens: Map<string, number>;
  // Sandbox-clock ms of the last client input or ResumeSession (idle timeout, §14).
  lastActivity: number;
}

// One SendSSHPublicKey block as the EIC service publishes it to IMDS (instance-side.md §4).
export interface PushedKey {
  instanceId: string;
  osUser: string;
  publicKey: string;
  expiresAt: number; // unix seconds: the bundle's #Timestamp
  requestId: string;
  callerArn: string;
}

export interface SandboxPrincipal {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  arn: string;
  userId: string;
  // When the temporary credentials (sessionToken) expire; undefined = never.
  // Calls signed after this answer the protocol's expired-token error.
  expiration?: Date;
}

export interface CallRecord {
  time: Date;
  service: string; // SigV4 signing name: 'ec2', 'ec2-instance-connect', 'sts', …
  operation: string;
  params: Record<string, unknown>;
  caller?: string; // principal ARN
  status: number;
  errorCode?: string;
  requestId: string;
}

// EC2 Instance Connect Endpoint states (eice.md §2.3).
export type EndpointState =
  | 'create-in-progress'
  | 'create-complete'
  | 'create-failed'
  | 'delete-in-progress'
  | 'delete-complete'
  | 'delete-failed'
  | 'update-in-progress'
  | 'update-complete'
  | 'update-failed';

// One EC2 Instance Connect Endpoint (eice.md §2.3); its tunnels are served by eice-server.ts.
export interface SandboxEndpoint {
  endpointId: string;
  state: EndpointState;
  stateMessage?: string;
  vpcId: string;
  subnetId: string;
  az: string;
  dnsName: string;
  fipsDnsName: string;
  securityGroupIds: string[];
  networkInterfaceIds: string[];
  createdAt: Date;
  tags: Record<string, string>;
}

// What the EICE server saw of one tunnel (tests assert framing on it, eice.md §6.3).
export interface TunnelRecord {
  endpointId: string;
  privateIpAddress: string;
  remotePort: number;
  maxTunnelDuration?: number;
  requestId: string;
  hostHeader: string;
  // Client → server BINARY frames: count, largest, zero-length ones, bytes.
  framesIn: number;
  maxFrameIn: number;
  emptyFramesIn: number;
  textFramesIn: number;
  bytesIn: number;
  bytesOut: number;
  // How the tunnel ended: the close code the server sent or received, or 'dropped'.
  closeCode?: number;
  closeReason?: string;
  closedBy?: 'client' | 'server';
  open: boolean;
}

// A clock the tests can move forward; the instance runtime serves it to the
// AuthorizedKeysCommand so key expiry follows it too.
export class SandboxClock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  date(): Date {
    return new Date(this.now());
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface WorldEvents {
  call: [CallRecord];
  push: [PushedKey];
  // TerminateSession was called for a live session (ssm-server.ts sends channel_closed).
  ssmTerminate: [SsmSession];
}

export class World {
  readonly region: string;
  readonly accountId: string;
  readonly instances = new Map<string, SandboxInstance>();
  readonly principals: SandboxPrincipal[] = [];
  readonly pushedKeys: PushedKey[] = [];
  readonly calls: CallRecord[] = [];
  readonly clock = new SandboxClock();
  readonly knobs: Knobs = defaultKnobs();
  readonly events = new EventEmitter<WorldEvents>();
  // EC2 Instance Connect Endpoints, their knobs, and every tunnel opened through them.
  readonly endpoints = new Map<string, SandboxEndpoint>();
  readonly eiceKnobs: EiceKnobs = defaultEiceKnobs();
  readonly tunnels: TunnelRecord[] = [];
  // SSM sessions by SessionId (ssm-api.ts).
  readonly ssmSessions = new Map<string, SsmSession>();
  // The network model the doctor's describe calls read (network.ts; faults: network-faults.ts).
  readonly network: SandboxNetwork = emptyNetwork();
  // Where StreamUrls point: set by the websocket server when it starts (ssm-server.ts),
  // e.g. 'ws://127.0.0.1:41234'. undefined = no data channel (StartSession answers
  // InternalServerError).
  ssmStreamBase?: string;

  constructor(region = 'us-east-1', accountId = '111122223333') {
    this.region = region;
    this.accountId = accountId;
  }

  addInstance(instance: SandboxInstance): void {
    this.instances.set(instance.instanceId, instance);
  }

  addEndpoint(endpoint: SandboxEndpoint): void {
    this.endpoints.set(endpoint.endpointId, endpoint);
  }

  principalByAccessKey(accessKeyId: string): SandboxPrincipal | undefined {
    return this.principals.find((p) => p.accessKeyId === accessKeyId);
  }

  recordCall(call: Omit<CallRecord, 'time'>): CallRecord {
    const record: CallRecord = { time: this.clock.date(), ...call };
    this.calls.push(record);
    this.events.emit('call', record);
    return record;
  }

  // Operations called so far, in order, e.g. ['DescribeInstances', 'SendSSHPublicKey'].
  operations(): string[] {
    return this.calls.map((c) => c.operation);
  }

  pushKey(key: Omit<PushedKey, 'expiresAt' | 'requestId'> & { requestId?: string }): PushedKey {
    const pushed: PushedKey = {
      ...key,
      requestId: key.requestId ?? randomUUID(),
      expiresAt: Math.floor(this.clock.now() / 1000) + this.knobs.keyLifetimeSeconds,
    };
    this.pushedKeys.push(pushed);
    this.events.emit('push', pushed);
    return pushed;
  }

  // The blocks IMDS serves for (instance, user): live ones plus recently expired ones,
  // so that the AuthorizedKeysCommand's own `Timestamp > now` check is what rejects them.
  publishedKeys(instanceId: string, osUser: string): PushedKey[] {
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    return this.pushedKeys.filter(
      (k) =>
        k.instanceId === instanceId &&
        k.osUser === osUser &&
        k.expiresAt + this.knobs.keepExpiredKeysSeconds > nowSeconds,
    );
  }
}
