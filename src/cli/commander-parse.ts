// Runs a commander program for a subcommand the way main() needs it: help goes to
// Io.stdout, nothing is printed or exits behind our back, and a parse error becomes a
// UsageError that points at the subcommand's --help.
import { CommanderError, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';

// The parsed options, or 'help-shown' when --help was asked for (and printed).
export function parseWithCommander<T>(program: Command, argv: string[], io: Io, name: string): T | 'help-shown' {
  program
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: () => {} });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.help')) return 'help-shown';
    const message = error instanceof Error ? error.message.replace(/^error: /, '') : String(error);
    throw new UsageError(`${name}: ${message}`, `see eic-ssh ${name} --help`);
  }
  return program.opts<T & Record<string, unknown>>();
}
