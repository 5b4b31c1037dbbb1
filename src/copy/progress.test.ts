import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { humanBytes, terminalProgress } from './progress.js';

function fakeTerminal(): { stream: PassThrough; text(): string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('terminalProgress', () => {
  it('draws one line per file with name, percent, bytes, rate and ETA', () => {
    const t = fakeTerminal();
    let now = 0;
    const progress = terminalProgress(t.stream, () => now);
    progress.file('data.bin', 4 * 1024 * 1024);
    now = 1000;
    progress.bytes(1024 * 1024);
    now = 2000;
    progress.bytes(1024 * 1024);
    progress.done();
    progress.file('empty', 0);
    progress.done();
    const text = t.text();
    expect(text).toMatch(/data\.bin \|[█░]+\| 100% 2\.0 MiB 1\.0 MiB\/s/);
    expect(text).toMatch(/empty \|█+\| 100% 0 B/);
    expect(text.split('\n').length).toBeGreaterThanOrEqual(2);
  });
});

describe('humanBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [200 * 1024 * 1024, '200.0 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
  ])('%i → %s', (n, text) => {
    expect(humanBytes(n)).toBe(text);
  });
});
