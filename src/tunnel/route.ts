// "Give me a byte stream to port 22 of this instance." Every route (direct TCP, an
// EC2 Instance Connect Endpoint websocket, an SSM data channel) yields a Node Duplex
// that ssh2 takes as its `sock` and that proxy mode pipes to stdio, so the SSH layer
// cannot tell the routes apart. `auto` tries them in order and falls through at
// connect time.
import type { Duplex } from 'node:stream';
import type { Aws } from '../aws/aws.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import type { Deps } from '../deps.js';
import { chooseDirectAddress } from './direct.js';
import { EicError } from '../errors.js';
import { EICE_PORTS, openEiceTunnel } from './eice.js';
import { fileRouteCache, routeCacheFile } from './route-cache.js';
import { openSsmTunnel } from './ssm/route.js';

export type RouteName = 'direct' | 'eice' | 'ssm';
export type Via = 'auto' | RouteName;

export interface RouteRequest {
  instance: InstanceInfo;
  via: Via;
  // Remote port (22 for SSH; EICE also allows 3389).
  port: number;
  connectTimeoutMs: number;
  aws: Aws;
  env: Record<string, string | undefined>;
  deps: Deps;
  log(line: string): void;
  // The port the user asked for (-p, Port), undefined when defaulted: EICE then uses 22
  // (EIC_SSH_PORT is a direct-route setting; EICE reaches only 22 and 3389).
  userPort?: number;
  // --eice-id and --max-tunnel-duration (eice.md §2.4, §4).
  eiceId?: string;
  maxTunnelDuration?: number;
  // One line on stderr, shown even without -v (unless -q): why `auto` falls through,
  // and the warning before the EICE one-hour cap.
  notice?(line: string): void;
}

export interface OpenedRoute {
  route: RouteName;
  sock: Duplex;
  // For -v: where the bytes go, e.g. "public address 3.80.1.2 port 22".
  detail: string;
  // For audit lines: the EICE endpoint id or the SSM session id (CloudTrail matches them).
  id?: string;
}

export async function openRoute(request: RouteRequest): Promise<OpenedRoute> {
  if (request.via !== 'auto') return openOne(request.via, request);
  const cache = fileRouteCache(routeCacheFile(request.env, request.deps.homeDir), request.deps.now);
  const instanceId = request.instance.instanceId;
  const cached = await cache.get(instanceId);
  const plan = autoPlan(request);
  // The route that worked last time goes first (route-cache.ts).
  const at = plan.findIndex((p) => p.route === cached && !p.skip);
  if (at > 0) plan.unshift(...plan.splice(at, 1));
  request.log(`route      auto: ${plan.map((p) => p.route).join(' → ') || 'none'}${at > 0 ? ` (${cached} first: it worked last time)` : ''}`);
  for (const skipped of plan.filter((p) => p.skip)) request.log(`route      ${skipped.route} skipped: ${skipped.skip}`);
  // Never empty: the SSM route is always a candidate.
  const tries = plan.filter((p) => !p.skip);
  const failures: Array<{ route: RouteName; error: EicError }> = [];
  for (let i = 0; ; i++) {
    const { route } = tries[i];
    try {
      const opened = await openOne(route, request);
      // Remember a fall-through (or refresh the remembered route that just worked).
      if (i > 0 || at > 0) await cache.set(instanceId, route);
      return opened;
    } catch (error) {
      if (!(error instanceof EicError)) throw error;
      if (route === cached) await cache.set(instanceId, undefined);
      failures.push({ route, error });
      const next = tries[i + 1];
      if (!next) throw finalError(request.instance.instanceId, failures);
      // One line saying why, then the next route (issue 3: a real fallback, not a guess).
      request.notice?.(`${route} route failed (${error.message}); trying ${next.route}`);
    }
  }
}

// Every route failed. A route that could not apply (NO_ROUTE: no endpoint, not managed)
// says less than one that really failed, so the real failure is reported with its hint.
function finalError(instanceId: string, failures: Array<{ route: RouteName; error: EicError }>): EicError {
  const last = failures[failures.length - 1].error;
  if (failures.length === 1) return last;
  const real = failures.filter((f) => f.error.code !== 'NO_ROUTE');
  if (real.length > 0) return last.code === 'NO_ROUTE' ? real[real.length - 1].error : last;
  return new EicError('NO_ROUTE', `no route to ${instanceId}`, {
    details: failures.map((f) => `${f.route}: ${f.error.message}`),
    hint: failures.map((f) => f.error.hint).filter((h): h is string => Boolean(h)).join('; or '),
  });
}

// `auto` (eice.md §2.4, improved): public address → direct; an instance in a VPC →
// EICE (discovery decides whether an endpoint exists); then SSM (the SSM route itself
// checks that the instance's agent is managed and Online).
function autoPlan(request: RouteRequest): Array<{ route: RouteName; skip?: string }> {
  const { instance } = request;
  const plan: Array<{ route: RouteName; skip?: string }> = [];
  if (instance.publicIp) plan.push({ route: 'direct' });
  if (instance.privateIp || instance.ipv6) {
    const port = request.userPort ?? 22;
    plan.push({ route: 'eice', skip: EICE_PORTS.includes(port) ? undefined : `EICE reaches only ports 22 and 3389, not ${port}` });
  }
  plan.push({ route: 'ssm' });
  return plan;
}

async function openOne(route: RouteName, request: RouteRequest): Promise<OpenedRoute> {
  const { instance, port, deps } = request;
  if (route === 'direct') {
    const endpoint = chooseDirectAddress(instance, request.via === 'direct' ? 'direct' : 'auto');
    const sock = await deps.connectTcp(endpoint.address, port, request.connectTimeoutMs);
    return { route: 'direct', sock, detail: `${endpoint.kind} address ${endpoint.address} port ${port}` };
  }
  if (route === 'eice') {
    const remotePort = request.userPort ?? 22;
    const tunnel = await openEiceTunnel({
      instance,
      remotePort,
      aws: request.aws,
      env: request.env,
      now: deps.now,
      endpointId: request.eiceId,
      maxTunnelDuration: request.maxTunnelDuration,
      connectTimeoutMs: request.connectTimeoutMs,
      log: request.log,
      warn: request.notice,
      // SSH servers speak first (RFC 4253 §4.2 banner): an unreachable instance fails
      // here, at connect time, where `auto` can fall through.
      awaitServerFirst: true,
    });
    return { route: 'eice', sock: tunnel.sock, detail: tunnel.detail, id: tunnel.endpoint.endpointId };
  }
  const opened = await openSsmTunnel(request);
  return { route: 'ssm', sock: opened.sock, detail: opened.detail, id: opened.id };
}
