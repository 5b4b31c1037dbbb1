import { describe, expect, it } from 'vitest';
import { EicError } from '../errors.js';
import { parseSshArgs } from './ssh-args.js';
import { applyConfigText, hostMatches } from './ssh-config-file.js';

const apply = (argv: string[], text: string) => applyConfigText(parseSshArgs(argv), text, 'cfg');

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EicError);
    return (error as EicError).message;
  }
  throw new Error('expected an error');
}

describe('ssh_config Host patterns', () => {
  it.each([
    ['i-0abc', ['i-*'], true],
    ['web-1', ['i-*', 'web-?'], true],
    ['web-10', ['web-?'], false],
    ['web-1', ['web-*', '!web-1'], false],
    ['WEB-1', ['web-1'], true],
    ['a.b', ['a*b'], true],
    ['axb', ['a.b'], false],
  ])('%s against %j → %s', (host, patterns, expected) => {
    expect(hostMatches(host, patterns)).toBe(expected);
  });
});

describe('-F: applying a config file', () => {
  const text = [
    '# global',
    'ServerAliveInterval 5',
    'Host web-*',
    '    User ubuntu',
    '    Port 2222',
    '    LocalForward 8080 localhost:80',
    '    DynamicForward 1080',
    '    RemoteForward 127.0.0.1:9000 127.0.0.1:3000',
    '    Compression yes',
    '    StrictHostKeyChecking=yes',
    '    IdentitiesOnly yes',
    'Host db-*',
    '    ForwardAgent yes',
    '    User admin',
  ].join('\n');

  it('applies global lines and the matching Host block, not others', () => {
    expect(apply(['web-1'], text)).toMatchObject({
      target: 'web-1',
      user: 'ubuntu',
      port: 2222,
      serverAliveIntervalSeconds: 5,
      compression: true,
      strictHostKeyChecking: 'yes',
      localForwards: [{ bindAddress: '127.0.0.1', bindPort: 8080, host: 'localhost', hostPort: 80 }],
      dynamicForwards: [{ bindAddress: '127.0.0.1', bindPort: 1080 }],
      remoteForwards: [{ bindAddress: '127.0.0.1', bindPort: 9000, host: '127.0.0.1', hostPort: 3000 }],
    });
    const other = apply(['other'], text);
    expect(other).toMatchObject({ serverAliveIntervalSeconds: 5, localForwards: [], compression: false, strictHostKeyChecking: 'accept-new' });
    expect(other.user).toBeUndefined();
    expect(other.port).toBeUndefined();
  });

  it('lets the command line win, and adds forwards from both', () => {
    const options = apply(['-l', 'ec2-user', '-p', '22', '-o', 'StrictHostKeyChecking=no', '-L', '1:a:1', 'web-1'], text);
    expect(options).toMatchObject({ user: 'ec2-user', port: 22, strictHostKeyChecking: 'no' });
    expect(options.localForwards.map((f) => f.bindPort)).toEqual([1, 8080]);
  });

  it('keeps the first value the file gives', () => {
    expect(apply(['h'], 'Host h\n  User first\nHost *\n  User second\n  ConnectTimeout 3\n  ConnectTimeout 9')).toMatchObject({
      user: 'first',
      connectTimeoutSeconds: 3,
    });
  });

  it('follows HostName to the real target', () => {
    expect(apply(['web'], 'Host web\n  HostName i-0123456789abcdef0')).toMatchObject({ target: 'i-0123456789abcdef0' });
  });

  it('accepts the block `eic-ssh config` writes', () => {
    const block = 'Host i-* mi-*\n    ProxyCommand /usr/bin/node /opt/eic-ssh/dist/cli/eic-ssh.js proxy --push-key /k.pub %r@%h:%p\n    User ec2-user\n    IdentitiesOnly yes\n    IdentityFile /k\n    ServerAliveInterval 15\n    ServerAliveCountMax 3\n';
    expect(apply(['i-0abc'], block)).toMatchObject({ user: 'ec2-user', identityFile: '/k', serverAliveIntervalSeconds: 15, serverAliveCountMax: 3 });
  });

  it.each([
    ['Host db-1\n  ForwardAgent yes', 'db-1', '-F cfg line 2: ForwardAgent is not supported by eic-ssh'],
    ['Host *\n  ProxyCommand nc %h %p', 'x', '-F cfg line 2: ProxyCommand is not supported by eic-ssh'],
    ['Match host x\n  User a', 'x', '-F cfg line 1: Match is not supported by eic-ssh'],
    ['Include other', 'x', '-F cfg line 1: Include is not supported by eic-ssh'],
    ['Host x\n  StrictHostKeyChecking maybe', 'x', "-F cfg line 2: StrictHostKeyChecking: bad value 'maybe'"],
    ['Host x\n  IdentitiesOnly no', 'x', '-F cfg line 2: IdentitiesOnly no is not supported by eic-ssh'],
    ['Host x\n  LocalForward 8080', 'x', "-F cfg line 2: expected '[bind_address:]port host:hostport'"],
  ])('rejects %j clearly', (config, host, message) => {
    expect(usageMessage(() => apply([host], config))).toBe(message);
  });

  it('ignores unsupported keywords in blocks that do not apply', () => {
    expect(apply(['web-1'], 'Host db-*\n  ForwardAgent yes\n')).toMatchObject({ target: 'web-1' });
  });
});
