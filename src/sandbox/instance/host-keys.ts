// An emulated instance's SSH host keys and the console text cloud-init prints about
// them at first boot (instance-side.md §7.2), which the sandbox's GetConsoleOutput
// serves. The key files live in the instance's state directory, mode 0600, and sshd
// reads them on every connection (inetd mode), so replacing them takes effect at once.
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { HostKey, SandboxInstance } from '../world.js';

export type HostKeyKind = 'ecdsa' | 'ed25519' | 'rsa';

// cloud-init lists /etc/ssh/ssh_host_*_key.pub in glob order: ecdsa, ed25519, rsa.
export const DEFAULT_HOST_KEY_KINDS: readonly HostKeyKind[] = ['ecdsa', 'ed25519', 'rsa'];

// 2048-bit RSA rather than ssh-keygen's 3072: generating 3072-bit keys costs ~0.6 s of
// CPU per instance, and a sandbox may start hundreds of them. No check depends on it.
const RSA_BITS = 2048;

const KINDS: Record<HostKeyKind, { type: string; bits: number; label: string }> = {
  ecdsa: { type: 'ecdsa-sha2-nistp256', bits: 256, label: 'ECDSA' },
  ed25519: { type: 'ssh-ed25519', bits: 256, label: 'ED25519' },
  rsa: { type: 'ssh-rsa', bits: RSA_BITS, label: 'RSA' },
};

export interface HostKeyOptions {
  kinds?: readonly HostKeyKind[];
  // Rewrite the console output too (an instance re-keyed and rebooted). Default false:
  // the console keeps showing the keys of first boot, like an impostor on the port.
  updateConsoleOutput?: boolean;
}

// Generates fresh host keys into `stateDir` and records them on the instance. Called
// at start, and again by tests that swap the keys the instance's sshd presents.
export async function provisionHostKeys(
  instance: SandboxInstance,
  stateDir: string,
  options: HostKeyOptions = {},
): Promise<HostKey[]> {
  const kinds = options.kinds ?? kindsOf(instance.hostKeys) ?? DEFAULT_HOST_KEY_KINDS;
  const comment = `root@${hostnameOf(instance)}`;
  const hostKeys = await Promise.all(kinds.map((kind) => writeHostKey(stateDir, kind, comment)));
  // cloud-init's keys-to-console runs once per instance: later re-keys leave the
  // console as it was unless asked.
  const firstBoot = instance.consoleOutput === undefined;
  instance.hostKeys = hostKeys;
  if (firstBoot || options.updateConsoleOutput) instance.consoleOutput = renderConsoleOutput(instance, hostKeys);
  return hostKeys;
}

