import { describe, expect, it } from 'vitest';
import type { Aws } from './aws.js';
import type { InstanceInfo } from './instance-info.js';
import { hostLabels, selectInstances, sortInstances } from './select-instances.js';
import { parseSelector } from './selector.js';

const i = (instanceId: string, name?: string): InstanceInfo => ({ instanceId, name, state: 'running', tags: name ? { Name: name } : {} });

describe('hostLabels', () => {
  it('uses the Name when it is unique among the selected hosts, else the id', () => {
    const labels = hostLabels([i('i-01', 'web-1'), i('i-02', 'worker'), i('i-03', 'worker'), i('i-04')]);
    expect([...labels.entries()]).toEqual([
      ['i-01', 'web-1'],
      ['i-02', 'i-02'],
      ['i-03', 'i-03'],
      ['i-04', 'i-04'],
    ]);
  });
});

describe('sortInstances', () => {
  it('sorts by Name, then id', () => {
    expect(sortInstances([i('i-03', 'b'), i('i-02', 'a'), i('i-01', 'b'), i('i-00')]).map((x) => x.instanceId)).toEqual(['i-00', 'i-02', 'i-01', 'i-03']);
  });
});

describe('selectInstances', () => {
  const aws = (seen: unknown[]) =>
    ({
      region: 'us-east-1',
      async describeInstances(query: { filters?: { name: string; values: string[] }[] }) {
        seen.push(query.filters);
        const name = query.filters?.find((f) => f.name === 'tag:Name')?.values[0];
        return name === 'web-1' ? [i('i-01', 'web-1')] : [];
      },
    }) as unknown as Aws;

  it('asks only for running instances unless --all-states, and ANDs --filter', async () => {
    const seen: unknown[] = [];
    await selectInstances(aws(seen), parseSelector('web-1'), { filters: [{ name: 'instance-type', values: ['t3.micro'] }] });
    await selectInstances(aws(seen), parseSelector('web-1'), { allStates: true });
    expect(seen).toEqual([
      [
        { name: 'tag:Name', values: ['web-1'] },
        { name: 'instance-type', values: ['t3.micro'] },
        { name: 'instance-state-name', values: ['running'] },
      ],
      [{ name: 'tag:Name', values: ['web-1'] }],
    ]);
  });

  it("'*' asks once with no term filter, and --all-states asks with no filter at all", async () => {
    const seen: unknown[] = [];
    await selectInstances(aws(seen), parseSelector('*'));
    await selectInstances(aws(seen), parseSelector('*'), { allStates: true });
    expect(seen).toEqual([[{ name: 'instance-state-name', values: ['running'] }], undefined]);
  });

  it('names every term that matched nothing', async () => {
    await expect(selectInstances(aws([]), parseSelector('web-1,db-*,x'))).rejects.toThrow("'db-*', 'x' match no running instance in us-east-1");
  });
});
