// Drives the built eic-ssh binary inside a real pseudo-terminal with script(1)
// (util-linux), typing input once the remote prompt appears. Used where only a real
// terminal proves the behaviour: raw mode, TERM, window size, the ~. escape.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUILT_CLI = fileURLToPath(new URL('../../dist/cli/eic-ssh.js', import.meta.url));

export interface PtyResult {
  code: number | null;
  output: string;
}

export interface PtyScript {
  args: string[];
  env: Record<string, string | undefined>;
  size: { columns: number; rows: number };
  // Each step's text is typed once its `after` pattern shows up in the output seen
  // since the previous step (null: type it right away).
  steps: { after: RegExp | null; type: string }[];
  timeoutMs?: number;
}

export function runInPty(script: PtyScript): Promise<PtyResult> {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  const quoted = [process.execPath, BUILT_CLI, ...script.args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const command = `stty cols ${script.size.columns} rows ${script.size.rows}; exec ${quoted}`;
  // Each terminal test sees its own fresh connection (host-key prompts, escapes, routes)
  // unless it asks for connection reuse (test/e2e/reuse-pty.test.ts, key-hygiene).
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: { EIC_SSH_REUSE: '0', ...script.env } as NodeJS.ProcessEnv });
  let output = '';
  let seen = 0;
  let step = 0;
  const advance = () => {
    while (step < script.steps.length) {
      const { after, type } = script.steps[step];
      if (after !== null && !after.test(output.slice(seen))) return;
      seen = output.length;
      step++;
      child.stdin.write(type);
    }
  };
  const onData = (data: Buffer) => {
    output += data.toString('utf8');
    advance();
  };
  advance();
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pty session did not finish; output so far: ${JSON.stringify(output)}`));
    }, script.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
