import { describe, expect, it } from 'vitest';
import { EicError } from '../errors.js';
import { parseDynamicForward, parseLocalForward, parseRemoteForward } from './forward-args.js';
import { parseSshArgs } from './ssh-args.js';

function usageError(run: () => unknown): EicError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EicError);
    expect((error as EicError).code).toBe('USAGE');
    return error as EicError;
  }
  throw new Error('expected a usage error');
}

describe('forwarding specifications (ssh(1) -L -R -D)', () => {
  it.each([
    ['8080:localhost:80', { bindAddress: '127.0.0.1', bindPort: 8080, host: 'localhost', hostPort: 80 }],
    ['localhost:8080:10.0.0.5:443', { bindAddress: '127.0.0.1', bindPort: 8080, host: '10.0.0.5', hostPort: 443 }],
    ['127.0.0.2:8080:db:5432', { bindAddress: '127.0.0.2', bindPort: 8080, host: 'db', hostPort: 5432 }],
    ['*:8080:db:5432', { bindAddress: '0.0.0.0', bindPort: 8080, host: 'db', hostPort: 5432 }],
    [':8080:db:5432', { bindAddress: '0.0.0.0', bindPort: 8080, host: 'db', hostPort: 5432 }],
    ['[::1]:8080:[2001:db8::1]:80', { bindAddress: '::1', bindPort: 8080, host: '2001:db8::1', hostPort: 80 }],
  ])('-L %s', (spec, expected) => {
    expect(parseLocalForward(spec)).toEqual(expected);
  });

  it.each([
    ['9000:127.0.0.1:3000', { bindAddress: 'localhost', bindPort: 9000, host: '127.0.0.1', hostPort: 3000 }],
    ['0:127.0.0.1:3000', { bindAddress: 'localhost', bindPort: 0, host: '127.0.0.1', hostPort: 3000 }],
    ['*:9000:web:80', { bindAddress: '', bindPort: 9000, host: 'web', hostPort: 80 }],
    ['10.1.2.3:9000:web:80', { bindAddress: '10.1.2.3', bindPort: 9000, host: 'web', hostPort: 80 }],
  ])('-R %s', (spec, expected) => {
    expect(parseRemoteForward(spec)).toEqual(expected);
  });

  it.each([
    ['1080', { bindAddress: '127.0.0.1', bindPort: 1080 }],
    ['127.0.0.5:1080', { bindAddress: '127.0.0.5', bindPort: 1080 }],
    ['[::1]:1080', { bindAddress: '::1', bindPort: 1080 }],
    ['*:1080', { bindAddress: '0.0.0.0', bindPort: 1080 }],
  ])('-D %s', (spec, expected) => {
    expect(parseDynamicForward(spec)).toEqual(expected);
  });

  it.each([
    [() => parseLocalForward('8080'), /-L '8080' is not \[bind_address:\]port:host:hostport/],
    [() => parseLocalForward('8080:db'), /-L '8080:db' is not/],
    [() => parseLocalForward('0:db:80'), /'0' is not a port number/],
    [() => parseLocalForward('70000:db:80'), /'70000' is not a port number/],
    [() => parseLocalForward('8080::80'), /empty host/],
    [() => parseLocalForward('[::1:8080:db:80'), /unclosed '\['/],
    [() => parseLocalForward('/tmp/sock:db:80'), /Unix socket forwarding is not supported/],
    [() => parseRemoteForward('9000'), /remote dynamic \(SOCKS\) forwarding is not supported/],
    [() => parseDynamicForward('a:b:c'), /-D 'a:b:c' is not \[bind_address:\]port/],
    [() => parseDynamicForward('socks'), /'socks' is not a port number/],
  ])('rejects bad specifications (%#)', (run, message) => {
    expect(usageError(run).message).toMatch(message);
  });
});

describe('parseSshArgs forwarding flags', () => {
  it('collects several -L, -R and -D in one command line, attached or apart', () => {
    const options = parseSshArgs(['-L8080:a:80', '-L', '8081:b:81', '-R', '9000:127.0.0.1:3000', '-D1080', '-D', '1081', '-N', 'h']);
    expect(options.localForwards.map((f) => f.bindPort)).toEqual([8080, 8081]);
    expect(options.remoteForwards).toHaveLength(1);
    expect(options.dynamicForwards.map((f) => f.bindPort)).toEqual([1080, 1081]);
    expect(options).toMatchObject({ noCommand: true, target: 'h', command: [] });
  });

  it.each([
    [['-C', 'h'], { compression: true }],
    [['-NC', 'h'], { compression: true, noCommand: true }],
    [['-F', '/tmp/cfg', 'h'], { configFile: '/tmp/cfg' }],
    [['-F/a', '-F/b', 'h'], { configFile: '/b' }],
    [['h'], { compression: false, noCommand: false, localForwards: [], remoteForwards: [], dynamicForwards: [] }],
    [['-o', 'ConnectTimeout=3', 'h'], { commandLineOptions: ['ConnectTimeout=3'] }],
  ])('parses %j', (argv, expected) => {
    expect(parseSshArgs(argv)).toMatchObject(expected);
  });

  it('takes -f, alone or bundled', () => {
    expect(parseSshArgs(['-fN', '-L', '1:a:1', 'h'])).toMatchObject({ background: true, noCommand: true });
    expect(parseSshArgs(['h'])).toMatchObject({ background: false });
  });

  it.each([['-L'], ['-D'], ['-R'], ['-F']])('%s needs a value', (flag) => {
    expect(usageError(() => parseSshArgs(['h', flag])).message).toBe(`option ${flag} needs a value`);
  });

  it.each([['-Z'], ['-9']])('still rejects unknown flag %s', (flag) => {
    expect(usageError(() => parseSshArgs([flag, 'h'])).message).toBe(`unknown option ${flag}`);
  });
});
