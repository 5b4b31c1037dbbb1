import { describe, expect, it } from 'vitest';
import { hostOutput, runExitStatus, summarize, type HostReport } from './output.js';

function sink() {
  const chunks: string[] = [];
  return { write: (c: string | Uint8Array) => chunks.push(String(c)), text: () => chunks.join('') };
}

const base = {
  host: 'web-1',
  instanceId: 'i-0000000000000001',
  route: 'direct',
  status: 'succeeded' as const,
  exitStatus: 0,
  signal: null,
  error: null,
  timings: { startedAt: '2026-01-01T00:00:00.000Z', connectMs: 5, totalMs: 9 },
};

describe('hostOutput', () => {
  it('prefix: whole lines only, split across chunks, with the partial last line flushed at the end', () => {
    const [out, err] = [sink(), sink()];
    const host = hostOutput('prefix', 'web-1', 6, out, err);
    host.stdout(Buffer.from('hel'));
    expect(out.text()).toBe('');
    host.stdout(Buffer.from('lo\nwor'));
    host.stderr(Buffer.from('oops\n'));
    host.finish(base);
    expect(out.text()).toBe('web-1  | hello\nweb-1  | wor\n');
    expect(err.text()).toBe('web-1  | oops\n');
  });

  it('group: a header, then the output together', () => {
    const [out, err] = [sink(), sink()];
    const host = hostOutput('group', 'db-1', 4, out, err);
    host.stdout(Buffer.from('a\n'));
    host.stderr(Buffer.from('e'));
    host.stdout(Buffer.from('b'));
    host.finish({ ...base, host: 'db-1', status: 'failed', exitStatus: 3, route: 'ssm' });
    expect(out.text()).toBe('=== db-1 (i-0000000000000001) exit 3 via ssm\na\nb\n');
    expect(err.text()).toBe('e\n');
  });

  it('json: one NDJSON object with the whole output', () => {
    const [out, err] = [sink(), sink()];
    const host = hostOutput('json', 'web-1', 5, out, err);
    host.stdout(Buffer.from('42\n'));
    const report = host.finish(base);
    expect(JSON.parse(out.text())).toEqual({ ...base, stdout: '42\n', stderr: '', truncated: false });
    expect(report.stdout).toBe('42\n');
    expect(err.text()).toBe('');
  });
});

describe('summary and exit status', () => {
  const report = (host: string, status: HostReport['status'], extra: Partial<HostReport> = {}): HostReport => ({
    ...base,
    host,
    status,
    stdout: '',
    stderr: '',
    truncated: false,
    ...extra,
  });

  it('names each failed and unreachable host with its reason', () => {
    const reports = [
      report('a', 'succeeded'),
      report('b', 'failed', { exitStatus: 2, route: 'eice' }),
      report('c', 'unreachable', { exitStatus: null, route: null, error: 'no route' }),
    ];
    expect(summarize(reports, ['d'], true)).toBe(
      'eic-ssh run: 1 succeeded, 1 failed, 1 unreachable, 1 not started (of 4), interrupted\n' +
        '  failed       b: exit 2 via eice\n' +
        '  unreachable  c: no route\n' +
        '  not started  d\n',
    );
  });

  it('marks a host whose command went through a reuse master', () => {
    const reports = [report('a', 'failed', { exitStatus: 4, route: 'direct', reused: true })];
    expect(summarize(reports, [], false)).toBe('eic-ssh run: 0 succeeded, 1 failed, 0 unreachable (of 1)\n  failed       a: exit 4 via direct (reused)\n');
  });

  it.each([
    [['succeeded', 'succeeded'], false, 0],
    [['succeeded', 'failed'], false, 1],
    [['failed', 'unreachable'], false, 255],
    [['succeeded'], true, 130],
  ] as const)('%j (interrupted: %s) exits %i', (statuses, interrupted, code) => {
    expect(runExitStatus(statuses.map((s, i) => report(`h${i}`, s)), interrupted)).toBe(code);
  });
});
