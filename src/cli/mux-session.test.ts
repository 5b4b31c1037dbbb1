// When an `eic-ssh` invocation uses connection reuse: the flags, the environment
// default, and the cases that always keep their own connection.
import { describe, expect, it } from 'vitest';
import { persistMs, reuseFromEnv, reuseWanted, DEFAULT_PERSIST_MS, type ReuseDefaults } from './mux-session.js';
import { parseSshArgs } from './ssh-args.js';

const wanted = (argv: string[], env: Record<string, string> = {}, defaults: ReuseDefaults = {}) => reuseWanted(parseSshArgs(argv), env, defaults);

describe('reuseWanted', () => {
  it('is on by default; --no-reuse, EIC_SSH_REUSE=0 or the config Reuse no turn it off', () => {
    expect(wanted(['web-1', 'true'])).toBe(true);
    expect(wanted(['--no-reuse', 'web-1', 'true'])).toBe(false);
    expect(wanted(['web-1'], { EIC_SSH_REUSE: '0' })).toBe(false);
    expect(wanted(['web-1'], { EIC_SSH_REUSE: 'off' })).toBe(false);
    expect(wanted(['web-1'], {}, { reuse: false })).toBe(false);
  });

  it('the environment beats the config file; --reuse and --persist beat both', () => {
    expect(wanted(['web-1'], { EIC_SSH_REUSE: 'yes' }, { reuse: false })).toBe(true);
    expect(wanted(['web-1'], { EIC_SSH_REUSE: '' }, { reuse: false })).toBe(false);
    expect(wanted(['--reuse', 'web-1'], { EIC_SSH_REUSE: '0' }, { reuse: false })).toBe(true);
    expect(wanted(['--persist', '10m', 'web-1'], { EIC_SSH_REUSE: '0' })).toBe(true);
  });

  it('a value of EIC_SSH_REUSE that is neither yes nor no is an error, not a guess', () => {
    expect(reuseFromEnv({ EIC_SSH_REUSE: 'TRUE' })).toBe(true);
    expect(reuseFromEnv({ EIC_SSH_REUSE: ' 0 ' })).toBe(false);
    expect(reuseFromEnv({})).toBeUndefined();
    expect(() => reuseFromEnv({ EIC_SSH_REUSE: 'sometimes' })).toThrow(/EIC_SSH_REUSE='sometimes' is not yes or no/);
  });

  it('--no-reuse wins over the environment and the last of --reuse/--no-reuse wins', () => {
    expect(wanted(['--no-reuse', 'web-1'], { EIC_SSH_REUSE: '1' })).toBe(false);
    expect(wanted(['--reuse', '--no-reuse', 'web-1'])).toBe(false);
    expect(wanted(['--no-reuse', '--reuse', 'web-1'])).toBe(true);
  });

  it('never applies to forwarding, -N or -f', () => {
    expect(wanted(['--reuse', '-L', '8080:localhost:80', 'web-1', 'true'])).toBe(false);
    expect(wanted(['--reuse', '-N', '-D', '1080', 'web-1'])).toBe(false);
    expect(wanted(['--reuse', '-f', 'web-1', 'sleep 1'])).toBe(false);
  });
});

describe('persistMs', () => {
  it('takes --persist, else EIC_SSH_PERSIST, else the config Persist, else 5 minutes', () => {
    expect(persistMs(parseSshArgs(['--persist=30s', 'web-1']), { EIC_SSH_PERSIST: '1h' })).toBe(30_000);
    expect(persistMs(parseSshArgs(['web-1']), { EIC_SSH_PERSIST: '1h' }, { persistMs: 60_000 })).toBe(3_600_000);
    expect(persistMs(parseSshArgs(['web-1']), {}, { persistMs: 60_000 })).toBe(60_000);
    expect(persistMs(parseSshArgs(['web-1']), {})).toBe(DEFAULT_PERSIST_MS);
    expect(() => persistMs(parseSshArgs(['web-1']), { EIC_SSH_PERSIST: 'soon' })).toThrow(/EIC_SSH_PERSIST: 'soon' is not a duration/);
  });

  it('rejects a bad --persist and --persist without a value', () => {
    expect(() => parseSshArgs(['--persist', 'x', 'web-1'])).toThrow(/--persist: 'x' is not a duration/);
    expect(() => parseSshArgs(['--persist'])).toThrow(/--persist needs a value/);
    expect(() => parseSshArgs(['--reuse=1', 'web-1'])).toThrow(/unknown option --reuse/);
  });
});
