// --audit FILE: one JSON line per connection, appended when the connection ends, so an
// operator can match eic-ssh's use of IAM with CloudTrail (the push request id, the
// EICE endpoint or SSM session id, the caller ARN). Only identifiers go in a line —
// never a key, a token, a signature or the command that was run.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Aws } from '../aws/aws.js';
import { EicError } from '../errors.js';
import type { ConnectionFacts } from '../mux/protocol.js';
import type { RouteName } from '../tunnel/route.js';

export interface AuditRecord {
  time: string; // ISO 8601, when the connection was established
  caller: string | null; // STS GetCallerIdentity ARN; null when STS did not answer
  instance: string;
  osUser: string;
  route: RouteName | null; // null: the connection failed before a route was known
  endpointId: string | null; // EICE route
  sessionId: string | null; // SSM route
  keyFingerprint: string; // SHA256:… of the ephemeral (or -i) key
  pushRequestId: string | null;
  exitStatus: number;
  // Only when eic-ssh failed after the push: its error code (e.g. HOST_KEY_CHANGED).
  error?: string;
  // Only for a session through a connection-reuse master: whether the master was
  // already running (false: this invocation started it), and when it connected. The
  // push request id and key are the master's (its push is the one in CloudTrail);
  // time is when this session started.
  reused?: boolean;
  connectedAt?: string;
}

export interface AuditFacts {
  startedAt: number;
  instance: string;
  osUser: string;
  route: RouteName | null;
  routeId?: string;
  keyFingerprint: string;
  pushRequestId?: string;
}

// Pure: the record for one finished connection.
export function auditRecord(facts: AuditFacts, caller: string | null, exitStatus: number, error?: string): AuditRecord {
  const record: AuditRecord = {
    time: new Date(facts.startedAt).toISOString(),
    caller,
    instance: facts.instance,
    osUser: facts.osUser,
    route: facts.route,
    endpointId: facts.route === 'eice' ? (facts.routeId ?? null) : null,
    sessionId: facts.route === 'ssm' ? (facts.routeId ?? null) : null,
    keyFingerprint: facts.keyFingerprint,
    pushRequestId: facts.pushRequestId ?? null,
    exitStatus,
  };
  if (error !== undefined) record.error = error;
  return record;
}

// Asks STS who we are without delaying the session; never rejects.
export function callerArn(aws: Pick<Aws, 'getCallerIdentity'>): Promise<string | null> {
  return aws.getCallerIdentity().then(
    (identity) => identity.arn || null,
    () => null,
  );
}

// One write with O_APPEND, so lines from concurrent eic-ssh processes do not interleave.
// The file is 0600: it names instances, users and principals.
export async function appendAuditLine(file: string, record: AuditRecord): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await appendFile(file, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: 'a' });
  } catch (error) {
    throw new EicError('LOCAL_IO', `Cannot append to the audit file ${file}`, { cause: error, hint: 'check --audit / the Audit line of ~/.eic-ssh/config' });
  }
}

// Starts the audit of one established connection: the STS call runs alongside the
// session, and finish() writes the line with the exit status.
export function startAudit(
  file: string,
  facts: AuditFacts,
  aws: Pick<Aws, 'getCallerIdentity'>,
): { finish(exitStatus: number, error?: string): Promise<void> } {
  const caller = callerArn(aws);
  return { finish: async (exitStatus, error) => appendAuditLine(file, auditRecord(facts, await caller, exitStatus, error)) };
}

// The line for a session through a connection-reuse master (mux-session.ts): the
// master's connection facts (its OPENED frame), this session's start and exit status.
export function reusedAuditRecord(
  facts: ConnectionFacts,
  session: { startedAt: number; startedMaster: boolean },
  caller: string | null,
  exitStatus: number,
): AuditRecord {
  const record = auditRecord({ ...facts, startedAt: session.startedAt }, caller, exitStatus);
  return { ...record, reused: !session.startedMaster, connectedAt: new Date(facts.connectedAt).toISOString() };
}
