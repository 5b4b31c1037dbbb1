// The direct route: plain TCP to an address of the instance. `auto` takes the public
// address; `direct` takes the public address, else the private one (for a VPN or a
// peered network), like aws-cli's `--connection-type direct` (eice.md §2.4).
import { EicError } from '../errors.js';
import type { InstanceInfo } from '../aws/instance-info.js';

export interface DirectEndpoint {
  address: string;
  kind: 'public' | 'private';
}

export function chooseDirectAddress(instance: InstanceInfo, via: 'auto' | 'direct'): DirectEndpoint {
  if (instance.publicIp) return { address: instance.publicIp, kind: 'public' };
  if (via === 'direct' && instance.privateIp) return { address: instance.privateIp, kind: 'private' };
  if (via === 'direct') {
    throw new EicError('NO_ROUTE', `${instance.instanceId} has no IPv4 address to connect to`, {
      hint: 'the instance may be IPv6-only or still starting',
    });
  }
  throw new EicError('NO_ROUTE', `${instance.instanceId} has no public address`, {
    hint: `if your network reaches its private address ${instance.privateIp ?? ''} (VPN, peering), use --via direct`.replace(' )', ')'),
  });
}
