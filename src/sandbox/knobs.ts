// Every fault knob of the sandbox, with its default: the unknowns of AWS's behaviour
// (eice.md §10, ssm.md §22, instance-side.md §8.5) and the faults tests inject. The
// world model (world.ts) holds one Knobs object; docs/sandbox.md lists them all.

// Tests set them on `world.knobs`; `eic-ssh sandbox` exposes the common ones as flags.
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
