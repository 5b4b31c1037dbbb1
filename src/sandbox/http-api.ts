// The sandbox's AWS API endpoint: one HTTP server on loopback that the real AWS SDK
// reaches through endpoint overrides. Requests carrying X-Amz-Target are JSON 1.1 calls
// routed by target prefix (EC2 Instance Connect; AmazonSSM registers in JSON_SERVICES);
// the rest are Query calls routed by the SigV4 credential scope's service (ec2 or sts)
// and the form's Action. Every call is SigV4-verified (sigv4-verify.ts), answered in its
// protocol's exact shape with a request id, and recorded in world.calls.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { SandboxPrincipal, World } from './world.js';
import { parseAuthorizationHeader, verifyHeaderAuth, type AuthFailureKind, type AuthResult } from './sigv4-verify.js';
import { parseFormBody, QueryError, QueryParams } from './query.js';
import { ec2Service } from './ec2-api.js';
import { stsService } from './sts-api.js';
import { iamService } from './iam-api.js';
import { eicService } from './eic-api.js';
import { ssmService } from './ssm-api.js';

export interface ApiCall {
  world: World;
  requestId: string;
  principal: SandboxPrincipal;
  params: Record<string, unknown>; // what world.calls records; operations replace it with parsed input
}

export interface ApiReply {
  status: number;
  contentType: string;
  body: string;
  errorCode?: string;
  headers?: Record<string, string>;
}

export type JsonOutcome = { output: Record<string, unknown> } | { error: { type: string; status: number; message: string } };

export interface JsonService {
  targetPrefix: string; // X-Amz-Target is '<targetPrefix>.<Operation>'
  signingName: string;
  operations: Record<string, (input: Record<string, unknown>, call: ApiCall) => JsonOutcome>;
}

export interface QueryService {
  signingName: string;
  protocol: 'ec2' | 'sts';
  actions: Record<string, (params: QueryParams, call: ApiCall) => ApiReply>;
  errorReply(code: string, message: string, requestId: string, status?: number): ApiReply;
  unknownAction(name: string, requestId: string): ApiReply;
}

// The JSON 1.1 services this endpoint answers. AmazonSSM.* is added here.
export const JSON_SERVICES: JsonService[] = [eicService, ssmService];

type Protocol = 'ec2' | 'sts' | 'json';
interface AuthError {
  code: string;
  status: number;
  message?: string; // replaces the verifier's message
}

// What each protocol answers for each SigV4 failure. EC2: AuthFailure "AWS was not able to
// validate the provided access credentials" for unknown keys (aws/aws-sdk-java-v2#2981,
// boto/botocore#893), SignatureDoesNotMatch (aws/aws-cli#134), RequestExpired "Request has
// expired." for clock skew, MissingParameter for unsigned calls (EC2 legacy wording).
// STS: the awsQuery common errors (InvalidClientTokenId 403, SignatureDoesNotMatch 403 incl.
// "Credential should be scoped to a valid region", ExpiredToken, MissingAuthenticationToken
// 403). JSON services: UnrecognizedClientException, InvalidSignatureException (incl.
// "Signature expired: … (… - 5 min.)"), all 400 for JSON 1.1 services (Cognito, DynamoDB,
// Rekognition issue reports). EC2's 401 and the exact JSON statuses for *this* service are
// not published: world.knobs.authErrorOverrides can change any entry.
const AUTH_ERRORS: Record<Protocol, Record<AuthFailureKind, AuthError>> = {
  ec2: {
    missing: { code: 'MissingParameter', status: 400, message: 'The request must contain the parameter AWSAccessKeyId' },
    incomplete: { code: 'IncompleteSignature', status: 400 },
    'unknown-key': { code: 'AuthFailure', status: 401, message: 'AWS was not able to validate the provided access credentials' },
    'invalid-token': { code: 'AuthFailure', status: 401, message: 'AWS was not able to validate the provided access credentials' },
    'expired-token': { code: 'RequestExpired', status: 400, message: 'Request has expired.' },
    scope: { code: 'SignatureDoesNotMatch', status: 403 },
    signature: { code: 'SignatureDoesNotMatch', status: 403 },
    expired: { code: 'RequestExpired', status: 400, message: 'Request has expired.' },
    'not-yet-valid': { code: 'RequestExpired', status: 400 },
  },
  sts: {
    missing: { code: 'MissingAuthenticationToken', status: 403 },
    incomplete: { code: 'IncompleteSignature', status: 400 },
    'unknown-key': { code: 'InvalidClientTokenId', status: 403 },
    'invalid-token': { code: 'InvalidClientTokenId', status: 403 },
    'expired-token': { code: 'ExpiredToken', status: 403 },
    scope: { code: 'SignatureDoesNotMatch', status: 403 },
    signature: { code: 'SignatureDoesNotMatch', status: 403 },
    expired: { code: 'SignatureDoesNotMatch', status: 403 },
    'not-yet-valid': { code: 'SignatureDoesNotMatch', status: 403 },
  },
  json: {
    missing: { code: 'MissingAuthenticationTokenException', status: 400 },
    incomplete: { code: 'IncompleteSignatureException', status: 400 },
    'unknown-key': { code: 'UnrecognizedClientException', status: 400 },
    'invalid-token': { code: 'UnrecognizedClientException', status: 400 },
    'expired-token': { code: 'ExpiredTokenException', status: 400 },
    scope: { code: 'InvalidSignatureException', status: 400 },
    signature: { code: 'InvalidSignatureException', status: 400 },
    expired: { code: 'InvalidSignatureException', status: 400 },
    'not-yet-valid': { code: 'InvalidSignatureException', status: 400 },
  },
};

