// Everything outside the process that commands use, besides the terminal (io.ts):
// the clock, timers, the home directory, AWS, and TCP. Tests swap these in one place.
import { homedir } from 'node:os';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAws, type Aws, type AwsConfig } from './aws/aws.js';
import { EicError } from './errors.js';

export interface Deps {
  now(): number;
  sleep(ms: number): Promise<void>;
  homeDir: string;
  createAws(config: AwsConfig): Promise<Aws>;
  // A TCP connection to host:port, or an EicError('CONNECT' | 'CONNECT_TIMEOUT').
  connectTcp(host: string, port: number, timeoutMs: number): Promise<Duplex>;
  // How to run this eic-ssh again (node + script), for `eic-ssh config`'s ProxyCommand;
  // set by bin/ only, absent in-process.
  selfCommand?: string[];
  // Set in the detached copy `eic-ssh -f` starts (src/cli/background.ts): tells the
  // waiting parent that authentication and forwards are done.
  notifyReady?(): void;
  // This process's id, set by bin/ only: a connection-reuse master reports it in
  // `eic-ssh reuse --list` (src/cli/reuse.ts).
  pid?: number;
}

export function systemDeps(): Deps {
  return {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    homeDir: homedir(),
    createAws,
    connectTcp,
  };
}

export function connectTcp(host: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new EicError('CONNECT_TIMEOUT', `no answer from ${host} port ${port} within ${Math.round(timeoutMs / 1000)} s`, {
          hint: 'a security group or network ACL may drop port 22 traffic from your address; try another route with --via',
        }),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new EicError('CONNECT', `cannot connect to ${host} port ${port}: ${error.code ?? error.message}`, {
          hint:
            error.code === 'ECONNREFUSED'
              ? 'nothing accepts SSH there: is sshd running, and is this address reachable from here (a private address needs a VPN or another route)?'
              : 'check the address, your network, and the instance security group',
          cause: error,
        }),
      );
    });
  });
}
