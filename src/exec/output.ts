// How `eic-ssh run` shows many hosts' output. 'prefix' (default): complete lines as
// they arrive, each prefixed by its host, stdout to stdout and stderr to stderr, so
// output interleaves live but lines never mix. 'group': each host's output together
// once it is done. 'json': one NDJSON object per host once it is done. Output kept for
// 'group' and 'json' is capped per host and stream (MAX_KEPT bytes, then marked).

export type OutputMode = 'prefix' | 'group' | 'json';

export type HostStatus = 'succeeded' | 'failed' | 'unreachable';

export interface HostReport {
  host: string;
  instanceId: string;
  route: string | null;
  // The command went through a live connection-reuse master (no push, no handshake).
  reused?: boolean;
  status: HostStatus;
  exitStatus: number | null;
  signal: string | null;
  // Why it failed or was unreachable (one line); null when it succeeded.
  error: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timings: { startedAt: string; connectMs: number | null; totalMs: number };
}

export interface Writable {
  write(chunk: string | Uint8Array): unknown;
}

export const MAX_KEPT = 1024 * 1024;

export interface HostOutput {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  // The host is done: flush partial lines (prefix) or print everything (group, json).
  finish(report: Omit<HostReport, 'stdout' | 'stderr' | 'truncated'>): HostReport;
}

export function hostOutput(mode: OutputMode, label: string, width: number, out: Writable, err: Writable): HostOutput {
  const prefix = `${label.padEnd(width)} | `;
  const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[], bytes: { stdout: 0, stderr: 0 } };
  let truncated = false;
  const partial = { stdout: '', stderr: '' };
  const keep = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
    const room = MAX_KEPT - kept.bytes[stream];
    if (room <= 0) return void (truncated = true);
    if (chunk.length > room) truncated = true;
    const part = chunk.subarray(0, room);
    kept[stream].push(part);
    kept.bytes[stream] += part.length;
  };
  const lines = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
    const text = partial[stream] + chunk.toString('utf8');
    const parts = text.split('\n');
    partial[stream] = parts.pop() ?? '';
    if (parts.length > 0) (stream === 'stdout' ? out : err).write(parts.map((l) => prefix + l + '\n').join(''));
  };
  const take = (stream: 'stdout' | 'stderr', chunk: Buffer) => (mode === 'prefix' ? lines(stream, chunk) : keep(stream, chunk));
  return {
    stdout: (chunk) => take('stdout', chunk),
    stderr: (chunk) => take('stderr', chunk),
    finish(base) {
      if (mode === 'prefix') {
        for (const stream of ['stdout', 'stderr'] as const) {
          if (partial[stream] !== '') (stream === 'stdout' ? out : err).write(prefix + partial[stream] + '\n');
          partial[stream] = '';
        }
      }
      const report: HostReport = {
        ...base,
        stdout: Buffer.concat(kept.stdout).toString('utf8'),
        stderr: Buffer.concat(kept.stderr).toString('utf8'),
        truncated,
      };
      if (mode === 'json') out.write(JSON.stringify(report) + '\n');
      if (mode === 'group') {
        out.write(`=== ${label} (${base.instanceId}) ${describeOutcome(report)}\n`);
        if (report.stdout) out.write(report.stdout.endsWith('\n') ? report.stdout : report.stdout + '\n');
        if (report.stderr) err.write(report.stderr.endsWith('\n') ? report.stderr : report.stderr + '\n');
        if (truncated) err.write(`eic-ssh: output of ${label} cut at ${MAX_KEPT} bytes per stream\n`);
      }
      return report;
    },
  };
}

// "exit 0 via direct", "exit 3 via ssm", "exit 0 via eice (reused)", "unreachable: …".
export function describeOutcome(report: Pick<HostReport, 'status' | 'exitStatus' | 'signal' | 'error' | 'route' | 'reused'>): string {
  if (report.status === 'unreachable') return `unreachable: ${report.error ?? 'unknown error'}`;
  const how = report.signal ? `killed by signal ${report.signal}` : report.exitStatus === null ? (report.error ?? 'no exit status') : `exit ${report.exitStatus}`;
  return `${how}${report.route ? ` via ${report.route}` : ''}${report.reused ? ' (reused)' : ''}`;
}

// The end-of-run summary for stderr.
export function summarize(reports: HostReport[], notStarted: string[], interrupted: boolean): string {
  const by = (s: HostStatus) => reports.filter((r) => r.status === s);
  const [ok, failed, unreachable] = [by('succeeded'), by('failed'), by('unreachable')];
  const total = reports.length + notStarted.length;
  const head = `eic-ssh run: ${ok.length} succeeded, ${failed.length} failed, ${unreachable.length} unreachable` +
    (notStarted.length ? `, ${notStarted.length} not started` : '') + ` (of ${total})${interrupted ? ', interrupted' : ''}`;
  const lines = [head];
  for (const r of failed) lines.push(`  failed       ${r.host}: ${describeOutcome(r)}`);
  for (const r of unreachable) lines.push(`  unreachable  ${r.host}: ${r.error ?? 'unknown error'}`);
  if (notStarted.length) lines.push(`  not started  ${notStarted.join(', ')}`);
  return lines.join('\n') + '\n';
}

// 0: every host succeeded; 255: any host was unreachable; 1: otherwise (some command
// failed); 130 (128 + SIGINT, the shells' convention) when Ctrl-C stopped the run.
export function runExitStatus(reports: HostReport[], interrupted: boolean): number {
  if (interrupted) return 130;
  if (reports.some((r) => r.status === 'unreachable')) return 255;
  if (reports.some((r) => r.status === 'failed')) return 1;
  return 0;
}
