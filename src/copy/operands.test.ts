import { describe, expect, it } from 'vitest';
import { EicError } from '../errors.js';
import { parseOperand, planOperands } from './operands.js';

describe('parseOperand (scp.c colon() rules)', () => {
  it.each([
    ['file.txt', { kind: 'local', path: 'file.txt' }],
    ['/abs/path', { kind: 'local', path: '/abs/path' }],
    ['./a:b', { kind: 'local', path: './a:b' }],
    ['dir/a:b', { kind: 'local', path: 'dir/a:b' }],
    [':leading', { kind: 'local', path: ':leading' }],
    ['web-1:', { kind: 'remote', target: 'web-1', path: '.' }],
    ['web-1:/var/log/*.log', { kind: 'remote', target: 'web-1', path: '/var/log/*.log' }],
    ['i-0123456789abcdef0:rel/path', { kind: 'remote', target: 'i-0123456789abcdef0', path: 'rel/path' }],
    ['ec2-user@web-1:/tmp/', { kind: 'remote', user: 'ec2-user', target: 'web-1', path: '/tmp/' }],
    ['me@corp@web-1:x', { kind: 'remote', user: 'me@corp', target: 'web-1', path: 'x' }],
    ['web-1:a:b', { kind: 'remote', target: 'web-1', path: 'a:b' }],
    ['web-1:name with spaces', { kind: 'remote', target: 'web-1', path: 'name with spaces' }],
  ])('%j', (word, expected) => {
    expect(parseOperand(word)).toEqual(expected);
  });

  it.each(['@web-1:x', 'user@:x', ''])('%j is a usage error', (word) => {
    expect(() => parseOperand(word)).toThrow(EicError);
  });
});

describe('planOperands', () => {
  it('the last operand is the destination', () => {
    const plan = planOperands(['a', 'b', 'web-1:/tmp']);
    expect(plan.sources.map((s) => s.kind)).toEqual(['local', 'local']);
    expect(plan.destination).toEqual({ kind: 'remote', target: 'web-1', path: '/tmp' });
  });

  it.each([[[]], [['a']], [['a', 'b']]])('%j is refused with a hint', (words) => {
    const error = (() => {
      try {
        planOperands(words);
      } catch (e) {
        return e as EicError;
      }
    })();
    expect(error?.code).toBe('USAGE');
    expect(error?.hint).toBeTruthy();
  });
});
