// The program: picks the command, runs it, and is the ONLY place that turns errors
// into messages, hints and exit codes (ssh(1): "ssh exits with the exit status of
// the remote command or with 255 if an error occurred").
import type { Deps } from './deps.js';
import { EicError, UsageError } from './errors.js';
import type { Io } from './io.js';
import { packageVersion } from './version.js';
import { MAIN_HELP } from './cli/help.js';
import { settleRoutes } from './tunnel/settle.js';

export const EXIT_OWN_FAILURE = 255;

// `program` names us in error messages: eic-scp's own failures read "eic-scp: …" as scp's do.
export async function main(argv: string[], io: Io, deps: Deps, program = 'eic-ssh'): Promise<number> {
  const verbosity = countVerbosity(argv);
  try {
    return await dispatch(argv, io, deps);
  } catch (error) {
    reportError(io, error, verbosity, program);
    return EXIT_OWN_FAILURE;
  } finally {
    await settleRoutes(); // e.g. the SSM route's TerminateSession (ssm.md §14)
  }
}

type Command = (argv: string[], io: Io, deps: Deps) => Promise<number>;

// Every subcommand, loaded only when used so that each starts fast. Each answers
// `--help` itself; `eic-ssh help <name>` asks it the same way.
export const COMMANDS: Record<string, Command> = {
  cp: async (argv, io, deps) => {
    if (asksHelp(argv)) return printHelp(io, (await import('./cli/help.js')).CP_HELP);
    const [{ parseCopyArgs }, { runCopy }] = await Promise.all([import('./cli/cp-args.js'), import('./cli/cp.js')]);
    return runCopy(parseCopyArgs(argv), io, deps);
  },
  tunnel: async (argv, io, deps) => {
    if (asksHelp(argv)) return printHelp(io, (await import('./cli/help.js')).TUNNEL_HELP);
    return (await import('./cli/tunnel.js')).tunnelCommand(argv, io, deps);
  },
  proxy: async (argv, io, deps) => (await import('./cli/proxy.js')).proxyCommand(argv, io, deps),
  config: async (argv, io, deps) => (await import('./cli/config.js')).configCommand(argv, io, deps),
  'known-hosts': async (argv, io, deps) => (await import('./cli/known-hosts.js')).knownHostsCommand(argv, io, deps),
  openssh: async (argv, io, deps) => (await import('./cli/openssh.js')).opensshCommand(argv, io, deps),
  serial: async (argv, io, deps) => (await import('./cli/serial.js')).serialCommand(argv, io, deps),
  doctor: async (argv, io, deps) => (await import('./cli/doctor.js')).doctorCommand(argv, io, deps),
  sandbox: async (argv, io, deps) => (await import('./cli/sandbox.js')).sandboxCommand(argv, io, deps),
  ls: async (argv, io, deps) => (await import('./cli/ls.js')).lsCommand(argv, io, deps),
  run: async (argv, io, deps) => (await import('./cli/run.js')).runCommand(argv, io, deps),
  reuse: async (argv, io, deps) => (await import('./cli/reuse.js')).reuseCommand(argv, io, deps),
};

async function dispatch(argv: string[], io: Io, deps: Deps): Promise<number> {
  const [first, ...rest] = argv;
  // No arguments on a terminal: the instance picker (src/cli/picker.ts) asks for the target.
  if (first === undefined && !(io.stdinIsTTY && io.stderrIsTTY)) throw new UsageError('no target given', 'usage: eic-ssh [options] [user@]<target> [<command>...]; see eic-ssh --help');
  if (first === '--help' || first === '-h' || first === 'help') return help(rest, io, deps);
  if (first === '--version') {
    io.stdout.write(`eic-ssh ${packageVersion()}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (command) return command(rest, io, deps);
  const [{ parseSshArgs }, { runSsh }] = await Promise.all([import('./cli/ssh-args.js'), import('./cli/ssh.js')]);
  return runSsh(parseSshArgs(argv), io, deps, argv);
}

async function help(topics: string[], io: Io, deps: Deps): Promise<number> {
  const [topic] = topics;
  if (topic === undefined || topic === 'ssh') return printHelp(io, MAIN_HELP);
  const command = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
  if (!command) throw new UsageError(`no help for '${topic}'`, `commands: ssh (the default), ${Object.keys(COMMANDS).join(', ')}`);
  return command(['--help'], io, deps);
}

function asksHelp(argv: string[]): boolean {
  return argv[0] === '--help' || argv[0] === '-h';
}

function printHelp(io: Io, text: string): number {
  io.stdout.write(text);
  return 0;
}

function reportError(io: Io, error: unknown, verbosity: number, program: string): void {
  if (error instanceof EicError) {
    const lines = [`${program}: ${error.message}`, ...error.details.map((d) => `  ${d}`)];
    if (error.hint) lines.push(`  hint: ${error.hint}`);
    if (verbosity > 0) lines.push(...causeChain(error));
    io.stderr.write(lines.join('\n') + '\n');
    return;
  }
  // A bug of ours, not a user mistake: say so plainly.
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`${program}: internal error: ${message}\n  hint: run again with -v and report it\n`);
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
