// `eic-ssh serial TARGET`: the EC2 serial console. Pushes an ephemeral key with
// SendSerialConsoleSSHPublicKey (SerialPort 0, eice.md §3.3) and connects to the
// Region's serial console endpoint on port 22 as `<instance-id>.port0`, accepting only a
// host key whose SHA256 fingerprint AWS publishes for that Region: the endpoint names and
// fingerprints are AWS's table ("EC2 Serial Console endpoints and fingerprints", EC2 User
// Guide), carried in serial-host-keys.ts. EIC_SSH_SERIAL_HOST_KEYS (comma-separated
// SHA256:… values, as AWS's documentation prints them) replaces the published list, e.g.
// after a key rotation; for a Region the table does not know, eic-ssh refuses unless it
// is set, rather than trust blindly. EIC_SSH_SERIAL_ENDPOINT=host:port overrides the
// endpoint (the sandbox sets both).
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
import { publishedSerialEndpointHost, publishedSerialFingerprints } from './serial-host-keys.js';

export function serialEndpoint(region: string, env: Record<string, string | undefined>): { host: string; port: number } {
  const override = env.EIC_SSH_SERIAL_ENDPOINT;
  // A Region missing from the published table gets the original naming pattern; the
  // host key check still refuses it unless EIC_SSH_SERIAL_HOST_KEYS is set.
  if (!override) return { host: publishedSerialEndpointHost(region) ?? `serial-console.ec2-instance-connect.${region}.aws`, port: 22 };
  const match = /^([^:\s]+):(\d{1,5})$/.exec(override);
  if (!match) throw new UsageError(`EIC_SSH_SERIAL_ENDPOINT='${override}' is not host:port`, 'for example: EIC_SSH_SERIAL_ENDPOINT=127.0.0.1:2222');
  return { host: match[1], port: Number(match[2]) };
}

// The fingerprints the endpoint's host key must match: EIC_SSH_SERIAL_HOST_KEYS when set
// (non-empty), otherwise AWS's published ones for the Region; undefined when neither.
// SHA256 fingerprints are 43 unpadded base64 characters (padding is tolerated, dropped).
export function serialHostKeys(
  region: string,
  env: Record<string, string | undefined>,
): { fingerprints: string[]; source: 'env' | 'published' } | undefined {
  const listed = (env.EIC_SSH_SERIAL_HOST_KEYS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (listed.length > 0) {
    const fingerprints = listed.map((entry) => {
      const unpadded = entry.replace(/=+$/, '');
      if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(unpadded)) {
        throw new UsageError(`EIC_SSH_SERIAL_HOST_KEYS entry '${entry}' is not a SHA256 fingerprint`, 'give SHA256:… values as AWS prints them, comma-separated');
      }
      return unpadded;
    });
    return { fingerprints, source: 'env' };
  }
  const published = publishedSerialFingerprints(region);
  return published ? { fingerprints: published, source: 'published' } : undefined;
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
  const hostKeys = serialHostKeys(aws.region, io.env);
  if (!hostKeys) {
    throw new EicError('HOST_KEY_UNKNOWN', `no published host key fingerprints known for the serial console endpoint ${endpoint.host} (region ${aws.region})`, {
      hint: "set EIC_SSH_SERIAL_HOST_KEYS to the SHA256 fingerprints AWS publishes for the region's serial console endpoint (EC2 User Guide: EC2 Serial Console endpoints and fingerprints)",
    });
  }
  const published = hostKeys.fingerprints;
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
      const hint =
        hostKeys.source === 'env'
          ? 'check EIC_SSH_SERIAL_HOST_KEYS against the fingerprints AWS publishes for the region'
          : `AWS publishes ${published.join(', ')} for ${aws.region}: the connection may be intercepted; if AWS has rotated the key, set EIC_SSH_SERIAL_HOST_KEYS to the new published fingerprint`;
      throw new EicError('HOST_KEY_UNKNOWN', error.message, { hint });
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
