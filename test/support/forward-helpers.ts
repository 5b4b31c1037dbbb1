// Helpers for the forwarding tests: a real HTTP server on 127.0.0.1, free ports,
// and eic-ssh run in-process in the background (so a test can use its forwards and
// then stop it with a signal, as Ctrl-C would).
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { main } from '../../src/main.js';
import type { TestSandbox } from './sandbox-cli.js';
import { testIo, type TestIo } from './test-io.js';

export interface EchoHttp {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

// GET /path → "hello <path>"; POST → the body back.
export async function startEchoHttp(): Promise<EchoHttp> {
  const requests: string[] = [];
  const server: Server = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'POST') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
      return;
    }
    res.end(`hello ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface Background {
  io: TestIo;
  done: Promise<number>;
  // Resolves once stderr matches (bounded: rejects after timeoutMs or if it exits).
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export function runInBackground(sandbox: TestSandbox, argv: string[]): Background {
  const io = testIo({ env: { ...sandbox.env } });
  let exited: number | undefined;
  const done = main(argv, io, sandbox.deps()).then((code) => (exited = code));
  return {
    io,
    done,
    async waitForStderr(pattern, timeoutMs = 20_000) {
      for (let waited = 0; waited <= timeoutMs; waited += 25) {
        const match = io.stderrText().match(pattern);
        if (match) return match;
        if (exited !== undefined) throw new Error(`eic-ssh exited ${exited} before ${pattern}: ${io.stderrText()}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`no ${pattern} on stderr within ${timeoutMs} ms: ${io.stderrText()}`);
    },
  };
}
