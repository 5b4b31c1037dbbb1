// The sandbox's in-memory model of an AWS account: instances, pushed keys, the call
// log, the clock and every fault knob. The API server (http-api.ts) and the
// instance runtime (instance/) both read and change this one object.
// Its zero configuration is ready for use: see defaultKnobs().
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { emptyNetwork, type SandboxNetwork } from './network.js';

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

// Every fault knob. Tests set them on `world.knobs`; `eic-ssh sandbox` exposes them as flags.
export interface Knobs {
  // SendSSHPublicKey answers ThrottlingException for the next N calls.
  throttleNextPushes: number;
  // At most this many SendSSHPublicKey calls per second; the rest get ThrottlingException. undefined = unlimited.
  pushesPerSecond?: number;
  // SendSSHPublicKey answers EC2InstanceUnavailableException for the next N calls.
  unavailableNextPushes: number;
  // SendSSHPublicKey answers ServiceException for the next N calls.
  serviceErrorNextPushes: number;
  // EC2 Query calls answer RequestLimitExceeded for the next N calls.
  throttleNextEc2Calls: number;
  // SendSSHPublicKey answers AuthException for these OS users / instance ids (an ec2:osuser or resource condition).
  deniedOsUsers: Set<string>;
  deniedInstances: Set<string>;
  // Lifetime of a pushed key (the service's 60 s).
  keyLifetimeSeconds: number;
  // How long IMDS keeps serving a block after it expired (not public; instance-side.md §8.5).
  keepExpiredKeysSeconds: number;
  // SigV4 clock-skew allowance for API calls (AWS: 5 minutes).
  signatureSkewSeconds: number;
  // DescribeInstances page size when the caller sets no MaxResults (AWS pages at 1000).
  defaultPageSize: number;
  // IMDS answers 500 to every request (the "status 22" failure of instance-side.md §3.2).
  imdsServerError: boolean;
  // IMDS serves key bundles that the instance must reject (instance-side.md §8.5):
  // 'bad-signature' (signatures do not verify), 'wrong-signer-cn' (signer certificate
  // with another CN, issued by the sandbox CA), 'untrusted-signer' (right CN, issued by a
  // CA the instance does not trust), 'wrong-instance' (blocks name another instance id).
  // undefined = genuine bundles.
  imdsBundleFault?: ImdsBundleFault;
  // IMDS waits this long before answering each request; the instance's command gives
  // each request 1 s and itself 5 s (instance-side.md §3.1, §3.2). undefined = no delay.
  imdsResponseDelayMs?: number;
  // RSA modulus sizes SendSSHPublicKey accepts (AWS user guide, "Connect using your own
  // key": supported lengths 2048 and 4096). Ed25519 has a single size.
  acceptedRsaKeyBits: Set<number>;
  // Replaces the code and/or HTTP status the API server answers for a SigV4 failure, keyed
  // '<protocol>:<kind>' (protocol 'ec2' | 'sts' | 'json'; kind as in sigv4-verify.ts
  // AuthFailureKind, e.g. 'json:signature'). AWS does not publish these for every service;
  // the defaults (http-api.ts AUTH_ERRORS) say where each comes from. Empty = defaults.
  authErrorOverrides: Map<string, { code?: string; status?: number }>;
  // ---- SSM Session Manager (ssm.md §21; docs/sandbox.md lists them) ----
  // 'faithful': the agent reads ≤ ssmChunkSize (1024) bytes from sshd, sends one message,
  // sleeps 1 ms, and resends only the oldest expired message per 100 ms tick (§11, §18);
  // 'fast': reads up to ssmFastChunkSize, no sleep, resends every expired message.
  ssmPacing: 'faithful' | 'fast';
  ssmChunkSize: number;
  ssmFastChunkSize: number;
  // Fault injection on binary frames (both directions unless ssmFaultDirection says
  // otherwise), drawn from a PRNG seeded with ssmFaultSeed so a failure replays.
  ssmDropRate: number;
  ssmDuplicateRate: number;
  ssmReorderRate: number;
  ssmFaultSeed: number;
  ssmFaultDirection: 'both' | 'to-client' | 'to-agent';
  // MGS closes every data-channel websocket with 1000 "Bye" this often (§1 fact 9; AWS:
  // about 60 min). undefined = never.
  ssmByeEverySeconds?: number;
  // Publication bursts: every ssmPauseEverySeconds MGS sends pause_publication, then
  // start_publication ssmPauseForMs later; client stream frames arriving in between are
  // dropped (choice: the paused side is "inactive"). undefined = never.
  ssmPauseEverySeconds?: number;
  ssmPauseForMs: number;
  // channel_closed after this long without client input (§14; AWS default 20 min).
  ssmIdleTimeoutSeconds: number;
  // channel_closed this long after StartSession (§14; AWS default: none).
  ssmMaxSessionSeconds?: number;
  // How long a TokenValue stays usable for OpenDataChannel (not public, §4.1).
  ssmTokenLifetimeSeconds: number;
  // The agent's handshake timeout (§9.2: 15 s).
  ssmHandshakeTimeoutMs: number;
  // AgentVersion in HandshakeRequest and DescribeInstanceInformation's default.
  ssmAgentVersion: string;
  // Refuse websocket upgrades without a valid SigV4 signature (service ssmmessages, §4.3).
  // false: unsigned upgrades are accepted, signed ones are still verified.
  ssmRequireSignedUpgrade: boolean;
  // Check each inbound PayloadDigest (§5.2: the real agent does not; we do so bugs surface).
  ssmCheckDigest: boolean;
  // ResumeSession answers AccessDeniedException (HTTP 400) for the next N calls (§13, #136).
  ssmRefuseNextResumes: number;
  // The agent's acks reach the client this much later (§21 "delay acks"). 0 = at once.
  ssmAckDelayMs: number;
  // Share of agent → client stream messages sent with a corrupted PayloadDigest (§21).
  ssmCorruptDigestRate: number;
  // Drop the websocket without a CLOSE frame (client sees 1006) this often; the session
  // stays resumable. undefined = never.
  ssmDropSocketEverySeconds?: number;
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

// Fault and policy knobs of the EICE tunnel server (eice.md §10, §11).
export interface EiceKnobs {
  // Concurrent tunnels per endpoint ("up to 20 concurrent connections", §8).
  maxTunnelsPerEndpoint: number;
  // Presign window when X-Amz-Expires is absent (§5.4 step 7; not public).
  defaultPresignExpiresSeconds: number;
  // Instances whose security group does not admit the endpoint: the upgrade succeeds,
  // then the tunnel closes with a reason (§6.4, §8.1).
  blockedInstances: Set<string>;
  // Close code and reason when maxTunnelDuration expires and when the instance
  // cannot be reached (§10: not public; 4000-range by choice).
  durationCloseCode: number;
  unreachableCloseCode: number;
  // Drop the TCP connection without CLOSE after this many bytes in either direction.
  dropAfterBytes?: number;
  // Close the tunnel (code 4002, reason below) after this many seconds.
  closeAfterSeconds?: number;
  // Answer the next handshake with this HTTP status and body instead of 101.
  rejectNextHandshake?: { status: number; body: string };
  // Largest BINARY frame the server sends; smaller frames exercise the client's joining.
  serverFrameBytes?: number;
  // Send the next tunnel's first server bytes as a TEXT frame (a protocol error, §6.3).
  textFrameNext?: boolean;
  // HTTP status of each handshake error code (§10: not public).
  errorStatus: Record<string, number>;
}

export function defaultEiceKnobs(): EiceKnobs {
  return {
    maxTunnelsPerEndpoint: 20,
    defaultPresignExpiresSeconds: 300,
    blockedInstances: new Set(),
    durationCloseCode: 4000,
    unreachableCloseCode: 4001,
    errorStatus: { InvalidParameter: 400, AccessDeniedException: 403, ResourceNotFoundException: 404, ThrottlingException: 429 },
  };
}

export type ImdsBundleFault = 'bad-signature' | 'wrong-signer-cn' | 'untrusted-signer' | 'wrong-instance';

export function defaultKnobs(): Knobs {
  return {
    throttleNextPushes: 0,
    pushesPerSecond: undefined,
    unavailableNextPushes: 0,
    serviceErrorNextPushes: 0,
    throttleNextEc2Calls: 0,
    deniedOsUsers: new Set(),
    deniedInstances: new Set(),
    keyLifetimeSeconds: 60,
    keepExpiredKeysSeconds: 120,
    signatureSkewSeconds: 300,
    defaultPageSize: 1000,
    imdsServerError: false,
    acceptedRsaKeyBits: new Set([2048, 4096]),
    authErrorOverrides: new Map(),
    ssmPacing: 'faithful',
    ssmChunkSize: 1024,
    ssmFastChunkSize: 32 * 1024,
    ssmDropRate: 0,
    ssmDuplicateRate: 0,
    ssmReorderRate: 0,
    ssmFaultSeed: 1,
    ssmFaultDirection: 'both',
    ssmByeEverySeconds: 3600,
    ssmPauseEverySeconds: undefined,
    ssmPauseForMs: 500,
    ssmIdleTimeoutSeconds: 20 * 60,
    ssmMaxSessionSeconds: undefined,
    ssmTokenLifetimeSeconds: 60,
    ssmHandshakeTimeoutMs: 15_000,
    ssmAgentVersion: '3.3.1000.0',
    ssmRequireSignedUpgrade: false,
    ssmCheckDigest: true,
    ssmRefuseNextResumes: 0,
    ssmAckDelayMs: 0,
    ssmCorruptDigestRate: 0,
    ssmDropSocketEverySeconds: undefined,
  };
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
