// The shipped binary as a separate process, with credentials and region coming from
// the AWS SDK's default chain (shared config and credentials files, a profile chosen
// by --profile or AWS_PROFILE) rather than from variables.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI } from '../support/pty-run.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
let home: string;
let baseEnv: Record<string, string>;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  home = mkdtempSync(join(tmpdir(), 'eic-ssh-profile-'));
  writeFileSync(join(home, 'config'), `[profile sandbox]\nregion = ${sandbox.region}\n`);
  writeFileSync(
    join(home, 'credentials'),
    `[sandbox]\naws_access_key_id = ${sandbox.principal.accessKeyId}\naws_secret_access_key = ${sandbox.principal.secretAccessKey}\n`,
  );
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_DEFAULT_REGION, ...rest } = sandbox.env;
  void [AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_DEFAULT_REGION];
  baseEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // Each run must resolve credentials itself, not ride an earlier run's reuse master.
    EIC_SSH_REUSE: '0',
    ...rest,
  };
});
afterAll(async () => {
  await sandbox?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the shipped binary', () => {
  it('takes credentials and region from the profile named by --profile', async () => {
    const result = await cli(['--profile', 'sandbox', `${sandbox.userOf('web-1')}@web-1`, 'echo via-profile'], baseEnv);
    expect(result.stderr).not.toMatch(/eic-ssh:/);
    expect(result.stdout).toBe('via-profile\n');
    expect(result.code).toBe(0);
  });

  it('takes the profile from AWS_PROFILE', async () => {
    const result = await cli([`${sandbox.userOf('web-1')}@web-1`, 'exit 42'], { ...baseEnv, AWS_PROFILE: 'sandbox' });
    expect(result.code).toBe(42);
  });

  it('--region overrides the profile region', async () => {
    const result = await cli(['--profile', 'sandbox', '--region', 'eu-west-3', `${sandbox.userOf('web-1')}@web-1`, 'true'], baseEnv);
    expect(result.code).toBe(255);
    // The sandbox lives in us-east-1: signing for eu-west-3 is refused, as AWS would.
    expect(result.stderr).toMatch(/^eic-ssh: AWS rejected the credentials for \w+/m);
  });

  it('explains missing credentials in one line with a hint', async () => {
    const result = await cli(['--profile', 'nobody', 'web-1', 'true'], baseEnv);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/^eic-ssh: .+\n {2}hint: .+\n$/);
  });

  it('does not print the SDK Node-version notice', async () => {
    const result = await cli(['--profile', 'sandbox', `${sandbox.userOf('web-1')}@web-1`, 'true'], baseEnv);
    expect(result.stderr).not.toContain('NodeVersionSupportWarning');
  });
});
