// The sandbox's Systems Manager API (JSON 1.1, target prefix AmazonSSM, signing name ssm;
// ssm.md §3): StartSession, ResumeSession and TerminateSession for Session Manager port
// sessions, and DescribeInstanceInformation for managed nodes. SigV4 is verified by
// http-api.ts before any operation runs; the data channel itself is ssm-server.ts.
//
// Not public, hence choices (documented at each step): the order of checks, most
// messages, the token lifetime, and the answers for shell sessions and bad parameters.
import { randomBytes } from 'node:crypto';
import type { SandboxInstance, SsmSession, World } from './world.js';
import type { ApiCall, JsonOutcome, JsonService } from './http-api.js';
import { describeInstanceInformation } from './ssm-describe.js';

type Input = Record<string, unknown>;

const err = (type: string, status: number, message: string): JsonOutcome => ({ error: { type, status, message } });

// §3.5: the port documents and their parameters with defaults. Choice: shell sessions
// (no DocumentName, SSM-SessionManagerRunShell) are not emulated; they answer
// InvalidDocument so a client cannot mistake them for working.
const DOCUMENTS: Record<string, { parameters: Record<string, string | undefined>; properties: (p: Record<string, string>) => Record<string, string> }> = {
  'AWS-StartSSHSession': {
    parameters: { portNumber: '22' },
    properties: (p) => ({ portNumber: p.portNumber! }),
  },
  'AWS-StartPortForwardingSession': {
    parameters: { portNumber: '80', localPortNumber: '0' },
    properties: (p) => ({ portNumber: p.portNumber!, type: 'LocalPortForwarding', localPortNumber: p.localPortNumber! }),
  },
  'AWS-StartPortForwardingSessionToRemoteHost': {
    parameters: { host: undefined, portNumber: '80', localPortNumber: '0' },
    properties: (p) => ({ portNumber: p.portNumber!, type: 'LocalPortForwarding', localPortNumber: p.localPortNumber!, host: p.host! }),
  },
};

// The Properties the agent sends in its HandshakeRequest for this session (§9.1).
export function handshakeProperties(session: SsmSession): Record<string, string> {
  return DOCUMENTS[session.documentName]!.properties(session.parameters);
}

// Model validation wording shared by the JSON services ("1 validation error detected: …").
function validationError(member: string, constraint: string, value?: unknown): JsonOutcome {
  const shown = value === undefined ? 'null' : `'${String(value)}'`;
  return err('ValidationException', 400, `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: Member must ${constraint}`);
}

function requiredString(input: Input, name: string, max: number): string | JsonOutcome {
  const value = input[name];
  const member = name.charAt(0).toLowerCase() + name.slice(1);
  if (value === undefined || value === null) return validationError(member, 'not be null');
  if (typeof value !== 'string') return err('SerializationException', 400, `Value for ${name} must be a string`);
  if (value.length < 1) return validationError(member, 'have length greater than or equal to 1', value);
  if (value.length > max) return validationError(member, `have length less than or equal to ${max}`, value);
  return value;
}

// Parameters: map of string → list of strings; each must be a parameter of the document
// and port numbers must be ports. Choice: problems answer InvalidParameters.
function documentParameters(documentName: string, raw: unknown): Record<string, string> | JsonOutcome {
  const spec = DOCUMENTS[documentName]!.parameters;
  const given = raw ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) return err('SerializationException', 400, 'Parameters must be a map');
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(given as Record<string, unknown>)) {
    if (!(name in spec)) return err('InvalidParameters', 400, `Parameter "${name}" is not defined in document ${documentName}.`);
    if (!Array.isArray(values) || values.length !== 1 || typeof values[0] !== 'string') {
      return err('InvalidParameters', 400, `Parameter "${name}" must have exactly one string value.`);
    }
    out[name] = values[0];
  }
  for (const [name, fallback] of Object.entries(spec)) {
    if (out[name] === undefined) {
      if (fallback === undefined) return err('InvalidParameters', 400, `Parameter "${name}" is required by document ${documentName}.`);
      out[name] = fallback;
    }
  }
  for (const name of ['portNumber', 'localPortNumber']) {
    const value = out[name];
    if (value === undefined) continue;
    const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
    const lowest = name === 'localPortNumber' ? 0 : 1;
    if (!(port >= lowest && port <= 65535)) return err('InvalidParameters', 400, `Parameter "${name}" value "${value}" is not a valid port number.`);
  }
  return out;
}

function isOutcome(value: unknown): value is JsonOutcome {
  return typeof value === 'object' && value !== null && ('error' in value || 'output' in value);
}

// The managed node behind a Target, when its agent can take a session.
function connectedInstance(world: World, target: string): SandboxInstance | undefined {
  const instance = world.instances.get(target);
  if (!instance || instance.state !== 'running' || instance.ssm?.pingStatus !== 'Online') return undefined;
  return instance;
}

