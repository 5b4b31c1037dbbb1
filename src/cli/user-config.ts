// eic-ssh's own defaults for its trust and audit options: the file <state dir>/config
// (~/.eic-ssh/config, or $EIC_SSH_HOME/config) and two environment variables. The
// file uses ssh_config's shape — one `Keyword value` per line, keywords
// case-insensitive, `#` comments — restricted to eic-ssh's keywords:
//   HostKeySource console     # or tofu (the default)
//   Audit ~/.eic-ssh/audit.jsonl
//   Reuse no                  # connection reuse (mux-session.ts); yes is the default
//   Persist 10m               # a reuse master's idle time (default 5m)
// Precedence: command line, then EIC_SSH_HOST_KEY_SOURCE / EIC_SSH_AUDIT /
// EIC_SSH_REUSE / EIC_SSH_PERSIST, then the file. An unknown keyword or a bad value
// is an error, never silently ignored.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EicError, UsageError } from '../errors.js';
import { expandHome, stateDir } from './state-dir.js';
import type { HostKeySource } from './host-key-pin.js';
import { parseDuration } from '../mux/paths.js';

export interface UserConfig {
  hostKeySource?: HostKeySource;
  audit?: string;
  reuse?: boolean;
  persistMs?: number;
}

const KEYWORDS = 'keywords: HostKeySource, Audit, Reuse, Persist';

// yes/true/on/1 or no/false/off/0, any case; undefined for anything else (each caller
// says so in its own words).
export function yesOrNo(value: string): boolean | undefined {
  if (/^(yes|true|on|1)$/i.test(value)) return true;
  if (/^(no|false|off|0)$/i.test(value)) return false;
  return undefined;
}

function parseYesNo(value: string, where: string): boolean {
  const answer = yesOrNo(value);
  if (answer === undefined) throw new UsageError(`${where} must be yes or no, not '${value}'`, 'Reuse no turns connection reuse off');
  return answer;
}

export function userConfigPath(env: Record<string, string | undefined>, homeDir: string): string {
  return join(stateDir(env, homeDir), 'config');
}

export function parseHostKeySource(value: string, where: string): HostKeySource {
  const v = value.toLowerCase();
  if (v === 'console' || v === 'tofu') return v;
  throw new UsageError(`${where} must be console or tofu, not '${value}'`, 'console pins the keys the instance printed to its console; tofu trusts the first key seen');
}

// Pure: the file's text to settings.
export function parseUserConfig(text: string, file: string): UserConfig {
  const config: UserConfig = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(\S+?)(?:\s*=\s*|\s+)(.+)$/.exec(line);
    const where = `${file}:${String(index + 1)}`;
    if (!match) throw new UsageError(`${where}: expected 'Keyword value'`, KEYWORDS);
    const [, keyword, value] = match;
    switch (keyword.toLowerCase()) {
      case 'hostkeysource':
        config.hostKeySource = parseHostKeySource(value.trim(), `${where}: HostKeySource`);
        return;
      case 'audit':
        config.audit = value.trim();
        return;
      case 'reuse':
        config.reuse = parseYesNo(value.trim(), `${where}: Reuse`);
        return;
      case 'persist':
        config.persistMs = parseDuration(value.trim(), `${where}: Persist`);
        return;
      default:
        throw new UsageError(`${where}: unknown keyword '${keyword}'`, KEYWORDS);
    }
  });
  return config;
}

// The file (if any) overlaid with the environment; paths have ~ expanded.
export async function loadUserConfig(env: Record<string, string | undefined>, homeDir: string): Promise<UserConfig> {
  const file = userConfigPath(env, homeDir);
  let config: UserConfig = {};
  try {
    config = parseUserConfig(await readFile(file, 'utf8'), file);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // ENOTDIR: a path component is a file, so there is no config file either.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new EicError('LOCAL_IO', `Cannot read ${file}`, { cause: error });
  }
  if (env.EIC_SSH_HOST_KEY_SOURCE) config.hostKeySource = parseHostKeySource(env.EIC_SSH_HOST_KEY_SOURCE, 'EIC_SSH_HOST_KEY_SOURCE');
  if (env.EIC_SSH_AUDIT) config.audit = env.EIC_SSH_AUDIT;
  if (config.audit) config.audit = expandHome(config.audit, homeDir);
  return config;
}
