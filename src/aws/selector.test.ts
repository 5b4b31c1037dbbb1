import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { hasGlob, parseFilterOption, parseSelector, termQueries } from './selector.js';

describe('parseSelector', () => {
  it.each([
    ['*', { kind: 'all' }],
    [' * ', { kind: 'all' }],
    ['web-1', { kind: 'terms', terms: [{ text: 'web-1', conditions: [{ kind: 'name', name: 'web-1' }] }] }],
    ['web-*', { kind: 'terms', terms: [{ text: 'web-*', conditions: [{ kind: 'name', name: 'web-*' }] }] }],
    ['i-0123456789abcdef0', { kind: 'terms', terms: [{ text: 'i-0123456789abcdef0', conditions: [{ kind: 'id', instanceId: 'i-0123456789abcdef0' }] }] }],
    ['10.0.1.7', { kind: 'terms', terms: [{ text: '10.0.1.7', conditions: [{ kind: 'ip', address: '10.0.1.7' }] }] }],
    ['IP-10-0-0-5.EC2.INTERNAL', { kind: 'terms', terms: [{ text: 'IP-10-0-0-5.EC2.INTERNAL', conditions: [{ kind: 'dns', hostname: 'ip-10-0-0-5.ec2.internal' }] }] }],
    ['tag:env=prod', { kind: 'terms', terms: [{ text: 'tag:env=prod', conditions: [{ kind: 'tag', key: 'env', value: 'prod' }] }] }],
    ['tag:note=a=b', { kind: 'terms', terms: [{ text: 'tag:note=a=b', conditions: [{ kind: 'tag', key: 'note', value: 'a=b' }] }] }],
    ['tag:env=', { kind: 'terms', terms: [{ text: 'tag:env=', conditions: [{ kind: 'tag', key: 'env', value: '' }] }] }],
    [
      'tag:env=prod+tag:role=web',
      { kind: 'terms', terms: [{ text: 'tag:env=prod+tag:role=web', conditions: [{ kind: 'tag', key: 'env', value: 'prod' }, { kind: 'tag', key: 'role', value: 'web' }] }] },
    ],
    [
      'web-1, db-*',
      {
        kind: 'terms',
        terms: [
          { text: 'web-1', conditions: [{ kind: 'name', name: 'web-1' }] },
          { text: 'db-*', conditions: [{ kind: 'name', name: 'db-*' }] },
        ],
      },
    ],
  ])('%s', (text, expected) => {
    expect(parseSelector(text)).toEqual(expected);
  });

  it.each([
    ['', /empty selector/],
    ['web-1,,db-1', /empty term in selector 'web-1,,db-1'/],
    ['web-1+', /empty condition/],
    ['tag:env', /'tag:env' is not tag:KEY=VALUE/],
    ['tag:=prod', /'tag:=prod' is not tag:KEY=VALUE/],
  ])('refuses %j', (text, message) => {
    let error: unknown;
    try {
      parseSelector(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('termQueries', () => {
  it('ANDs conditions and ORs the private and public address', () => {
    const selector = parseSelector('tag:env=prod+10.0.0.9');
    if (selector.kind !== 'terms') throw new Error('expected terms');
    expect(termQueries(selector.terms[0])).toEqual([
      [
        { name: 'tag:env', values: ['prod'] },
        { name: 'private-ip-address', values: ['10.0.0.9'] },
      ],
      [
        { name: 'tag:env', values: ['prod'] },
        { name: 'ip-address', values: ['10.0.0.9'] },
      ],
    ]);
  });

  it('passes a Name glob to the tag:Name filter unchanged', () => {
    const selector = parseSelector('web-?');
    if (selector.kind !== 'terms') throw new Error('expected terms');
    expect(termQueries(selector.terms[0])).toEqual([[{ name: 'tag:Name', values: ['web-?'] }]]);
  });
});

describe('parseFilterOption', () => {
  it.each([
    ['Name=instance-type,Values=t3.micro', { name: 'instance-type', values: ['t3.micro'] }],
    ['Name=tag:team,Values=a,b', { name: 'tag:team', values: ['a', 'b'] }],
  ])('%s', (text, expected) => expect(parseFilterOption(text)).toEqual(expected));

  it.each(['instance-type=t3.micro', 'Name=x', 'Name=x,Values=', 'Name=x,Values=a,,b'])('refuses %s', (text) => {
    expect(() => parseFilterOption(text)).toThrow(UsageError);
  });
});

describe('hasGlob', () => {
  it.each([
    ['web-*', true],
    ['web-?', true],
    ['web-1', false],
    ['web-\\*', false],
  ])('%s', (text, expected) => expect(hasGlob(text)).toBe(expected));
});
