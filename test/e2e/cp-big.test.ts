// eic-scp with a 200 MiB file, both ways with -p, compared byte-exact (sha256), by
// mode and mtime; and the progress meter: drawn when stderr is a terminal, silent
// with -q or when stderr is not a terminal.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { dirFor, sha256File, writeBigFile } from '../support/cp-fixtures.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';
import { testIo } from '../support/test-io.js';

const SIZE = 200 * 1024 * 1024;
let sandbox: TestSandbox;
let user: string;
let local: string;
let remote: string;
let sourceSha: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  user = sandbox.userOf('web-1');
  local = dirFor(user, 'eic-scp-big-l-');
  remote = dirFor(user, 'eic-scp-big-r-');
  writeBigFile(join(local, 'big file.bin'), SIZE);
  chmodSync(join(local, 'big file.bin'), 0o640);
  execFileSync('touch', ['-d', '@1500000000', join(local, 'big file.bin')]);
  sourceSha = await sha256File(join(local, 'big file.bin'));
  expect((await sandbox.run([`${user}@web-1`, 'true'])).code).toBe(0); // record the host key
}, 120_000);
afterAll(async () => {
  rmSync(local, { recursive: true, force: true });
  rmSync(remote, { recursive: true, force: true });
  await sandbox?.close();
});

describe('eic-scp with a 200 MiB file', () => {
  it('up and back down with -p: byte-exact, same mode and mtime', async () => {
    const up = await sandbox.run(['cp', '-p', join(local, 'big file.bin'), `${user}@web-1:${remote}/`]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toBe(''); // stderr is not a terminal: no progress meter
    const uploaded = join(remote, 'big file.bin');
    expect(statSync(uploaded).size).toBe(SIZE);
    expect(await sha256File(uploaded)).toBe(sourceSha);
    expect(statSync(uploaded).mode & 0o7777).toBe(0o640);
    expect(Math.floor(statSync(uploaded).mtimeMs / 1000)).toBe(1_500_000_000);

    const down = await sandbox.run(['cp', '-p', `${user}@web-1:${uploaded}`, join(local, 'back.bin')]);
    expect(down.code, down.stderr).toBe(0);
    expect(await sha256File(join(local, 'back.bin'))).toBe(sourceSha);
    expect(statSync(join(local, 'back.bin')).mode & 0o7777).toBe(0o640);
    expect(Math.floor(statSync(join(local, 'back.bin')).mtimeMs / 1000)).toBe(1_500_000_000);
    rmSync(join(local, 'back.bin'));
  }, 180_000);

  it('draws a progress meter on a terminal, and none with -q', async () => {
    const run = async (argv: string[]) => {
      const io = testIo({ env: sandbox.env, stderrIsTTY: true });
      Object.assign(io.stderr, { isTTY: true, columns: 120 });
      const code = await main(argv, io, sandbox.deps());
      return { code, stderr: io.stderrText() };
    };
    const shown = await run(['cp', join(local, 'big file.bin'), `${user}@web-1:${remote}/meter.bin`]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toMatch(/big file\.bin \|[█░]+\| 100% 200\.0 MiB [\d.]+ [KMG]iB\/s/);
    const quiet = await run(['cp', '-q', join(local, 'big file.bin'), `${user}@web-1:${remote}/quiet.bin`]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(await sha256File(join(remote, 'quiet.bin'))).toBe(sourceSha);
  }, 180_000);
});
