// Endpoint selection rules of eice.md §2.4, as tables.
import { describe, expect, it } from 'vitest';
import type { InstanceConnectEndpoint } from './aws.js';
import { pickEndpoint } from './eice-endpoint.js';
import type { InstanceInfo } from './instance-info.js';
import { EicError } from '../errors.js';

const instance: InstanceInfo = { instanceId: 'i-0abc', state: 'running', tags: {}, vpcId: 'vpc-1', subnetId: 'subnet-b', privateIp: '10.0.0.5' };
const ep = (id: string, state: string, subnetId: string, vpcId = 'vpc-1'): InstanceConnectEndpoint => ({
  endpointId: id,
  state,
  vpcId,
  subnetId,
  dnsName: `${id}.x.ec2-instance-connect-endpoint.us-east-1.amazonaws.com`,
  fipsDnsName: `${id}.fips.ec2-instance-connect-endpoint.us-east-1.amazonaws.com`,
});

describe('pickEndpoint', () => {
  it.each([
    ['the first endpoint of the VPC', [ep('eice-1', 'create-complete', 'subnet-a'), ep('eice-2', 'create-complete', 'subnet-c')], 'eice-1'],
    ["the one in the instance's subnet", [ep('eice-1', 'create-complete', 'subnet-a'), ep('eice-2', 'create-complete', 'subnet-b')], 'eice-2'],
    ['update-in-progress', [ep('eice-1', 'update-in-progress', 'subnet-a')], 'eice-1'],
    ['update-complete', [ep('eice-1', 'update-complete', 'subnet-a')], 'eice-1'],
    ['update-failed', [ep('eice-1', 'update-failed', 'subnet-a')], 'eice-1'],
    ['not create-in-progress', [ep('eice-1', 'create-in-progress', 'subnet-b'), ep('eice-2', 'create-complete', 'subnet-a')], 'eice-2'],
    ['not delete-in-progress', [ep('eice-1', 'delete-in-progress', 'subnet-b'), ep('eice-2', 'create-complete', 'subnet-a')], 'eice-2'],
    ['not another VPC', [ep('eice-1', 'create-complete', 'subnet-b', 'vpc-2'), ep('eice-2', 'create-complete', 'subnet-a')], 'eice-2'],
  ])('picks %s', (_what, endpoints, expected) => {
    expect(pickEndpoint(endpoints, { instance, env: {} }).endpointId).toBe(expected);
  });

  it.each([
    ['none at all', [], /no available instance connect endpoints in vpc-1/],
    ['only unusable states', [ep('eice-1', 'create-in-progress', 'subnet-b'), ep('eice-2', 'create-failed', 'subnet-b'), ep('eice-3', 'delete-complete', 'subnet-b')], /no available/],
  ])('fails with %s', (_what, endpoints, message) => {
    expect(() => pickEndpoint(endpoints, { instance, env: {} })).toThrow(message);
  });

  it('takes --eice-id even in another subnet, and names it when absent', () => {
    const endpoints = [ep('eice-1', 'create-complete', 'subnet-b'), ep('eice-9', 'create-complete', 'subnet-a')];
    expect(pickEndpoint(endpoints, { instance, env: {}, endpointId: 'eice-9' }).endpointId).toBe('eice-9');
    expect(() => pickEndpoint([], { instance, env: {}, endpointId: 'eice-7' })).toThrow('there are no available instance connect endpoints with eice-7');
  });

  it.each([
    [{}, 'eice-1.x.'],
    [{ AWS_USE_FIPS_ENDPOINT: 'true' }, 'eice-1.fips.'],
    [{ AWS_USE_FIPS_ENDPOINT: 'TRUE' }, 'eice-1.fips.'],
    [{ AWS_USE_FIPS_ENDPOINT: 'false' }, 'eice-1.x.'],
  ])('uses the DNS name for env %o', (env, prefix) => {
    expect(pickEndpoint([ep('eice-1', 'create-complete', 'subnet-a')], { instance, env }).dnsName.startsWith(prefix)).toBe(true);
  });

  it('fails with a hint when FIPS is asked and the endpoint has no FIPS name', () => {
    const noFips = { ...ep('eice-1', 'create-complete', 'subnet-a'), fipsDnsName: undefined };
    let error: unknown;
    try {
      pickEndpoint([noFips], { instance, env: { AWS_USE_FIPS_ENDPOINT: 'true' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EicError);
    expect((error as EicError).message).toMatch(/FIPS/);
    expect((error as EicError).hint).toMatch(/AWS_USE_FIPS_ENDPOINT/);
  });
});
