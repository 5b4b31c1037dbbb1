// The sandbox's EC2 Instance Connect API (JSON 1.1, eice.md §3): SendSSHPublicKey
// validates its members the way the service model constrains them, refuses keys the
// service refuses, answers the modelled exceptions with their HTTP statuses (§3.3) and,
// on success, publishes the key through world.pushKey for the instance runtime.
//
// Not public, hence choices (documented at each step): the order of the checks, the
// exception messages, and the answer to an AvailabilityZone that is not the instance's.
import type { World } from './world.js';
import type { ApiCall, JsonOutcome, JsonService } from './http-api.js';
import { sendSerialConsoleSshPublicKey } from './serial-console.js';

type Input = Record<string, unknown>;

const err = (type: string, status: number, message: string): JsonOutcome => ({ error: { type, status, message } });

interface MemberRule {
  name: string;
  required: boolean;
  min: number;
  max: number;
  pattern?: string;
}

// ec2-instance-connect 2018-04-02 service model (eice.md §3.1).
const MEMBERS: MemberRule[] = [
  { name: 'InstanceId', required: true, min: 10, max: 32, pattern: '^i-[a-f0-9]+$' },
  {
    name: 'InstanceOSUser',
    required: true,
    min: 1,
    max: 32,
    pattern: '(^[A-Za-z_][A-Za-z0-9\\@\\._-]{0,30}[A-Za-z0-9\\$_-]?$)|(^(?=.{2,32}$)[0-9]{1,32}[A-Za-z\\@\\._-][A-Za-z0-9\\@\\._-]*[A-Za-z0-9\\$_-]?$)',
  },
  { name: 'SSHPublicKey', required: true, min: 80, max: 4096 },
  { name: 'AvailabilityZone', required: false, min: 6, max: 32, pattern: '^(\\w+-){2,3}\\d+\\w+$' },
];

// The service's own validation wording, e.g. "1 validation error detected: Value
// 'mi-048a…' at 'instanceId' failed to satisfy constraint: Member must satisfy regular
// expression pattern: ^i-[a-f0-9]+$" (mludvig/aws-ssm-tools#44). Members are named with a
// lower-case first letter.
function validate(input: Input): string[] {
  const problems: string[] = [];
  for (const rule of MEMBERS) {
    const at = `at '${rule.name.charAt(0).toLowerCase()}${rule.name.slice(1)}'`;
    const value = input[rule.name];
    if (value === undefined || value === null) {
      if (rule.required) problems.push(`Value null ${at} failed to satisfy constraint: Member must not be null`);
      continue;
    }
    const shown = `Value '${String(value)}' ${at} failed to satisfy constraint: Member must`;
    const text = String(value);
    if (text.length < rule.min) problems.push(`${shown} have length greater than or equal to ${rule.min}`);
    if (text.length > rule.max) problems.push(`${shown} have length less than or equal to ${rule.max}`);
    if (rule.pattern && !new RegExp(rule.pattern).test(text)) problems.push(`${shown} satisfy regular expression pattern: ${rule.pattern}`);
  }
  return problems;
}

// Reads one SSH wire-format string (uint32 length + bytes) at `offset`.
function readString(blob: Buffer, offset: number): [Buffer, number] | undefined {
  if (offset + 4 > blob.length) return undefined;
  const length = blob.readUInt32BE(offset);
  const end = offset + 4 + length;
  return end > blob.length ? undefined : [blob.subarray(offset + 4, end), end];
}

function rsaBits(modulus: Buffer): number {
  let i = 0;
  while (i < modulus.length && modulus[i] === 0) i++; // mpint sign padding
  return i === modulus.length ? 0 : (modulus.length - i - 1) * 8 + (32 - Math.clz32(modulus[i]!));
}

const ILLEGAL = 'Invalid input parameter received for Illegal argument exception:';

