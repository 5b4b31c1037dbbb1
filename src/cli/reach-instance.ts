// The steps every command that talks to one instance shares (ssh, cp, proxy):
// resolve TARGET, check it runs, push a public key, and open a route. An instance-id
// target needs no lookup before the push, so the push overlaps the lookup (and the
// loading of the EC2 client, the slowest module eic-ssh loads).
import type { Aws, Ec2Filter } from '../aws/aws.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import { parseTarget, resolveTarget } from '../aws/resolve-target.js';
import { pushPublicKey } from '../aws/send-key.js';
import { fileOsUserCache, inferOsUser } from '../aws/os-user.js';
import { stateDir } from './state-dir.js';
import { join } from 'node:path';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { openRoute, type OpenedRoute, type Via } from '../tunnel/route.js';
import { checkEicePort } from '../tunnel/eice.js';
import type { Verbose } from './verbose.js';

export const DEFAULT_OS_USER = 'ec2-user';

export interface ReachOptions {
  target?: string;
  user?: string;
  via: Via;
  port?: number;
  connectTimeoutSeconds?: number;
  profile?: string;
  region?: string;
  // EICE options (eice.md §2.4, §4) and -q (silences route notices).
  eiceId?: string;
  maxTunnelDuration?: number;
  quiet?: boolean;
  // --filter: EC2 filters ANDed with TARGET (selector.ts).
  filters?: Ec2Filter[];
  // Already resolved (eic-ssh run selected it): no lookup, no second DescribeInstances.
  resolved?: InstanceInfo;
}

export interface ReachedInstance {
  aws: Aws;
  instance: InstanceInfo;
  osUser: string;
  port: number;
  // When the last push was sent: its 60-second window started then.
  pushedAt(): number;
  // The request id of the last successful push (audit lines; CloudTrail matches it).
  pushRequestId(): string | undefined;
  // Pushes the key again (after the window passed).
  repush(): Promise<void>;
  // Opens a fresh route to the instance's SSH port.
  open(): Promise<OpenedRoute>;
}

export async function reachInstance(options: ReachOptions, publicKey: string, io: Io, deps: Deps, v: Verbose): Promise<ReachedInstance> {
  const target = options.target;
  if (!target) throw new UsageError('no target given', 'usage: eic-ssh [options] [user@]<target> [<command>...]');
  // EICE reaches only 22 and 3389: refuse before any AWS call (eice.md §8).
  if (options.via === 'eice' && options.port !== undefined) checkEicePort(options.port);
  const aws = await deps.createAws({
    region: options.region,
    profile: options.profile,
    env: io.env,
    debug: v.level >= 3 ? (line) => v.log(line, 3) : undefined,
  });
  // Without user@ or -l, inferred from the image once the instance is known (os-user.ts).
  let osUser = options.user ?? DEFAULT_OS_USER;
  let pushedAt = 0;
  let pushRequestId: string | undefined;
  const push = (instanceId: string) => {
    pushedAt = deps.now(); // the window opens when the service takes the key
    return v.phase(
      'push',
      () => pushPublicKey({ instanceId, osUser, publicKey }, { aws, sleep: deps.sleep, log: (l) => v.log(l) }),
      (r) => `request ${r.requestId}`,
    ).then((r) => {
      pushRequestId = r.requestId;
      return r;
    });
  };

  const query = parseTarget(target);
  // Settled immediately so a failed early push is never an unhandled rejection.
  const earlyPush =
    query.kind === 'id' && options.user !== undefined && !options.filters?.length && !options.resolved ? settle(push(query.instanceId)) : undefined;
  const instance =
    options.resolved ??
    (await v.phase('resolve', () => resolveTarget(aws, target, { filters: options.filters }), (i) => `${i.instanceId} ${i.state}`));
  requireRunning(instance);
  if (options.user === undefined) {
    const cache = fileOsUserCache(join(stateDir(io.env, deps.homeDir), 'os-users.json'));
    const inferred = await v.phase('user', () => inferOsUser(aws, instance.imageId, cache), (u) =>
      u ? `${u.user}, inferred from ${u.because}` : `${DEFAULT_OS_USER} (the default: the image did not tell)`,
    );
    if (inferred) osUser = inferred.user;
  }
  if (earlyPush) {
    const outcome = await earlyPush;
    if ('error' in outcome) throw outcome.error;
  } else {
    await push(instance.instanceId);
  }

  const port = options.port ?? defaultPort(io.env);
  const connectTimeoutMs = (options.connectTimeoutSeconds ?? 20) * 1000;
  return {
    aws,
    instance,
    osUser,
    port,
    pushedAt: () => pushedAt,
    pushRequestId: () => pushRequestId,
    repush: async () => void (await push(instance.instanceId)),
    open: async () => {
      const opened = await v.phase('connect', () =>
        openRoute({
          instance,
          via: options.via,
          port,
          connectTimeoutMs,
          aws,
          env: io.env,
          deps,
          log: (l) => v.log(l),
          userPort: options.port,
          eiceId: options.eiceId,
          maxTunnelDuration: options.maxTunnelDuration,
          notice: options.quiet ? undefined : (l) => io.stderr.write(`eic-ssh: ${l}\n`),
        }),
      );
      v.log(`route      ${opened.route}: ${opened.detail} as ${osUser}`);
      return opened;
    },
  };
}

function requireRunning(instance: InstanceInfo): void {
  if (instance.state === 'running') return;
  throw new EicError('INSTANCE_STATE', `${instance.instanceId} is ${instance.state}, not running`, {
    hint:
      instance.state === 'stopped'
        ? `start it first: aws ec2 start-instances --instance-ids ${instance.instanceId}`
        : 'wait until it is running and try again',
  });
}

function defaultPort(env: Record<string, string | undefined>): number {
  const fromEnv = env.EIC_SSH_PORT;
  if (fromEnv === undefined || fromEnv === '') return 22;
  const port = /^\d{1,5}$/.test(fromEnv) ? Number(fromEnv) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(`EIC_SSH_PORT='${fromEnv}' is not a port number`, 'unset it or use a number from 1 to 65535');
  }
  return port;
}

function settle<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}
