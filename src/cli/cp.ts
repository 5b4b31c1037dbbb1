// `eic-scp [options] SRC... DST` / `eic-ssh cp ...`: one key push and one connection
// per remote endpoint (user@target) for the whole copy, however many files, then the
// copy engine over SFTP. Per-file failures are reported like scp ("eic-scp: PATH:
// REASON") and make the exit status 1, as scp's; failures to reach an instance are
// eic-ssh's own (255, via main).
import { posix } from 'node:path';
import type { Client } from 'ssh2';
import type { Deps } from '../deps.js';
import type { Io } from '../io.js';
import { CopyEngine, type Location } from '../copy/engine.js';
import type { CopyFs } from '../copy/file-system.js';
import { localFs } from '../copy/local-fs.js';
import { endpointKey, hasGlobMagic, type Operand } from '../copy/operands.js';
import { terminalProgress } from '../copy/progress.js';
import { expandRemoteGlob } from '../copy/remote-glob.js';
import { openSftp, sftpFs } from '../copy/sftp.js';
import { connectAudited } from './audited-connect.js';
import { expandHome } from './state-dir.js';
import { reusedCopyFs } from './mux-session.js';
import { loadUserConfig } from './user-config.js';
import type { CopyOptions } from './cp-args.js';
import { verbose } from './verbose.js';

// 8 requests of 256 KiB in flight per file (OpenSSH's sftp-server accepts reads and
// writes of up to 256 KiB, limits@openssh.com; ssh2 splits what exceeds its limit):
// 2 MiB of buffers whatever the file size. Measured on loopback against 32 KiB × 64,
// 64 KiB × 32, 128 KiB × 16 and 256 KiB × 16; this was as fast as any and the least
// CPU per byte (npm run bench reports the result against OpenSSH scp).
export const CHUNK_SIZE = 256 * 1024;
export const CONCURRENCY = 8;

const SIGNAL_STATUS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

export async function runCopy(options: CopyOptions, io: Io, deps: Deps): Promise<number> {
  const v = verbose(io, options.verbosity, deps.now);
  const clients: Client[] = [];
  const closers: Array<() => void> = [];
  // One audit line per connection, with the copy's exit status (written at the end).
  const auditFinishers: Array<(status: number) => Promise<void>> = [];
  let status = 255;
  const endpoints = new Map<string, CopyFs>();
  const local = localFs();
  const abort = new AbortController();
  let caught: NodeJS.Signals | undefined;
  const unsubscribe = io.onSignal((signal) => {
    caught ??= signal;
    abort.abort(new Error(`caught ${signal}`));
  });

  const fsFor = async (operand: Operand): Promise<CopyFs> => {
    if (operand.kind === 'local') return local;
    const key = endpointKey(operand, options.user);
    const known = endpoints.get(key);
    if (known) return known;
    // The --host-key-source, --audit and Reuse defaults apply to cp too (user-config.ts).
    const config = await loadUserConfig(io.env, deps.homeDir);
    // A live connection-reuse master for this endpoint, unless reuse is off (mux-session.ts).
    const reused = await reusedCopyFs({ ...options, target: operand.target, user: operand.user ?? options.user }, io, deps, v, config);
    if (reused) {
      closers.push(() => reused.end());
      endpoints.set(key, reused);
      return reused;
    }
    const auditFile = options.audit ? expandHome(options.audit, deps.homeDir) : config.audit;
    const { client, reached, finishAudit } = await connectAudited(
      { ...options, target: operand.target, user: operand.user ?? options.user, hostKeySource: config.hostKeySource },
      auditFile,
      io,
      deps,
      v,
    );
    clients.push(client);
    auditFinishers.push(finishAudit);
    const fs = sftpFs(await openSftp(client), `${reached.osUser}@${reached.instance.instanceId}`);
    endpoints.set(key, fs);
    return fs;
  };

  try {
    // Connect every endpoint first: a copy that cannot reach an instance copies nothing.
    for (const operand of [...options.sources, options.destination]) await fsFor(operand);
    const engine = new CopyEngine({
      recursive: options.recursive,
      preserve: options.preserve,
      chunkSize: CHUNK_SIZE,
      concurrency: CONCURRENCY,
      progress: io.stderrIsTTY && !options.quiet ? terminalProgress(io.stderr, deps.now) : undefined,
      signal: abort.signal,
      report: (line) => io.stderr.write(`eic-scp: ${line}\n`),
    });

    const sources: Location[] = [];
    for (const operand of options.sources) {
      const fs = await fsFor(operand);
      if (operand.kind === 'remote' && hasGlobMagic(operand.path)) {
        const matches = await expandRemoteGlob(fs, operand.path);
        if (matches.length === 0) engine.fail(operand.path, 'No such file or directory');
        for (const path of matches) sources.push({ fs, path });
      } else {
        sources.push({ fs, path: operand.path });
      }
    }

    const destination: Location = { fs: await fsFor(options.destination), path: options.destination.path };
    const stat = await engine.probe(destination);
    if (stat === 'failed') return (status = 1);
    const intoDirectory = stat?.kind === 'directory';
    // Several sources, or a name ending in '/', need an existing directory (scp.c: "not a directory").
    if (!intoDirectory && (sources.length > 1 || destination.path.endsWith('/'))) {
      engine.fail(destination.path, stat ? 'Not a directory' : 'No such file or directory');
      return (status = 1);
    }
    for (const source of sources) {
      const target = intoDirectory ? posix.join(destination.path, posix.basename(source.path)) : destination.path;
      v.log(`copy       ${source.fs.label}:${source.path} -> ${destination.fs.label}:${target}`);
      await engine.copy(source, { fs: destination.fs, path: target });
    }
    status = caught ? (SIGNAL_STATUS[caught] ?? 1) : engine.failures > 0 ? 1 : 0;
    return status;
  } finally {
    unsubscribe();
    for (const finish of auditFinishers) await finish(status);
    for (const client of clients) client.end();
    for (const close of closers) close();
  }
}
