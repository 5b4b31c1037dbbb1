// eic-ssh's state directory ($EIC_SSH_HOME, default ~/.eic-ssh), for modules that
// connect-instance.ts itself imports (its stateDir() has the same rules; importing it
// from there would make an import cycle).
import { join } from 'node:path';

export function stateDirectory(env: Record<string, string | undefined>, homeDir: string): string {
  const configured = env.EIC_SSH_HOME;
  if (!configured) return join(homeDir, '.eic-ssh');
  if (configured === '~') return homeDir;
  return configured.startsWith('~/') ? join(homeDir, configured.slice(2)) : configured;
}