// Errors raised by the JSON framework rather than the service model carry `message`
// (lower case); modelled exceptions carry `Message` (eice.md §3.3).
const FRAMEWORK_ERRORS = new Set(['UnknownOperationException', 'SerializationException', 'InternalFailure', ...Object.values(AUTH_ERRORS.json).map((e) => e.code)]);

const MAX_BODY_BYTES = 1024 * 1024;

function jsonErrorReply(type: string, status: number, message: string): ApiReply {
  const key = FRAMEWORK_ERRORS.has(type) ? 'message' : 'Message';
  return { status, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: type, [key]: message }), errorCode: type, headers: { 'x-amzn-ErrorType': type } };
}

function authErrorReply(world: World, protocol: Protocol, failure: Extract<AuthResult, { ok: false }>, requestId: string, service?: QueryService): ApiReply {
  const base = AUTH_ERRORS[protocol][failure.kind];
  const override = world.knobs.authErrorOverrides.get(`${protocol}:${failure.kind}`);
  const code = override?.code ?? base.code;
  const status = override?.status ?? base.status;
  const message = base.message ?? failure.message;
  return service ? service.errorReply(code, message, requestId, status) : jsonErrorReply(code, status, message);
}

interface Incoming {
  method: string;
  url: string;
  headers: Record<string, string[] | undefined>;
  body: Buffer;
}

function verify(world: World, incoming: Incoming, service: string): AuthResult {
  return verifyHeaderAuth(incoming, {
    findPrincipal: (key) => world.principalByAccessKey(key),
    region: world.region,
    service,
    nowMs: world.clock.now(),
    skewSeconds: world.knobs.signatureSkewSeconds,
  });
}

function firstHeader(incoming: Incoming, name: string): string | undefined {
  return incoming.headers[name]?.[0];
}

// The signing name in the Authorization header's credential scope, if readable.
function scopeService(incoming: Incoming): string | undefined {
  const parsed = parseAuthorizationHeader(firstHeader(incoming, 'authorization') ?? '');
  return 'error' in parsed ? undefined : parsed.credential.service;
}

interface Handled {
  reply: ApiReply;
  service: string;
  operation: string;
  params: Record<string, unknown>;
  caller?: string;
}

