// Which routes can reach each instance, as `eic-ssh ls` and the picker show them, from
// two account-wide calls instead of one per instance: direct = a public IPv4 address;
// eice = an endpoint of the instance's VPC in an accepted state (eice.md §2.3); ssm = a
// managed node whose agent is Online (ssm.md §3.4). A call we may not make (no
// permission) shows as unknown ('?') rather than failing the listing.
import type { Aws } from '../aws/aws.js';
import { ACCEPTED_ENDPOINT_STATES } from '../aws/eice-endpoint.js';
import type { InstanceInfo } from '../aws/instance-info.js';

export type RouteAvailability = 'direct' | 'eice' | 'ssm' | 'eice?' | 'ssm?';

export async function availableRoutes(aws: Aws, instances: InstanceInfo[]): Promise<Map<string, RouteAvailability[]>> {
  const result = new Map<string, RouteAvailability[]>();
  if (instances.length === 0) return result;
  const [endpoints, managed] = await Promise.all([
    aws.describeInstanceConnectEndpoints({ filters: [{ name: 'state', values: ACCEPTED_ENDPOINT_STATES }] }).catch(() => undefined),
    aws.describeSsmInstances().catch(() => undefined),
  ]);
  const eiceVpcs = endpoints && new Set(endpoints.filter((e) => ACCEPTED_ENDPOINT_STATES.includes(e.state)).map((e) => e.vpcId));
  const online = managed && new Set(managed.filter((m) => m.pingStatus === 'Online').map((m) => m.instanceId));
  for (const instance of instances) {
    const routes: RouteAvailability[] = [];
    if (instance.publicIp) routes.push('direct');
    if (!eiceVpcs) routes.push('eice?');
    else if (instance.vpcId && eiceVpcs.has(instance.vpcId)) routes.push('eice');
    if (!online) routes.push('ssm?');
    else if (online.has(instance.instanceId)) routes.push('ssm');
    result.set(instance.instanceId, routes);
  }
  return result;
}
