import { describe, expect, it } from 'vitest';
import { parseSshArgs } from './ssh-args.js';
import { EicError } from '../errors.js';

function usageError(argv: string[]): EicError {
  try {
    parseSshArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(EicError);
    expect((error as EicError).code).toBe('USAGE');
    return error as EicError;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be rejected`);
}

describe('parseSshArgs', () => {
  it.each([
    [['i-0123456789abcdef0'], { target: 'i-0123456789abcdef0', command: [] }],
    [['ec2-user@web-1', 'uname', '-a'], { target: 'web-1', user: 'ec2-user', command: ['uname', '-a'] }],
    [['-l', 'ubuntu', '10.0.0.5', 'ls'], { target: '10.0.0.5', user: 'ubuntu', command: ['ls'] }],
    [['-lubuntu', 'h'], { target: 'h', user: 'ubuntu', command: [] }],
    [['h', '-v', 'echo', '-v'], { target: 'h', command: ['echo', '-v'], verbosity: 1 }],
    [['--', 'h', '-x'], { target: 'h', command: ['-x'] }],
    [['-vvv', 'h'], { verbosity: 3 }],
    [['-p2222', 'h'], { port: 2222 }],
    [['-p', '22', 'h'], { port: 22 }],
    [['-tt', 'h'], { requestTty: 'force-always' }],
    [['-t', 'h'], { requestTty: 'force' }],
    [['-T', '-t', 'h'], { requestTty: 'disable' }],
    [['-qT', 'h'], { quiet: true, requestTty: 'disable' }],
    [['-e', 'none', 'h'], { escapeChar: null }],
    [['-e', '^]', 'h'], { escapeChar: '\x1d' }],
    [['--via', 'direct', 'h'], { via: 'direct' }],
    [['--via=direct', 'h'], { via: 'direct' }],
    [['--via', 'eice', 'h'], { via: 'eice' }],
    [['--via=ssm', 'h'], { via: 'ssm' }],
    [['--eice-id', 'eice-0123456789abcdef0', 'h'], { eiceId: 'eice-0123456789abcdef0' }],
    [['--max-tunnel-duration=3600', 'h'], { maxTunnelDuration: 3600 }],
    [['--max-tunnel-duration', '1', 'h'], { maxTunnelDuration: 1 }],
    [['--key-type', 'rsa', 'h'], { keyType: 'rsa-2048' }],
    [['--key-type=rsa-4096', 'h'], { keyType: 'rsa-4096' }],
    [['--region', 'eu-west-1', '--profile', 'dev', 'h'], { region: 'eu-west-1', profile: 'dev' }],
    [['-oStrictHostKeyChecking=no', 'h'], { strictHostKeyChecking: 'no' }],
    [['-o', 'stricthostkeychecking yes', 'h'], { strictHostKeyChecking: 'yes' }],
    [['-o', 'ConnectTimeout=5', 'h'], { connectTimeoutSeconds: 5 }],
    [['-o', 'UserKnownHostsFile=/tmp/kh', 'h'], { userKnownHostsFile: '/tmp/kh' }],
    [['-o', 'ServerAliveInterval=10', '-o', 'ServerAliveCountMax=2', 'h'], { serverAliveIntervalSeconds: 10, serverAliveCountMax: 2 }],
    // Connection reuse in ssh's words.
    [['-o', 'ControlMaster=no', 'h'], { reuse: false }],
    [['-o', 'ControlMaster=auto', '-o', 'ControlPersist=10m', 'h'], { reuse: true, persistMs: 600_000 }],
    [['-o', 'ControlPersist=yes', 'h'], { persistMs: 7 * 24 * 3_600_000 }],
    [['-o', 'ControlPersist=no', 'h'], { reuse: false }],
    [['-o', 'ControlPath=none', 'h'], { reuse: false }],
    [['-S', 'none', 'h'], { reuse: false }],
    [['-O', 'check', 'h'], { controlCommand: 'check' }],
    [['-Oexit', 'h'], { controlCommand: 'exit' }],
    [['-i', '~/.ssh/id_ed25519', 'h'], { identityFile: '~/.ssh/id_ed25519' }],
  ])('parses %j', (argv, expected) => {
    expect(parseSshArgs(argv)).toMatchObject(expected);
  });

  it('defaults to an ed25519 key, auto route, accept-new host keys and the ~ escape', () => {
    expect(parseSshArgs(['h'])).toMatchObject({
      keyType: 'ed25519',
      via: 'auto',
      strictHostKeyChecking: 'accept-new',
      escapeChar: '~',
      requestTty: 'auto',
      verbosity: 0,
      quiet: false,
    });
  });

  it('accepts a ControlPath or -S path and leaves reuse as it was (masters live in eic-ssh\'s own directory)', () => {
    expect(parseSshArgs(['-o', 'ControlPath=~/.ssh/cm-%C', 'h']).reuse).toBeUndefined();
    expect(parseSshArgs(['-S/tmp/ctl', 'h']).reuse).toBeUndefined();
    expect(parseSshArgs(['-S', '/tmp/ctl', '--reuse', 'h']).reuse).toBe(true);
  });

  it('keeps the first user given, as ssh does', () => {
    expect(parseSshArgs(['-l', 'first', 'second@h']).user).toBe('first');
    expect(parseSshArgs(['second@h', '-l', 'first']).user).toBe('second');
  });

  it('splits user@target at the last @', () => {
    expect(parseSshArgs(['a@b@h'])).toMatchObject({ user: 'a@b', target: 'h' });
  });

  it.each([
    [['-Z', 'h'], /unknown option -Z/],
    [['--frobnicate', 'h'], /unknown option --frobnicate/],
    [['-A', 'h'], /-A is not supported/],
    [['-p', 'http', 'h'], /not a port number/],
    [['-p', '70000', 'h'], /not a port number/],
    [['-p'], /-p needs a value/],
    [['-o', 'Compression=yes', 'h'], /Compression is not supported/],
    [['-o', 'StrictHostKeyChecking=maybe', 'h'], /bad value 'maybe'/],
    [['-o', 'JustAWord', 'h'], /not Key=Value/],
    [['--via', 'teleport', 'h'], /--via must be/],
    [['--eice-id', 'i-0123', 'h'], /is not an endpoint id/],
    [['--max-tunnel-duration', '0', 'h'], /1 to 3600 seconds/],
    [['--max-tunnel-duration', '3601', 'h'], /1 to 3600 seconds/],
    [['--max-tunnel-duration', '1h', 'h'], /1 to 3600 seconds/],
    [['--key-type', 'dsa', 'h'], /--key-type must be/],
    [['@h'], /is not \[user@\]target/],
    [['-e', 'ab', 'h'], /bad escape character/],
    [['-O', 'forward', 'h'], /-O forward is not supported/],
    [['-o', 'ControlMaster=sometimes', 'h'], /bad value 'sometimes'/],
    [['-o', 'ControlPersist=forever', 'h'], /ControlPersist: 'forever' is not a duration/],
  ])('rejects %j with a clear message', (argv, message) => {
    const error = usageError(argv);
    expect(error.message).toMatch(message);
    expect(error.hint ?? '').not.toBe('');
  });
});
