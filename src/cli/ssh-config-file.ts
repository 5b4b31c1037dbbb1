// `eic-ssh -F <file>`: reads the ssh_config(5) file's lines that apply to TARGET
// (lines before the first Host, and Host blocks whose patterns match the target as
// typed) and applies the keywords eic-ssh supports. As in ssh, the first obtained
// value of a keyword wins and the command line comes first; forwards accumulate.
// A keyword eic-ssh does not support, in a block that applies, is an error naming
// file and line: silently ignoring it could hide a behaviour the user relies on.
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { expandHome } from './state-dir.js';
import { parseDynamicForward, parseLocalForward, parseRemoteForward } from './forward-args.js';
import type { SshOptions } from './ssh-args.js';
import { applySshOption, SUPPORTED_SSH_OPTIONS } from './ssh-options.js';

// Keywords that change nothing in eic-ssh because it already behaves that way:
// it only ever offers one key, and it never prompts.
const ALREADY_SO: Record<string, string> = { identitiesonly: 'yes', batchmode: 'yes' };
const FORWARD_KEYWORDS = ['LocalForward', 'RemoteForward', 'DynamicForward', 'Compression', 'HostName'];

export async function applyConfigFile(options: SshOptions, homeDir: string): Promise<SshOptions> {
  const path = expandHome(options.configFile ?? '', homeDir);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`-F ${path}: cannot read it: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, 'give an ssh_config file');
  });
  return applyConfigText(options, text, path);
}

export function applyConfigText(commandLine: SshOptions, text: string, path: string): SshOptions {
  const options: SshOptions = {
    ...commandLine,
    localForwards: [...commandLine.localForwards],
    remoteForwards: [...commandLine.remoteForwards],
    dynamicForwards: [...commandLine.dynamicForwards],
  };
  const host = commandLine.target ?? '';
  const obtained = new Set(commandLine.commandLineOptions.map((o) => /^\s*([A-Za-z]+)/.exec(o)?.[1]?.toLowerCase() ?? ''));
  let applies = true;
  let hostName: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const where = `${path} line ${index + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (!match) throw new UsageError(`-F ${where}: cannot parse '${line}'`, 'ssh_config lines are `Keyword value`');
    const keyword = match[1];
    const value = unquote(match[2].trim());
    const lower = keyword.toLowerCase();
    if (lower === 'host') {
      applies = hostMatches(host, value.split(/\s+/));
      return;
    }
    if (lower === 'match' || lower === 'include') {
      throw new UsageError(`-F ${where}: ${keyword} is not supported by eic-ssh`, 'use Host blocks only');
    }
    if (!applies) return;
    switch (lower) {
      case 'localforward':
        options.localForwards.push(parseLocalForward(forwardSpec(value, where)));
        return;
      case 'remoteforward':
        options.remoteForwards.push(parseRemoteForward(forwardSpec(value, where)));
        return;
      case 'dynamicforward':
        options.dynamicForwards.push(parseDynamicForward(value));
        return;
    }
    if (obtained.has(lower)) return;
    obtained.add(lower);
    if (lower === 'hostname') {
      hostName = value.replaceAll('%h', host).replaceAll('%%', '%');
      return;
    }
    if (lower === 'compression') {
      if (!/^(yes|no)$/i.test(value)) throw new UsageError(`-F ${where}: Compression must be yes or no`, 'for example: Compression yes');
      options.compression ||= value.toLowerCase() === 'yes';
      return;
    }
    if (ALREADY_SO[lower] !== undefined) {
      if (value.toLowerCase() !== ALREADY_SO[lower]) {
        throw new UsageError(`-F ${where}: ${keyword} ${value} is not supported by eic-ssh`, `eic-ssh always behaves as ${keyword} ${ALREADY_SO[lower]}`);
      }
      return;
    }
    // The ProxyCommand `eic-ssh config` writes leads back to eic-ssh itself, which
    // is what is running: nothing to do. Any other proxy cannot be honoured.
    if (lower === 'proxycommand' && /eic-ssh\S*\s.*\bproxy\b/.test(value)) return;
    if (!SUPPORTED_SSH_OPTIONS.some((k) => k.toLowerCase() === lower)) {
      throw new UsageError(
        `-F ${where}: ${keyword} is not supported by eic-ssh`,
        `supported: ${[...SUPPORTED_SSH_OPTIONS, ...FORWARD_KEYWORDS, 'IdentitiesOnly', 'BatchMode'].join(', ')}`,
      );
    }
    // -t/-T on the command line come first too.
    if (lower === 'requesttty' && commandLine.requestTty !== 'auto') return;
    try {
      applySshOption(options, `${keyword}=${value}`);
    } catch (error) {
      throw new UsageError(`-F ${where}: ${(error as Error).message.replace(/^-o /, '')}`, (error as UsageError).hint);
    }
  });
  if (hostName !== undefined) options.target = hostName;
  return options;
}

// ssh_config(5) PATTERNS: '*' and '?' wildcards, '!' negates; a negated match wins.
export function hostMatches(host: string, patterns: string[]): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    const regex = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 'i');
    if (regex.test(host)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

// ssh_config writes `LocalForward [bind:]port host:hostport`; the -L form joins them.
function forwardSpec(value: string, where: string): string {
  const words = value.split(/\s+/);
  if (words.length !== 2) throw new UsageError(`-F ${where}: expected '[bind_address:]port host:hostport'`, 'for example: LocalForward 8080 localhost:80');
  return `${words[0]}:${words[1]}`;
}

function unquote(value: string): string {
  return /^".*"$/.test(value) ? value.slice(1, -1) : value;
}