function handleJson(world: World, services: JsonService[], incoming: Incoming, target: string, requestId: string): Handled {
  const dot = target.lastIndexOf('.');
  const service = services.find((s) => s.targetPrefix === target.slice(0, dot));
  const operation = dot < 0 ? target : target.slice(dot + 1);
  const run = service?.operations[operation];
  const base = { service: service?.signingName ?? scopeService(incoming) ?? '', operation, params: {} as Record<string, unknown> };
  if (!service || !run) {
    return { ...base, reply: jsonErrorReply('UnknownOperationException', 400, `Unknown operation ${target}`) };
  }
  let input: unknown;
  try {
    input = incoming.body.length === 0 ? {} : JSON.parse(incoming.body.toString('utf8'));
  } catch {
    input = undefined;
  }
  const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
  // Recorded even when refused, so tests can see what was attempted.
  if (isObject) base.params = input as Record<string, unknown>;
  const auth = verify(world, incoming, service.signingName);
  if (!auth.ok) return { ...base, reply: authErrorReply(world, 'json', auth, requestId) };
  const caller = auth.principal.arn;
  if (!isObject) return { ...base, caller, reply: jsonErrorReply('SerializationException', 400, 'The request body is not a JSON object') };
  const call: ApiCall = { world, requestId, principal: auth.principal, params: input as Record<string, unknown> };
  const outcome = run(input as Record<string, unknown>, call);
  const reply =
    'error' in outcome
      ? jsonErrorReply(outcome.error.type, outcome.error.status, outcome.error.message)
      : { status: 200, contentType: 'application/x-amz-json-1.1', body: JSON.stringify(outcome.output) };
  return { ...base, params: call.params, caller, reply };
}

function handleQuery(world: World, incoming: Incoming, requestId: string): Handled {
  // One server stands in for both endpoints: the credential scope says which one the
  // client meant; anything else (or an unsigned call) is taken as EC2.
  const scope = scopeService(incoming);
  const service = scope === 'sts' ? stsService : scope === 'iam' ? iamService : ec2Service;
  const base = { service: service.signingName, operation: '', params: {} as Record<string, unknown> };
  let raw: Map<string, string>;
  try {
    const q = incoming.url.indexOf('?');
    raw = parseFormBody(incoming.method === 'POST' ? incoming.body.toString('utf8') : q < 0 ? '' : incoming.url.slice(q + 1));
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    return { ...base, reply: service.errorReply(error.code, error.message, requestId) };
  }
  const action = raw.get('Action');
  const params = Object.fromEntries(raw);
  if (action === undefined) {
    return { ...base, params, reply: service.errorReply('MissingAction', 'The request must contain the parameter Action', requestId) };
  }
  const run = service.actions[action];
  if (!run) return { ...base, operation: action, params, reply: service.unknownAction(action, requestId) };
  const auth = verify(world, incoming, service.signingName);
  if (!auth.ok) return { ...base, operation: action, params, reply: authErrorReply(world, service.protocol, auth, requestId, service) };
  const call: ApiCall = { world, requestId, principal: auth.principal, params };
  const reply = run(new QueryParams(raw), call);
  return { ...base, operation: action, params: call.params, caller: auth.principal.arn, reply };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(world: World, services: JsonService[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const body = await readBody(req);
  const incoming: Incoming = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headersDistinct, body: body ?? Buffer.alloc(0) };
  const target = firstHeader(incoming, 'x-amz-target');
  let handled: Handled;
  if (body === undefined) {
    const reply: ApiReply = { status: 413, contentType: 'text/plain', body: 'Request entity too large', errorCode: 'RequestEntityTooLarge' };
    handled = { service: '', operation: target ?? '', params: {}, reply };
  } else if (target !== undefined) {
    handled = handleJson(world, services, incoming, target, requestId);
  } else if (incoming.method !== 'POST' && incoming.method !== 'GET') {
    handled = { service: 'ec2', operation: '', params: {}, reply: ec2Service.errorReply('MissingAction', 'The request must contain the parameter Action', requestId) };
  } else {
    handled = handleQuery(world, incoming, requestId);
  }
  const { reply } = handled;
  world.recordCall({
    service: handled.service,
    operation: handled.operation,
    params: handled.params,
    caller: handled.caller,
    status: reply.status,
    errorCode: reply.errorCode,
    requestId,
  });
  res.writeHead(reply.status, {
    'x-amzn-RequestId': requestId,
    // The sandbox clock, so the SDK's clock-skew correction sees the time we verify against.
    Date: world.clock.date().toUTCString(),
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
    ...reply.headers,
  });
  res.end(reply.body);
}

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

export async function startApiServer(
  world: World,
  options: { host?: string; port?: number; jsonServices?: JsonService[] } = {},
): Promise<ApiServer> {
  const services = options.jsonServices ?? JSON_SERVICES;
  const server = createServer((req, res) => {
    handle(world, services, req, res).catch(() => {
      // A sandbox bug: answer 500 rather than hang the client.
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('InternalFailure');
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; close them so close() does not wait on them.
        server.closeAllConnections();
      }),
  };
}
