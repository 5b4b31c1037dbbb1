import { describe, expect, it } from 'vitest';
import { EicError } from '../errors.js';
import { parseCopyArgs } from './cp-args.js';

describe('parseCopyArgs (scp(1) grammar)', () => {
  it('defaults', () => {
    const o = parseCopyArgs(['a', 'web-1:']);
    expect(o).toMatchObject({ recursive: false, preserve: false, quiet: false, verbosity: 0, via: 'auto', keyType: 'ed25519' });
    expect(o.port).toBeUndefined();
  });

  it.each([
    [['-r', '-p', '-q'], { recursive: true, preserve: true, quiet: true }],
    [['-rpq'], { recursive: true, preserve: true, quiet: true }],
    [['-vvv'], { verbosity: 3 }],
    [['-P', '2222'], { port: 2222 }],
    [['-P2222'], { port: 2222 }],
    [['-rP2222'], { recursive: true, port: 2222 }],
    [['-i', '~/.ssh/id_ed25519'], { identityFile: '~/.ssh/id_ed25519' }],
    [['-o', 'StrictHostKeyChecking=yes'], { strictHostKeyChecking: 'yes' }],
    [['-oUser=ubuntu'], { user: 'ubuntu' }],
    [['-3', '-B', '-s', '-T'], { recursive: false }],
    [['--via', 'ssm', '--key-type=rsa', '--profile', 'p', '--region=eu-west-1'], { via: 'ssm', keyType: 'rsa-2048', profile: 'p', region: 'eu-west-1' }],
    [['--no-reuse'], { reuse: false }],
  ])('%j', (flags, expected) => {
    expect(parseCopyArgs([...flags, 'a', 'web-1:'])).toMatchObject(expected);
  });

  it('options end at the first operand, and at --', () => {
    expect(parseCopyArgs(['a', '-r', 'web-1:']).sources.map((s) => s.kind === 'local' && s.path)).toEqual(['a', '-r']);
    const o = parseCopyArgs(['--', '-r', 'web-1:']);
    expect(o.recursive).toBe(false);
    expect(o.sources).toEqual([{ kind: 'local', path: '-r' }]);
  });

  it('a flag without its value', () => {
    expect(() => parseCopyArgs(['-r', '-P'])).toThrow(/-P needs a value/);
    expect(() => parseCopyArgs(['--no-reuse=1', 'a', 'web-1:'])).toThrow(/unknown option --no-reuse/);
  });

  it.each([
    [['-l', '100'], /bandwidth/],
    [['-C'], /compression/],
    [['-O'], /SFTP/],
    [['-J', 'bastion'], /jump/],
    [['-x'], /unknown option -x/],
    [['--nope'], /unknown option --nope/],
    [['-P', '70000'], /not a port/],
    [['-Px'], /not a port/],
    [['-o', 'Compression=yes'], /not supported/],
    [['--via', 'carrier-pigeon'], /--via/],
    [['--key-type', 'dsa'], /--key-type/],
  ])('%j is a usage error', (flags, message) => {
    let error: unknown;
    try {
      parseCopyArgs([...flags, 'a', 'web-1:']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EicError);
    expect((error as EicError).code).toBe('USAGE');
    expect((error as EicError).message).toMatch(message);
  });
});
