// Help text is code: every command documents itself, and the top-level answers
// (help, version, no arguments, unknown flags) behave like a well-mannered CLI.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../src/main.js';
import { systemDeps } from '../../src/deps.js';
import { testIo } from '../support/test-io.js';

async function run(argv: string[]) {
  const io = testIo();
  const code = await main(argv, io, systemDeps());
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe('help and version', () => {
  it.each([['--help'], ['-h'], ['help'], ['help', 'ssh']])('%j prints the usage on stdout and exits 0', async (...argv) => {
    const result = await run(argv);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Connect to an EC2 instance with nothing but IAM\n\nUsage:\n {2}eic-ssh /);
    expect(result.stderr).toBe('');
  });

  it.each([[['sandbox', '--help']], [['help', 'sandbox']]])('%j documents the sandbox command', async (argv) => {
    const result = await run(argv);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: eic-ssh sandbox \[--env \| --demo\] \[<options>\]/);
    expect(result.stdout).toContain('--throttle-pushes <n>');
  });

  it.each([[['known-hosts', '--help']], [['help', 'known-hosts']]])('%j documents the known-hosts command', async (argv) => {
    const result = await run(argv);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: eic-ssh known-hosts \[--list \| --remove <instance-id> \| --pin <target>\]/);
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await run(['--version']);
    expect(result.stdout).toBe(`eic-ssh ${pkg.version}\n`);
    expect(result.code).toBe(0);
  });

  it('lists every command in the main usage and in the help topics', async () => {
    const { stdout } = await run(['--help']);
    for (const command of Object.keys(COMMANDS)) {
      expect(stdout).toMatch(new RegExp(`^ {2}eic-ssh ${command}\\b`, 'm'));
      expect(stdout).toMatch(new RegExp(`eic-ssh help \\{ssh( \\| [a-z-]+)* \\| ${command}\\b`));
    }
  });

  it.each(Object.keys(COMMANDS))('%s documents itself through --help and through help <command>', async (command) => {
    const direct = await run([command, '--help']);
    const viaHelp = await run(['help', command]);
    expect(direct.code).toBe(0);
    expect(direct.stderr).toBe('');
    expect(direct.stdout).toMatch(new RegExp(`^(Usage: )? *eic-(ssh ${command}|scp)\\b`, 'm'));
    expect(viaHelp).toEqual(direct);
  });
});

describe('usage errors', () => {
  it.each([
    [[], /^eic-ssh: no target given\n {2}hint: usage: eic-ssh/],
    [['-Z', 'web-1'], /^eic-ssh: unknown option -Z\n {2}hint: see eic-ssh --help\n$/],
    [['help', 'frobnicate'], /^eic-ssh: no help for 'frobnicate'/],
    [['sandbox', '--no-such-flag'], /^eic-ssh: sandbox: unknown option '--no-such-flag'\n {2}hint: see eic-ssh sandbox --help\n$/],
    [['sandbox', '--env', '--demo'], /choose one of --env and --demo/],
  ])('%j is a one-line error with a hint and exit 255', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

describe('the program name in errors', () => {
  it('eic-scp reports its own failures as eic-scp, like scp', async () => {
    const io = testIo();
    const code = await main(['cp', 'only-one-operand'], io, systemDeps(), 'eic-scp');
    expect(code).toBe(255);
    expect(io.stderrText()).toMatch(/^eic-scp: .+\n {2}hint: /);
  });
});
