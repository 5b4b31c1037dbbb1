// "Give me a byte stream to port 22 of this instance." Every route yields a Node
// Duplex that ssh2 takes as its `sock` and that proxy mode pipes to stdio, so the
// SSH layer cannot tell the routes apart. Issue 2 has the direct route; EICE and SSM
// plug in here.
import type { Duplex } from 'node:stream';
import type { Aws } from '../aws/aws.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import type { Deps } from '../deps.js';
import { chooseDirectAddress } from './direct.js';

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
}

export interface OpenedRoute {
  route: RouteName;
  sock: Duplex;
  // For -v: where the bytes go, e.g. "public address 3.80.1.2 port 22".
  detail: string;
}

export async function openRoute(request: RouteRequest): Promise<OpenedRoute> {
  const { instance, via, port, deps } = request;
  const endpoint = chooseDirectAddress(instance, via === 'direct' ? 'direct' : 'auto');
  const sock = await deps.connectTcp(endpoint.address, port, request.connectTimeoutMs);
  return { route: 'direct', sock, detail: `${endpoint.kind} address ${endpoint.address} port ${port}` };
}