// Checks an OpenSSH public-key line "<type> <base64> [comment]". Returns a problem, if any.
// The service accepts RSA (2048/4096) and Ed25519 only; ECDSA and security-key types are
// refused (eice.md §3.1, aws/aws-sdk#212). RFC 4716 "SSH2" files are not accepted here.
export function checkPublicKey(line: string, acceptedRsaBits: ReadonlySet<number>): string | undefined {
  const [type, data] = line.split(/\s+/, 3);
  if (type !== 'ssh-rsa' && type !== 'ssh-ed25519') return `${ILLEGAL} Unsupported SSH public key type: ${type}`;
  const label = type === 'ssh-rsa' ? 'RSA' : 'ED25519';
  const invalid = `${ILLEGAL} ${label} - SSH Public key is invalid`;
  if (!data || data.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return invalid;
  const blob = Buffer.from(data, 'base64');
  const name = readString(blob, 0);
  if (!name || name[0].toString('latin1') !== type) return invalid;
  if (type === 'ssh-ed25519') {
    const key = readString(blob, name[1]);
    return key && key[0].length === 32 && key[1] === blob.length ? undefined : invalid;
  }
  const exponent = readString(blob, name[1]);
  const modulus = exponent && readString(blob, exponent[1]);
  if (!modulus || modulus[1] !== blob.length || exponent[0].length === 0) return invalid;
  const bits = rsaBits(modulus[0]);
  return acceptedRsaBits.has(bits) ? undefined : `${ILLEGAL} RSA - SSH Public key is invalid: unsupported key length ${bits}`;
}

// Admitted pushes per world in the last second, for knobs.pushesPerSecond.
const recentPushes = new WeakMap<World, number[]>();

function rateLimited(world: World): boolean {
  const limit = world.knobs.pushesPerSecond;
  if (limit === undefined) return false;
  const now = world.clock.now();
  const window = (recentPushes.get(world) ?? []).filter((t) => t > now - 1000);
  recentPushes.set(world, window);
  if (window.length >= limit) return true;
  window.push(now);
  return false;
}

// Knobs that fail the next N calls count themselves down.
function takeOne(world: World, knob: 'throttleNextPushes' | 'unavailableNextPushes' | 'serviceErrorNextPushes'): boolean {
  if (world.knobs[knob] <= 0) return false;
  world.knobs[knob]--;
  return true;
}

function sendSshPublicKey(input: Input, call: ApiCall): JsonOutcome {
  const { world, principal } = call;
  // 1. Throttling happens at the front door, before the request is looked at.
  if (takeOne(world, 'throttleNextPushes') || rateLimited(world)) return err('ThrottlingException', 429, 'Rate exceeded');
  // 2. Model validation (a JSON type error was already answered as SerializationException).
  const problems = validate(input);
  if (problems.length > 0) {
    const n = problems.length;
    return err('InvalidArgsException', 400, `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
  }
  const instanceId = input.InstanceId as string;
  const osUser = input.InstanceOSUser as string;
  // A key read from a .pub file ends with a newline; the service accepts that.
  const publicKey = (input.SSHPublicKey as string).trim();
  const keyProblem = checkPublicKey(publicKey, world.knobs.acceptedRsaKeyBits);
  if (keyProblem) return err('InvalidArgsException', 400, keyProblem);
  if (takeOne(world, 'serviceErrorNextPushes')) return err('ServiceException', 500, 'The service encountered an internal error. Try again later.');
  // 3. IAM (resource instance/<id>, condition ec2:osuser) is evaluated before the lookup.
  // (world.network.deniedPermissions: the doctor's permission knob, network.ts.)
  if (world.knobs.deniedInstances.has(instanceId) || world.knobs.deniedOsUsers.has(osUser) || world.network.deniedPermissions.has('ec2-instance-connect:SendSSHPublicKey')) {
    const resource = `arn:aws:ec2:${world.region}:${world.accountId}:instance/${instanceId}`;
    return err('AuthException', 403, `User: ${principal.arn} is not authorized to perform: ec2-instance-connect:SendSSHPublicKey on resource: ${resource}`);
  }
  // 4. The instance itself. Choice: a wrong AvailabilityZone reads as "not found there",
  // since the zone used to be the scope of the lookup (it was a required member).
  const instance = world.instances.get(instanceId);
  const zone = input.AvailabilityZone as string | undefined;
  if (!instance || (zone !== undefined && zone !== instance.az)) {
    return err('EC2InstanceNotFoundException', 404, `Instance ${instanceId} not found${zone === undefined ? '' : ` in ${zone}`}`);
  }
  if (instance.state !== 'running') {
    return err('EC2InstanceStateInvalidException', 400, `Instance ${instanceId} is not in a valid state for this operation: ${instance.state}`);
  }
  if (takeOne(world, 'unavailableNextPushes')) {
    return err('EC2InstanceUnavailableException', 503, `Instance ${instanceId} is currently unavailable. Wait a few minutes and try again.`);
  }
  world.pushKey({ instanceId, osUser, publicKey, callerArn: principal.arn, requestId: call.requestId });
  return { output: { RequestId: call.requestId, Success: true } };
}

// Members are strings; anything else is a serialization error, as in every JSON service.
function checkTypes(input: Input): string | undefined {
  const bad = MEMBERS.find((m) => input[m.name] !== undefined && input[m.name] !== null && typeof input[m.name] !== 'string');
  return bad ? `Value for ${bad.name} must be a string` : undefined;
}

export const eicService: JsonService = {
  targetPrefix: 'AWSEC2InstanceConnectService',
  signingName: 'ec2-instance-connect',
  operations: {
    SendSSHPublicKey: (input, call) => {
      const typeProblem = checkTypes(input);
      return typeProblem ? err('SerializationException', 400, typeProblem) : sendSshPublicKey(input, call);
    },
    // The serial console's push (eice.md §3.3), in serial-console.ts.
    SendSerialConsoleSSHPublicKey: (input, call) => sendSerialConsoleSshPublicKey(input, call, checkPublicKey),
  },
};
