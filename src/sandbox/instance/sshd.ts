// Runs a real OpenSSH sshd for an emulated instance in inetd mode (instance-side.md
// §8.4, our choice): the sandbox listens on instance.hostAddress:instance.sshPort and
// starts `sshd -i` for each accepted connection, handing it the TCP socket itself as
// stdin/stdout. sshd then sees the real peer address (its log says "from 127.0.0.1
// port N"), no byte passes through node, and an idle instance costs no process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { SandboxInstance } from '../world.js';

export const SSHD_PATH = '/usr/sbin/sshd';
// sshd checks only argv[0] of the AuthorizedKeysCommand for root ownership (§6, §8.3):
// /usr/bin/env is root-owned in root-owned directories, node and akc.mjs may live anywhere.
const ENV_PATH = '/usr/bin/env';
// sshd builds its sessions' environment itself; it gets nothing of ours.
const SSHD_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

export interface SshdConfigInput {
  instanceId: string;
  hostKeyPaths: string[];
  authorizedKeysDir: string;
  // The AuthorizedKeysCommand, as node + script + its settings.
  nodePath: string;
  akcPath: string;
  imdsUrl: string;
  caPath: string;
  akcLogPath: string;
  akcUser: string;
}

// instance-side.md §8.2, with the paths of this instance. No ListenAddress/Port: in
// inetd mode the sandbox owns the listening socket.
export function renderSshdConfig(input: SshdConfigInput): string {
  const command = [ENV_PATH, input.nodePath, input.akcPath, '--imds', input.imdsUrl, '--ca', input.caPath, '--log', input.akcLogPath]
    .map(commandWord)
    .join(' ');
  return [
    `# sshd_config of sandbox instance ${input.instanceId} (generated; instance-side.md §8.2)`,
    ...input.hostKeyPaths.map((path) => `HostKey ${configWord(path)}`),
    'PidFile none',
    // Keys baked into the image; the directory is empty unless the instance has some.
    `AuthorizedKeysFile ${configWord(`${input.authorizedKeysDir.replaceAll('%', '%%')}/%u`)}`,
    `AuthorizedKeysCommand ${command} %u %f`,
    `AuthorizedKeysCommandUser ${input.akcUser}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'LogLevel VERBOSE',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

export interface SshdListener {
  // Stop listening and kill every sshd (and anything it started) still running.
  close(): Promise<void>;
  liveConnections(): number;
}

export interface SshdListenerOptions {
  configPath: string;
  // Open file descriptor that receives every sshd's stderr (`-e`: its log).
  logFd: number;
  // Runs before each sshd starts (e.g. to bring IMDS in line with the instance).
  beforeConnection?: () => Promise<void>;
}

// Listens on instance.hostAddress:instance.sshPort; port 0 is replaced by the real one.
export async function startSshdListener(instance: SandboxInstance, options: SshdListenerOptions): Promise<SshdListener> {
  const children = new Set<ChildProcess>();
  // pauseOnConnect: node must never read from a socket it hands to sshd.
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    void (options.beforeConnection ?? (async () => {}))().then(
      () => serve(socket),
      () => socket.destroy(),
    );
  });
  let closing = false;

  function serve(socket: Socket): void {
    if (closing) return void socket.destroy();
    const child = spawn(SSHD_PATH, ['-i', '-e', '-f', options.configPath], {
      stdio: [socket, socket, options.logFd],
      env: SSHD_ENV,
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.once('error', () => children.delete(child));
    // sshd holds its own copy of the socket now; closing ours sends nothing to the peer.
    socket.destroy();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(instance.sshPort, instance.hostAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  instance.sshPort = (server.address() as AddressInfo).port;

  return {
    liveConnections: () => children.size,
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...children].map(killTree));
      await closed;
    },
  };
}

// Kills an sshd and every process below it. Sessions run in their own session and
// process group (sshd calls setsid), so a group kill would miss them; the parent links
// in /proc do not. Elsewhere than Linux only the sshd itself is killed.
async function killTree(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tree = [child.pid, ...descendants(child.pid)];
  for (const pid of tree) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await exited;
  // SIGKILL is delivered asynchronously: wait (briefly) until the rest are gone too, so
  // that close() returning means no process of this instance is left.
  for (let round = 0; round < 200 && tree.some(isRunning); round++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Alive and not a zombie (a zombie has ended; it only waits for its parent to reap it).
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of entries) {
    try {
      // "pid (comm) state ppid …"; comm may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

// A word of sshd_config (split like a shell word list since OpenSSH 8.7): quoted when
// it holds spaces. Characters sshd would read differently are refused.
function configWord(word: string): string {
  if (/["\\\n\r#']/.test(word)) throw new Error(`sandbox path not usable in sshd_config: ${JSON.stringify(word)}`);
  return /[\s]/.test(word) ? `"${word}"` : word;
}

// A word of the AuthorizedKeysCommand: sshd expands %-tokens in it, so a literal
// percent sign is doubled.
function commandWord(word: string): string {
  return configWord(word).replaceAll('%', '%%');
}
