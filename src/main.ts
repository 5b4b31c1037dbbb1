// The program: picks the command, runs it, and is the ONLY place that turns errors
// into messages, hints and exit codes (ssh(1): "ssh exits with the exit status of
// the remote command or with 255 if an error occurred").
import type { Deps } from './deps.js';
import { EicError, UsageError } from './errors.js';
import type { Io } from './io.js';
import { packageVersion } from './version.js';
import { CP_HELP, MAIN_HELP } from './cli/help.js';
import { settleRoutes } from './tunnel/settle.js';

export const EXIT_OWN_FAILURE = 255;

export async function main(argv: string[], io: Io, deps: Deps): Promise<number> {
  const verbosity = countVerbosity(argv);
  try {
    return await dispatch(argv, io, deps);
  } catch (error) {
    reportError(io, error, verbosity);
    return EXIT_OWN_FAILURE;
  } finally {
    await settleRoutes(); // e.g. the SSM route's TerminateSession (ssm.md §14)
  }
}

async function dispatch(argv: string[], io: Io, deps: Deps): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no target given', 'usage: eic-ssh [options] [user@]<target> [<command>...]; see eic-ssh --help');
  if (first === '--help' || first === '-h' || first === 'help') return help(rest, io, deps);
  if (first === '--version') {
    io.stdout.write(`eic-ssh ${packageVersion()}\n`);
    return 0;
  }
  if (first === 'known-hosts') {
    const { knownHostsCommand } = await import('./cli/known-hosts.js');
    return knownHostsCommand(rest, io, deps);
  }
  if (first === 'sandbox') {
    const { sandboxCommand } = await import('./cli/sandbox.js');
    return sandboxCommand(rest, io, deps);
  }
  if (first === 'cp') {
    if (rest[0] === '--help' || rest[0] === '-h') return help(['cp'], io, deps);
    const { parseCopyArgs } = await import('./cli/cp-args.js');
    const { runCopy } = await import('./cli/cp.js');
    return runCopy(parseCopyArgs(rest), io, deps);
  }
  if (first === 'tunnel') {
    if (rest[0] === '--help' || rest[0] === '-h') return help(['tunnel'], io, deps);
    const { tunnelCommand } = await import('./cli/tunnel.js');
    return tunnelCommand(rest, io, deps);
  }
  if (first === 'proxy') {
    const { proxyCommand } = await import('./cli/proxy.js');
    return proxyCommand(rest, io, deps);
  }
  if (first === 'config') {
    const { configCommand } = await import('./cli/config.js');
    return configCommand(rest, io, deps);
  }
  const { parseSshArgs } = await import('./cli/ssh-args.js');
  const { runSsh } = await import('./cli/ssh.js');
  return runSsh(parseSshArgs(argv), io, deps, argv);
}

async function help(topics: string[], io: Io, deps: Deps): Promise<number> {
  if (topics[0] === 'cp') {
    io.stdout.write(CP_HELP);
    return 0;
  }
  if (topics[0] === 'tunnel') {
    const { TUNNEL_HELP } = await import('./cli/help.js');
    io.stdout.write(TUNNEL_HELP);
    return 0;
  }
  if (topics[0] === 'sandbox') {
    const { sandboxCommand } = await import('./cli/sandbox.js');
    return sandboxCommand(['--help'], io, deps);
  }
  if (topics[0] === 'known-hosts') {
    const { knownHostsCommand } = await import('./cli/known-hosts.js');
    return knownHostsCommand(['--help'], io, deps);
  }
  if (topics[0] === 'proxy') {
    const { proxyCommand } = await import('./cli/proxy.js');
    return proxyCommand(['--help'], io, deps);
  }
  if (topics[0] === 'config') {
    const { configCommand } = await import('./cli/config.js');
    return configCommand(['--help'], io, deps);
  }
  if (topics.length > 0 && topics[0] !== 'ssh') throw new UsageError(`no help for '${topics[0]}'`, 'commands: ssh (the default), cp, sandbox');
  io.stdout.write(MAIN_HELP);
  return 0;
}

function reportError(io: Io, error: unknown, verbosity: number): void {
  if (error instanceof EicError) {
    const lines = [`eic-ssh: ${error.message}`, ...error.details.map((d) => `  ${d}`)];
    if (error.hint) lines.push(`  hint: ${error.hint}`);
    if (verbosity > 0) lines.push(...causeChain(error));
    io.stderr.write(lines.join('\n') + '\n');
    return;
  }
  // A bug of ours, not a user mistake: say so plainly.
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`eic-ssh: internal error: ${message}\n  hint: run again with -v and report it\n`);
  if (verbosity > 0 && error instanceof Error && error.stack) io.stderr.write(error.stack + '\n');
}

// -v shows why: each cause's name and message (never their data fields, which can
// hold request parameters).
function causeChain(error: Error): string[] {
  const lines: string[] = [];
  let cause = error.cause;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    lines.push(`  cause: ${cause.name}: ${cause.message}`);
    cause = cause.cause;
  }
  return lines;
}

// Counted before parsing so that even a parse error is reported at the right level.
function countVerbosity(argv: string[]): number {
  let count = 0;
  for (const arg of argv) {
    if (arg === '--') break;
    if (/^-[a-zA-Z]*v[a-zA-Z]*$/.test(arg) && !/^-[lpioe]/.test(arg)) count += (arg.match(/v/g) ?? []).length;
  }
  return count;
}
