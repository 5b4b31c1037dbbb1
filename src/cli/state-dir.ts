// Where eic-ssh keeps its state ($EIC_SSH_HOME, default ~/.eic-ssh) and how `~` in a
// configured path expands. A leaf module with no imports of ours: the light paths
// (a session through a reuse master, the user config) need it without loading the
// connect machinery (ssh2, the AWS SDK) that connect-instance.ts pulls in.
import { join } from 'node:path';

export function stateDir(env: Record<string, string | undefined>, homeDir: string): string {
  return env.EIC_SSH_HOME ? expandHome(env.EIC_SSH_HOME, homeDir) : join(homeDir, '.eic-ssh');
}

export function expandHome(path: string, homeDir: string): string {
  return path === '~' ? homeDir : path.startsWith('~/') ? join(homeDir, path.slice(2)) : path;
}

export function knownHostsPath(
  options: { userKnownHostsFile?: string },
  env: Record<string, string | undefined>,
  homeDir: string,
): string {
  if (options.userKnownHostsFile) return expandHome(options.userKnownHostsFile, homeDir);
  if (env.EIC_SSH_KNOWN_HOSTS) return expandHome(env.EIC_SSH_KNOWN_HOSTS, homeDir);
  return join(stateDir(env, homeDir), 'known_hosts');
}
