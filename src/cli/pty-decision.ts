// Whether to ask for a remote pseudo-terminal, following ssh(1): by default only for
// an interactive shell on a local terminal; -t forces it when stdin is a terminal,
// -tt even when it is not; -T never.

export interface PtyDecision {
  allocate: boolean;
  warning?: string;
}

export const NO_TTY_WARNING = 'Pseudo-terminal will not be allocated because stdin is not a terminal.';

export function decidePty(
  request: 'auto' | 'force' | 'force-always' | 'disable',
  hasCommand: boolean,
  stdinIsTTY: boolean,
): PtyDecision {
  switch (request) {
    case 'disable':
      return { allocate: false };
    case 'force-always':
      return { allocate: true };
    case 'force':
      return stdinIsTTY ? { allocate: true } : { allocate: false, warning: NO_TTY_WARNING };
    case 'auto':
      if (hasCommand) return { allocate: false };
      return stdinIsTTY ? { allocate: true } : { allocate: false, warning: NO_TTY_WARNING };
  }
}