// §4.1, §21: StreamUrl like the service's, with a cell-number whose base64 carries + / =
// (percent-encoded) so clients prove they sign the canonical query correctly.
function streamUrl(base: string, sessionId: string): string {
  const cell = Buffer.concat([Buffer.from([0xfb, 0xff]), randomBytes(6)]).toString('base64');
  return `${base}/v1/data-channel/${sessionId}?role=publish_subscribe&cell-number=${encodeURIComponent(cell)}`;
}

// A fresh single-use token (§4.1: "valid only long enough to ensure the connection").
function issueToken(world: World, session: SsmSession): string {
  const token = randomBytes(96).toString('base64');
  session.tokens.set(token, world.clock.now() + world.knobs.ssmTokenLifetimeSeconds * 1000);
  return token;
}

// Session ids are '<caller name>-<17 hex>' (§3.1: typically <caller-name>-<hex>).
function sessionIdFor(callerArn: string): string {
  const name = callerArn.slice(callerArn.lastIndexOf('/') + 1) || 'session';
  return `${name}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

function startSession(input: Input, call: ApiCall): JsonOutcome {
  const { world } = call;
  const target = requiredString(input, 'Target', 400);
  if (isOutcome(target)) return target;
  const documentName = input.DocumentName ?? 'SSM-SessionManagerRunShell';
  if (typeof documentName !== 'string') return err('SerializationException', 400, 'Value for DocumentName must be a string');
  if (!(documentName in DOCUMENTS)) {
    return err('InvalidDocument', 400, `Document ${documentName} is not a port session document supported by this sandbox (ssm.md §3.5).`);
  }
  const parameters = documentParameters(documentName, input.Parameters);
  if (isOutcome(parameters)) return parameters;
  // IAM before the target (the doctor's permission knob, network.ts).
  if (world.network.deniedPermissions.has('ssm:StartSession')) {
    return err('AccessDeniedException', 400, `User: ${call.principal.arn} is not authorized to perform: ssm:StartSession on resource: arn:aws:ec2:${world.region}:${world.accountId}:instance/${target}`);
  }
  // §3.1: an offline agent, an unknown id or a stopped instance all read "not connected".
  const instance = connectedInstance(world, target);
  if (!instance) return err('TargetNotConnected', 400, `${target} is not connected.`);
  if (world.ssmStreamBase === undefined) return err('InternalServerError', 500, 'The data channel service is not running.');
  const sessionId = sessionIdFor(call.principal.arn);
  const now = world.clock.now();
  const session: SsmSession = {
    sessionId,
    target: instance.instanceId,
    documentName,
    parameters,
    owner: call.principal.arn,
    startDate: new Date(now),
    status: 'Connected',
    streamUrl: streamUrl(world.ssmStreamBase, sessionId),
    tokens: new Map(),
    lastActivity: now,
  };
  world.ssmSessions.set(sessionId, session);
  return { output: { SessionId: sessionId, TokenValue: issueToken(world, session), StreamUrl: session.streamUrl } };
}

function resumeSession(input: Input, call: ApiCall): JsonOutcome {
  const { world } = call;
  const sessionId = requiredString(input, 'SessionId', 96);
  if (isOutcome(sessionId)) return sessionId;
  if (world.knobs.ssmRefuseNextResumes > 0) {
    world.knobs.ssmRefuseNextResumes--;
    return err('AccessDeniedException', 400, `User: ${call.principal.arn} is not authorized to perform: ssm:ResumeSession on resource: arn:aws:ssm:${world.region}:${world.accountId}:session/${sessionId}`);
  }
  const session = world.ssmSessions.get(sessionId);
  if (!session) return err('DoesNotExistException', 400, `Session with id ${sessionId} does not exist.`);
  // §3.2: a session that has ended answers without TokenValue ("timed out").
  if (session.status !== 'Connected') return { output: { SessionId: sessionId, StreamUrl: session.streamUrl } };
  session.lastActivity = world.clock.now(); // §14: ResumeSession resets the idle timer
  return { output: { SessionId: sessionId, TokenValue: issueToken(world, session), StreamUrl: session.streamUrl } };
}

// §3.3: idempotent; only InternalServerError is modelled, so unknown ids succeed too.
function terminateSession(input: Input, call: ApiCall): JsonOutcome {
  const { world } = call;
  const sessionId = requiredString(input, 'SessionId', 96);
  if (isOutcome(sessionId)) return sessionId;
  const session = world.ssmSessions.get(sessionId);
  if (session && session.status === 'Connected') {
    session.status = 'Terminated';
    session.tokens.clear();
    world.events.emit('ssmTerminate', session);
  }
  return { output: { SessionId: sessionId } };
}

export const ssmService: JsonService = {
  targetPrefix: 'AmazonSSM',
  signingName: 'ssm',
  operations: {
    StartSession: startSession,
    ResumeSession: resumeSession,
    TerminateSession: terminateSession,
    DescribeInstanceInformation: describeInstanceInformation,
  },
};
