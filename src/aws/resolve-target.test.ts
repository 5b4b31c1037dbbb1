import { describe, expect, it } from 'vitest';
import { parseTarget, resolveTarget } from './resolve-target.js';
import type { Aws } from './aws.js';
import type { InstanceInfo } from './instance-info.js';
import { EicError } from '../errors.js';

describe('parseTarget', () => {
  it.each([
    ['i-0123456789abcdef0', { kind: 'id', instanceId: 'i-0123456789abcdef0' }],
    ['i-12345678', { kind: 'id', instanceId: 'i-12345678' }],
    ['10.0.1.17', { kind: 'ip', address: '10.0.1.17' }],
    ['ec2-3-80-1-2.compute-1.amazonaws.com', { kind: 'dns', hostname: 'ec2-3-80-1-2.compute-1.amazonaws.com' }],
    ['IP-10-0-0-5.EC2.INTERNAL.', { kind: 'dns', hostname: 'ip-10-0-0-5.ec2.internal' }],
    ['web-1', { kind: 'name', name: 'web-1' }],
    ['i-XYZ', { kind: 'name', name: 'i-XYZ' }],
    ['300.1.1.1', { kind: 'name', name: '300.1.1.1' }],
    ['my app', { kind: 'name', name: 'my app' }],
  ])('%s', (text, expected) => {
    expect(parseTarget(text)).toEqual(expected);
  });
});

function instance(id: string, name: string, state = 'running'): InstanceInfo {
  return { instanceId: id, name, state, tags: { Name: name }, privateIp: '10.0.0.1' };
}

function fakeAws(instances: InstanceInfo[]): Aws & { queries: unknown[] } {
  const queries: unknown[] = [];
  return {
    region: 'us-east-1',
    queries,
    async describeInstances(query) {
      queries.push(query);
      const nameFilter = query.filters?.find((f) => f.name === 'tag:Name');
      return instances.filter((i) => !nameFilter || nameFilter.values.includes(i.name ?? ''));
    },
    async sendSshPublicKey() {
      throw new Error('not used');
    },
    async getConsoleOutput() {
      return undefined;
    },
    async describeInstanceConnectEndpoints() {
      return [];
    },
    async credentials() {
      return { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };
    },
  };
}

describe('resolveTarget', () => {
  it('picks the single running instance among stopped twins', async () => {
    const aws = fakeAws([instance('i-00000001', 'web', 'stopped'), instance('i-00000002', 'web')]);
    expect((await resolveTarget(aws, 'web')).instanceId).toBe('i-00000002');
  });

  it('lists every match of an ambiguous name', async () => {
    const aws = fakeAws([instance('i-00000001', 'web'), instance('i-00000002', 'web')]);
    const error = await resolveTarget(aws, 'web').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EicError);
    expect((error as EicError).code).toBe('TARGET_AMBIGUOUS');
    expect((error as EicError).details.join('\n')).toMatch(/i-00000001 \(web\)[\s\S]*i-00000002 \(web\)/);
  });

  it('says what was looked for when nothing matches', async () => {
    const error = (await resolveTarget(fakeAws([]), 'nope').catch((e: unknown) => e)) as EicError;
    expect(error.code).toBe('TARGET_NOT_FOUND');
    expect(error.message).toBe("no instance has the Name tag 'nope' in us-east-1");
  });
});
