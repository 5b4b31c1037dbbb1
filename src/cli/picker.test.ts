import { describe, expect, it } from 'vitest';
import { fuzzyFilter, pickerChoices } from './picker.js';
import type { ListedInstance } from './ls.js';

const listed: ListedInstance[] = [
  { instanceId: 'i-0000000000000001', name: 'web-1', state: 'running', privateIp: '10.0.0.5', publicIp: '3.3.3.3', availabilityZone: 'us-east-1a', routes: ['direct', 'eice'] },
  { instanceId: 'i-0000000000000002', name: 'db-primary', state: 'running', privateIp: '10.0.0.17', publicIp: null, availabilityZone: 'us-east-1b', routes: ['ssm'] },
  { instanceId: 'i-0000000000000003', name: null, state: 'running', privateIp: '10.0.1.9', publicIp: null, availabilityZone: 'us-east-1a', routes: [] },
];

describe('pickerChoices', () => {
  it('one aligned line per instance: id, Name, private IP, public IP, AZ, routes', () => {
    expect(pickerChoices(listed)).toEqual([
      { value: 'i-0000000000000001', name: 'i-0000000000000001  web-1       10.0.0.5   3.3.3.3  us-east-1a  direct,eice' },
      { value: 'i-0000000000000002', name: 'i-0000000000000002  db-primary  10.0.0.17  -        us-east-1b  ssm' },
      { value: 'i-0000000000000003', name: 'i-0000000000000003  -           10.0.1.9   -        us-east-1a  -' },
    ]);
  });
});

describe('fuzzyFilter', () => {
  const choices = pickerChoices(listed);
  const ids = (term: string | undefined) => fuzzyFilter(term, choices).map((c) => c.value.slice(-1));

  it.each([
    [undefined, ['1', '2', '3']],
    ['', ['1', '2', '3']],
    ['web', ['1']],
    ['dbp', ['2']],
    ['SSM', ['2']],
    ['us-east-1b', ['2']],
    ['east-1a', ['1', '3']],
    ['10.0.1', ['3', '2', '1']],
    ['web ssm', []],
    ['zzz', []],
  ])('%j → %j', (term, expected) => {
    expect(ids(term)).toEqual(expected);
  });
});
