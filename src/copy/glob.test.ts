import { describe, expect, it } from 'vitest';
import { matchSegment } from './glob.js';

describe('matchSegment (fnmatch without FNM_PERIOD leniency)', () => {
  it.each([
    ['*.log', 'syslog.log', true],
    ['*.log', 'syslog.log.1', false],
    ['*.log', '.hidden.log', false],
    ['.*', '.hidden', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['[ab]x', 'bx', true],
    ['[!ab]x', 'bx', false],
    ['[^ab]x', 'cx', true],
    ['file[0-9]', 'file7', true],
    ['file[0-9]', 'filex', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['[]]', ']', true],
    ['[a', '[a', true],
    ['*', 'name with spaces', true],
    ['*a*b*', 'xxaxxbxx', true],
    ['*a*b*', 'xxbxxaxx', false],
    ['', '', true],
    ['**', 'x', true],
  ])('%j matches %j: %s', (pattern, name, expected) => {
    expect(matchSegment(pattern, name)).toBe(expected);
  });
});
