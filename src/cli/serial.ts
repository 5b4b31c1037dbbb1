// `eic-ssh serial TARGET`: the EC2 serial console. Pushes an ephemeral key with
// SendSerialConsoleSSHPublicKey (SerialPort 0, eice.md §3.3) and connects to the
// region's serial console endpoint, serial-console.ec2-instance-connect.<region>.aws
// port 22, as `<instance-id>.port0`, accepting only a host key whose fingerprint is in
// the published list. We carry no copy of AWS's published per-region fingerprints, so
// the list comes from EIC_SSH_SERIAL_HOST_KEYS (comma-separated SHA256:… values, as
// AWS's documentation prints them); without it eic-ssh refuses rather than trust blindly.
// EIC_SSH_SERIAL_ENDPOINT=host:port overrides the endpoint (the sandbox sets both).
import { Command } from 'commander';
import { AwsCallError } from '../aws/aws-errors.js';
import { resolveTarget } from '../aws/resolve-target.js';
import type { Deps } from '../deps.js';
import { EicError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { connectSsh } from '../ssh/connect.js';
import { generateEphemeralKey } from '../ssh/key.js';
import { fingerprintOfPublicKey } from '../ssh/openssh-key-format.js';
import { runSession } from '../ssh/session.js';
import { parseWithCommander } from './commander-parse.js';

export function serialEndpoint(region: string, env: Record<string, string | undefined>): { host: string; port: number } {
  const override = env.EIC_SSH_SERIAL_ENDPOINT;
  if (!override) return { host: `serial-console.ec2-instance-connect.${region}.aws`, port: 22 };
  const match = /^([^:\s]+):(\d{1,5})$/.exec(override);
  if (!match) throw new UsageError(`EIC_SSH_SERIAL_ENDPOINT='${override}' is not host:port`, 'for example: EIC_SSH_SERIAL_ENDPOINT=127.0.0.1:2222');
  return { host: match[1], port: Number(match[2]) };
}

// The serial-console exception names (eice.md §3.3) → message and hint.
const SERIAL_ERRORS: Record<string, [string, string]> = {
  SerialConsoleAccessDisabledException: [
    'EC2 Serial Console access is disabled for this account and region',
    'enable it: aws ec2 enable-serial-console-access (needs ec2:EnableSerialConsoleAccess)',
  ],
  SerialConsoleSessionLimitExceededException: [
    'the instance already has a serial console session (one at a time)',
    'close the other session, or wait for it to time out, and try again',
  ],
  SerialConsoleSessionUnavailableException: ['the serial console session could not be started', 'try again in a minute'],
  SerialConsoleSessionUnsupportedException: [
    'the serial console is not supported for this instance',
    'the serial console needs a Nitro-based instance (or bare metal) in a supported region',
  ],
  EC2InstanceTypeInvalidException: ['the instance type does not support the serial console', 'use a Nitro-based instance type'],
};

export async function serialCommand(argv: string[], io: Io, deps: Deps): Promise<number> {
  const program = new Command('eic-ssh serial')
    .description('Connect to the EC2 serial console of an instance (port 0)')
    .usage('[--region <region>] [--profile <name>] <target>')
    .argument('<target>', 'instance id, Name, address, ... as for eic-ssh')
    .option('--region <region>', 'AWS region')
    .option('--profile <name>', 'AWS profile')
    .option('-q', 'quiet: no notices');
  const o = parseWithCommander<{ region?: string; profile?: string; q?: boolean }>(program, argv, io, 'serial');
  if (o === 'help-shown') return 0;
  const target = program.args[0];
  const aws = await deps.createAws({ region: o.region, profile: o.profile, env: io.env });
  const endpoint = serialEndpoint(aws.region, io.env);
  const published = (io.env.EIC_SSH_SERIAL_HOST_KEYS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (published.length === 0) {
    throw new EicError('HOST_KEY_UNKNOWN', `no published host key fingerprints known for the serial console endpoint ${endpoint.host}`, {
      hint: "set EIC_SSH_SERIAL_HOST_KEYS to the SHA256 fingerprints AWS publishes for the region's serial console endpoint",
    });
  }
  const instance = await resolveTarget(aws, target);
  if (instance.state !== 'running') throw new EicError('INSTANCE_STATE', `${instance.instanceId} is ${instance.state}, not running`);
  const key = await generateEphemeralKey('ed25519');
  try {
    await aws.sendSerialConsoleSshPublicKey({ instanceId: instance.instanceId, publicKey: key.publicLine, serialPort: 0 });
  } catch (error) {
    const known = error instanceof AwsCallError ? SERIAL_ERRORS[error.awsCode] : undefined;
    if (known) throw new EicError('PUSH_SERVICE', `${instance.instanceId}: ${known[0]}`, { hint: known[1], cause: error });
    throw error;
  }
  const sock = await deps.connectTcp(endpoint.host, endpoint.port, 20_000);
  let client;
  try {
    client = await connectSsh({
      sock,
      username: `${instance.instanceId}.port0`,
      privateKey: key.privateKey,
      hostKeyAlias: endpoint.host,
      verifyHostKey: (blob) =>
        published.includes(fingerprintOfPublicKey(blob))
          ? true
          : { refuse: 'unknown', message: `the serial console endpoint ${endpoint.host} presented host key ${fingerprintOfPublicKey(blob)}, which is not a published one` },
    });
  } catch (error) {
    if (error instanceof EicError && error.code === 'HOST_KEY_UNKNOWN') {
      throw new EicError('HOST_KEY_UNKNOWN', error.message, { hint: 'check EIC_SSH_SERIAL_HOST_KEYS against the fingerprints AWS publishes for the region' });
    }
    throw error;
  }
  if (!o.q) io.stderr.write(`eic-ssh: serial console of ${instance.instanceId} (port 0); ~. disconnects\n`);
  try {
    return await runSession(client, { pty: io.stdinIsTTY, io, escapeChar: io.stdinIsTTY ? '~' : null, host: instance.instanceId, quiet: o.q });
  } finally {
    client.end();
  }
}