// `SHA256:` + unpadded base64 of SHA-256 over the key blob, as `ssh-keygen -l` prints it.
export function sshFingerprint(publicLine: string): string {
  const blob = Buffer.from(publicLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

// The private hostname cloud-init uses as the keys' comment: ip-10-0-1-23.
export function hostnameOf(instance: SandboxInstance): string {
  return instance.privateDnsName.split('.')[0] || `ip-${instance.privateIp.replaceAll('.', '-')}`;
}

// Console text: kernel and cloud-init boot noise around the two blocks of §7.2 — the
// fingerprints through syslog (each line prefixed `ec2: `, framed by `#` lines) and the
// public keys unprefixed. One kernel line lands inside the keys block, as happens on a
// shared serial console, so clients must filter lines as §7.2 says.
export function renderConsoleOutput(instance: SandboxInstance, hostKeys: readonly HostKey[]): string {
  const boot = instance.launchTime;
  const stamp = (seconds: number) => `[${seconds.toFixed(6).padStart(12)}]`;
  const when = new Date(boot.getTime() + 14_000).toUTCString().replace('GMT', '+0000');
  const frame = '#'.repeat(61);
  const lines = [
    `${stamp(0)} Linux version 6.1.0-13-cloud-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)`,
    `${stamp(0)} Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-cloud-amd64 root=PARTUUID=4d8b1b35-4ce1-4a2d-9d0b-2a2b7a5a1f0e ro console=tty0 console=ttyS0,115200`,
    `${stamp(0.004121)} DMI: Amazon EC2 ${instance.instanceType}/, BIOS 1.0 10/16/2017`,
    `${stamp(1.218734)} EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode. Quota mode: none.`,
    `${stamp(6.532018)} cloud-init[412]: Cloud-init v. 22.4.2 running 'init-local' at ${when}. Up 6.50 seconds.`,
    `${stamp(9.870455)} cloud-init[498]: Cloud-init v. 22.4.2 running 'init' at ${when}. Up 9.84 seconds.`,
    `${stamp(9.912006)} cloud-init[498]: ci-info: ++++++++++++++++++++++++Net device info++++++++++++++++++++++++`,
    `${stamp(9.912370)} cloud-init[498]: ci-info: | ens5 | True | ${instance.privateIp} | 255.255.255.0 | global |`,
    `${stamp(13.402911)} cloud-init[602]: Cloud-init v. 22.4.2 running 'modules:config' at ${when}. Up 13.38 seconds.`,
    `${stamp(14.019532)} cloud-init[640]: Cloud-init v. 22.4.2 running 'modules:final' at ${when}. Up 14.00 seconds.`,
    'ec2: ',
    `ec2: ${frame}`,
    'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
    ...hostKeys.map((key) => `ec2: ${fingerprintLine(key)}`),
    'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
    `ec2: ${frame}`,
    '-----BEGIN SSH HOST KEY KEYS-----',
    ...hostKeys.slice(0, 1).map((key) => key.publicLine),
    `${stamp(14.087343)} random: crng init done`,
    ...hostKeys.slice(1).map((key) => key.publicLine),
    '-----END SSH HOST KEY KEYS-----',
    `${stamp(14.139240)} cloud-init[640]: Cloud-init v. 22.4.2 finished at ${when}. Datasource DataSourceEc2Local.  Up 14.13 seconds`,
    '',
  ];
  return lines.join('\n');
}

function fingerprintLine(key: HostKey): string {
  const kind = Object.values(KINDS).find((k) => k.type === key.type);
  const [, , comment = 'no comment'] = key.publicLine.split(' ');
  return `${kind?.bits ?? 0} ${sshFingerprint(key.publicLine)} ${comment} (${kind?.label ?? key.type})`;
}

async function writeHostKey(stateDir: string, kind: HostKeyKind, comment: string): Promise<HostKey> {
  const keys = await generate(kind, comment);
  const privatePath = join(stateDir, `ssh_host_${kind}_key`);
  // Write beside, then rename: an sshd starting for a concurrent connection reads
  // either the old key or the new one, never half a file.
  await writeFile(`${privatePath}.new`, keys.private, { mode: 0o600 });
  await writeFile(`${privatePath}.pub.new`, `${keys.public}\n`, { mode: 0o644 });
  await rename(`${privatePath}.new`, privatePath);
  await rename(`${privatePath}.pub.new`, `${privatePath}.pub`);
  return { type: KINDS[kind].type, publicLine: keys.public.trim(), privatePath };
}

// ssh2's generateKeyPair writes an Ed25519 public key that starts with a zero byte as
// 31 bytes (the leading zero dropped, as for an mpint), so about one key in 256 is a
// file sshd cannot load ("error in libcrypto"). RFC 8709 §4: the key is exactly 32
// octets. Such a key is drawn again (bounded: the chance of 8 bad draws is 2^-64).
async function generate(kind: HostKeyKind, comment: string): Promise<{ private: string; public: string }> {
  for (let attempt = 1; ; attempt++) {
    const pair = await generateOnce(kind, comment);
    if (kind !== 'ed25519' || ed25519BlobIsWellFormed(pair.public) || attempt >= 8) return pair;
  }
}

// The same guard for code that needs an Ed25519 pair at once (the serial console's
// host key, test clients): ssh2's pair, drawn again while malformed (bounded as above).
export function wellFormedEd25519Pair(comment?: string): { private: string; public: string } {
  for (let attempt = 1; ; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', comment === undefined ? undefined : { comment });
    if (ed25519BlobIsWellFormed(pair.public) || attempt >= 8) return pair;
  }
}

// string "ssh-ed25519" (4 + 11) then string key (4 + 32): 51 bytes.
export function ed25519BlobIsWellFormed(publicLine: string): boolean {
  const blob = Buffer.from(publicLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return blob.length === 51 && blob.readUInt32BE(15) === 32;
}

function generateOnce(kind: HostKeyKind, comment: string): Promise<{ private: string; public: string }> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, pair: { private: string; public: string }) => (err ? reject(err) : resolve(pair));
    // ssh2 is CommonJS: its named exports are not visible to node's ESM loader.
    if (kind === 'ed25519') ssh2.utils.generateKeyPair('ed25519', { comment }, done);
    else ssh2.utils.generateKeyPair(kind, { bits: KINDS[kind].bits, comment }, done);
  });
}

function kindsOf(hostKeys: readonly HostKey[]): HostKeyKind[] | undefined {
  if (hostKeys.length === 0) return undefined;
  return hostKeys.map((key) => (Object.keys(KINDS) as HostKeyKind[]).find((k) => KINDS[k].type === key.type) ?? 'ed25519');
}
