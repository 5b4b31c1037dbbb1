import { describe, expect, it } from 'vitest';
import { decidePty, NO_TTY_WARNING } from './pty-decision.js';

describe('decidePty follows ssh(1)', () => {
  it.each([
    ['auto', false, true, true, undefined],
    ['auto', false, false, false, NO_TTY_WARNING],
    ['auto', true, true, false, undefined],
    ['auto', true, false, false, undefined],
    ['force', true, true, true, undefined],
    ['force', true, false, false, NO_TTY_WARNING],
    ['force-always', true, false, true, undefined],
    ['disable', false, true, false, undefined],
  ] as const)('request=%s command=%s stdinTTY=%s -> allocate %s', (request, hasCommand, tty, allocate, warning) => {
    expect(decidePty(request, hasCommand, tty)).toEqual(warning ? { allocate, warning } : { allocate });
  });
});
