// connectToInstance plus the audit log (--audit, or the config default): one JSON
// line per connection (audit.ts), written when the caller finishes with its exit
// status, or at once with 255 when the connection fails after the key was pushed
// (the push is in CloudTrail either way). Used by ssh and cp alike.
import type { Deps } from '../deps.js';
import { EicError } from '../errors.js';
import type { Io } from '../io.js';
import { startAudit } from './audit.js';
import { connectToInstance, type ConnectedInstance, type ConnectOptions } from './connect-instance.js';
import type { ReachedInstance } from './reach-instance.js';
import type { Verbose } from './verbose.js';

export interface AuditedConnection extends ConnectedInstance {
  // Writes the audit line (no-op without an audit file).
  finishAudit(exitStatus: number): Promise<void>;
}

export async function connectAudited(
  options: ConnectOptions,
  auditFile: string | undefined,
  io: Io,
  deps: Deps,
  v: Verbose,
): Promise<AuditedConnection> {
  let pushed: { reached: ReachedInstance; keyFingerprint: string; at: number } | undefined;
  const connected = await connectToInstance(
    { ...options, onReached: (r, keyFingerprint) => (pushed = { reached: r, keyFingerprint, at: deps.now() }) },
    io,
    deps,
    v,
  ).catch(async (error: unknown) => {
    if (auditFile && pushed) {
      const { reached: r, keyFingerprint, at } = pushed;
      const facts = { startedAt: at, instance: r.instance.instanceId, osUser: r.osUser, route: null, keyFingerprint, pushRequestId: r.pushRequestId() };
      await startAudit(auditFile, facts, r.aws).finish(255, error instanceof EicError ? error.code : 'INTERNAL');
    }
    throw error;
  });
  const { reached } = connected;
  const audit = auditFile
    ? startAudit(
        auditFile,
        {
          startedAt: deps.now(),
          instance: reached.instance.instanceId,
          osUser: reached.osUser,
          route: connected.route,
          routeId: connected.routeId,
          keyFingerprint: connected.keyFingerprint,
          pushRequestId: reached.pushRequestId(),
        },
        reached.aws,
      )
    : undefined;
  return { ...connected, finishAudit: async (exitStatus) => audit?.finish(exitStatus) };
}
