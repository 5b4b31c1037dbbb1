// `eic-ssh openssh [options] [user@]TARGET [COMMAND...]`: the same key push and route
// as `eic-ssh`, but the SSH client is the system's OpenSSH `ssh`. The ephemeral key
// never touches disk: ssh gets it from a short-lived private agent (memory-agent.ts)
// whose socket is removed on exit. ssh reaches the route through a loopback listener
// that accepts exactly one connection, and checks the host key itself against
// eic-ssh's known-hosts file with HostKeyAlias=<instance id> (same file, same
// OpenSSH syntax; --host-key-source console pins it first).
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { constants } from 'node:os';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { generateEphemeralKey } from '../ssh/key.js';
import { KnownHostsFile } from '../ssh/known-hosts.js';
import { startMemoryAgent } from '../ssh/memory-agent.js';
import { startAudit } from './audit.js';
import { expandHome, knownHostsPath } from './state-dir.js';
import { noConsoleKeysNotice, pinFromConsole, pinnedNotice } from './host-key-pin.js';
import { reachInstance } from './reach-instance.js';
import { parseSshArgs, type SshOptions } from './ssh-args.js';
import { loadUserConfig } from './user-config.js';
import { verbose } from './verbose.js';

export const OPENSSH_HELP = `Usage: eic-ssh openssh [<options>] [<user>@]<target> [<command>...]

Connect with the system OpenSSH client (ssh) instead of eic-ssh's own: the ephemeral
key is pushed as usual and served to ssh from a private in-memory ssh-agent (a Unix
socket in a fresh 0700 directory, removed on exit); it is never written to disk.
ssh verifies the host key against eic-ssh's known-hosts file by instance id.

Options: -l <user>, -p <port>, -q, -v, -o StrictHostKeyChecking=<v>,
  -o UserKnownHostsFile=<file>, -o ConnectTimeout=<s>, --via <route>, --eice-id,
  --key-type, --profile, --region, --host-key-source {console | tofu}, --audit <file>
  (as for eic-ssh; see eic-ssh --help). stdin, stdout and stderr are pipes: give a
  command, or -tt for a remote terminal.
`;

// eic-ssh flags this mode does not carry over to OpenSSH: refused, never ignored.
function refuseUnsupported(options: SshOptions): void {
  const unsupported: [boolean, string][] = [
    [options.localForwards.length + options.remoteForwards.length + options.dynamicForwards.length > 0, '-L/-R/-D'],
    [options.noCommand, '-N'],
    [options.background, '-f'],
    [options.identityFile !== undefined, '-i'],
    [options.configFile !== undefined, '-F'],
  ];
  const found = unsupported.filter(([present]) => present).map(([, name]) => name);
  if (found.length > 0) throw new UsageError(`openssh: ${found.join(', ')} not supported here`, 'use eic-ssh itself for these');
}

export async function opensshCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    io.stdout.write(OPENSSH_HELP);
    return 0;
  }
  const options = parseSshArgs(argv);
  refuseUnsupported(options);
  const v = verbose(io, options.verbosity, deps.now);
  const config = await loadUserConfig(io.env, deps.homeDir);
  const key = options.keyType === 'ed25519' ? await generateEphemeralKey('ed25519') : await generateEphemeralKey('rsa', options.keyType === 'rsa-4096' ? 4096 : 2048);
  const reached = await reachInstance(options, key.publicLine, io, deps, v);
  const instanceId = reached.instance.instanceId;
  const knownHostsFile = knownHostsPath(options, io.env, deps.homeDir);
  let policy = options.strictHostKeyChecking;
  if ((options.hostKeySource ?? config.hostKeySource) === 'console') {
    const pin = await pinFromConsole(reached.aws, instanceId, new KnownHostsFile(knownHostsFile));
    if (pin.kind === 'pinned') {
      if (pin.changed && !options.quiet) io.stderr.write(pinnedNotice(instanceId, pin.keyLines.length));
      if (policy === 'accept-new') policy = 'yes';
    } else if (!options.quiet) io.stderr.write(noConsoleKeysNotice(instanceId));
  }
  const opened = await reached.open();
  const agent = await startMemoryAgent(key.privateKey);
  const relay = await oneConnectionRelay(opened.sock);
  const auditFile = options.audit ? expandHome(options.audit, deps.homeDir) : config.audit;
  const audit = auditFile
    ? startAudit(
        auditFile,
        {
          startedAt: deps.now(),
          instance: instanceId,
          osUser: reached.osUser,
          route: opened.route,
          routeId: opened.id,
          keyFingerprint: key.fingerprint,
          pushRequestId: reached.pushRequestId(),
        },
        reached.aws,
      )
    : undefined;
  let status = 255;
  try {
    const args = [
      '-F', '/dev/null',
      '-o', `HostKeyAlias=${instanceId}`,
      '-o', `UserKnownHostsFile=${knownHostsFile}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', `StrictHostKeyChecking=${policy}`,
      '-o', `IdentityAgent=${agent.socketPath}`,
      '-o', 'IdentitiesOnly=no',
      '-o', 'BatchMode=yes',
      '-o', 'PasswordAuthentication=no',
      '-o', 'KbdInteractiveAuthentication=no',
      '-o', 'ControlMaster=no',
      '-o', 'ControlPath=none',
      ...(options.quiet ? ['-q'] : []),
      ...Array.from({ length: Math.min(options.verbosity, 3) }, () => '-v'),
      ...(options.requestTty === 'force' ? ['-t'] : options.requestTty === 'force-always' ? ['-tt'] : options.requestTty === 'disable' ? ['-T'] : []),
      '-p', String(relay.port),
      '-l', reached.osUser,
      '127.0.0.1',
      ...(options.command.length > 0 ? ['--', ...options.command] : []),
    ];
    v.log(`openssh    ssh ${args.join(' ')}`);
    status = await runOpenSsh(args, io, agent.socketPath);
    return status;
  } finally {
    relay.close();
    opened.sock.destroy();
    await agent.close();
    await audit?.finish(status);
  }
}

// A loopback TCP listener (port chosen by the system) that hands exactly one
// connection to the route and then stops listening.
async function oneConnectionRelay(route: NodeJS.ReadWriteStream & { destroy(): void }): Promise<{ port: number; close(): void }> {
  let client: Socket | undefined;
  const server = createServer((socket) => {
    if (client) return socket.destroy();
    client = socket;
    server.close();
    socket.pipe(route).pipe(socket);
    socket.on('error', () => route.destroy());
    socket.on('close', () => route.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.close();
      client?.destroy();
    },
  };
}

function runOpenSsh(args: string[], io: Io, agentSocket: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { env: { ...io.env, SSH_AUTH_SOCK: agentSocket }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.once('error', (error) =>
      reject(new EicError('LOCAL_IO', `cannot run the OpenSSH client (ssh): ${error.message}`, { hint: 'install openssh-client, or use eic-ssh itself' })),
    );
    io.stdin.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    child.once('close', (code, signal) => {
      io.stdin.unpipe(child.stdin);
      resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 127) : 255));
    });
  });
}
