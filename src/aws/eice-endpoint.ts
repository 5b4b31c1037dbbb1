// Finding the EC2 Instance Connect Endpoint for an instance (eice.md §2.4, aws-cli
// eicefetcher.py): by id when --eice-id is given, else every endpoint of the
// instance's VPC in an accepted state, preferring one in the instance's own subnet.
// The four accepted states include update-* (aws/aws-cli#9715, §9 bug 6).
import { EicError } from '../errors.js';
import type { Aws, InstanceConnectEndpoint } from './aws.js';
import type { InstanceInfo } from './instance-info.js';

export const ACCEPTED_ENDPOINT_STATES = ['create-complete', 'update-in-progress', 'update-failed', 'update-complete'];

export interface ChosenEndpoint {
  endpointId: string;
  dnsName: string;
  subnetId?: string;
  state: string;
}

export interface EndpointQuery {
  instance: InstanceInfo;
  endpointId?: string;
  env: Record<string, string | undefined>;
}

export async function findEndpoint(aws: Aws, query: EndpointQuery): Promise<ChosenEndpoint> {
  const state = { name: 'state', values: ACCEPTED_ENDPOINT_STATES };
  if (query.endpointId) {
    const found = await aws.describeInstanceConnectEndpoints({ endpointIds: [query.endpointId], filters: [state] });
    return pickEndpoint(found, query);
  }
  if (!query.instance.vpcId) {
    throw new EicError('NO_ROUTE', `${query.instance.instanceId} is in no VPC, so no Instance Connect Endpoint can reach it`);
  }
  const found = await aws.describeInstanceConnectEndpoints({ filters: [state, { name: 'vpc-id', values: [query.instance.vpcId] }] });
  return pickEndpoint(found, query);
}

// Pure: the selection rules on what the API returned (table-tested). The state is
// checked again here so that a server ignoring the filter cannot hand us a broken endpoint.
export function pickEndpoint(endpoints: InstanceConnectEndpoint[], query: EndpointQuery): ChosenEndpoint {
  const usable = endpoints.filter(
    (e) => ACCEPTED_ENDPOINT_STATES.includes(e.state) && (query.endpointId ? e.endpointId === query.endpointId : e.vpcId === query.instance.vpcId),
  );
  const chosen = usable.find((e) => e.subnetId !== undefined && e.subnetId === query.instance.subnetId) ?? usable[0];
  if (!chosen) {
    if (query.endpointId) {
      throw new EicError('NO_ROUTE', `there are no available instance connect endpoints with ${query.endpointId}`, {
        hint: 'check the id and that the endpoint is create-complete (aws ec2 describe-instance-connect-endpoints)',
      });
    }
    throw new EicError('NO_ROUTE', `there are no available instance connect endpoints in ${query.instance.vpcId}`, {
      hint: 'create one: aws ec2 create-instance-connect-endpoint --subnet-id <subnet>, or use --via ssm',
    });
  }
  const fips = (query.env.AWS_USE_FIPS_ENDPOINT ?? '').toLowerCase() === 'true';
  const dnsName = fips ? chosen.fipsDnsName : chosen.dnsName;
  if (!dnsName) {
    throw new EicError('NO_ROUTE', fips ? `unable to find a FIPS DNS name for ${chosen.endpointId}` : `${chosen.endpointId} has no DNS name`, {
      hint: fips ? 'unset AWS_USE_FIPS_ENDPOINT, or use an endpoint in a Region with FIPS endpoints' : 'the endpoint may still be being created',
    });
  }
  return { endpointId: chosen.endpointId, dnsName, subnetId: chosen.subnetId, state: chosen.state };
}
