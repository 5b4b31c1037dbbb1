// Checks that this machine can run sandbox instances as real OpenSSH sshds, and
// decides who is who: as root, the instances' OS users are real accounts and the
// AuthorizedKeysCommand runs as `ec2-instance-connect`, as on EC2; unprivileged, only
// the current account can log in (instance-side.md §8.3). Failures name the fix: the
// test suite must fail, not skip, when sshd cannot run.
import { execFile, spawn } from 'node:child_process';
import { access, chmod, constants, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { SSHD_PATH } from './sshd.js';

const run = promisify(execFile);
const FIX = 'run: sudo bash .ci/setup.sh';
export const AKC_USER = 'ec2-instance-connect';
// The OS users of the images the sandbox emulates; .ci/setup.sh creates them.
export const DEFAULT_OS_USERS: readonly string[] = ['ec2-user', 'ubuntu', 'admin'];

export interface HostIdentity {
  privileged: boolean;
  // Who runs the AuthorizedKeysCommand, and the uid/gid that must reach its files.
  akcUser: string;
  akcUid: number;
  akcGid: number;
  // Unprivileged: the one account every instance's OS user maps to.
  loginUser?: string;
  // Departures from the EC2 set-up worth telling the user about.
  notes: string[];
}

const checked = new Map<string, Promise<HostIdentity>>();

// Memoized per set of OS users: starting a hundred instances checks once.
export function preflight(options: { osUsers?: readonly string[] } = {}): Promise<HostIdentity> {
  const users = [...(options.osUsers ?? DEFAULT_OS_USERS)].sort();
  const key = users.join(',');
  let result = checked.get(key);
  if (result === undefined) {
    result = check(users);
    checked.set(key, result);
    result.catch(() => checked.delete(key));
  }
  return result;
}

async function check(osUsers: string[]): Promise<HostIdentity> {
  const problems: string[] = [];
  const sshdRuns = await run(SSHD_PATH, ['-V']).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      problems.push(`OpenSSH server not runnable at ${SSHD_PATH} (${err.code ?? err.message})`);
      return false;
    },
  );
  const identity = await whoRunsTheCommand();
  if (identity.privileged) {
    if (!(await isDirectory('/run/sshd'))) problems.push('sshd privilege separation directory /run/sshd is missing');
    for (const user of osUsers) {
      if ((await uidOf(user)) !== undefined) continue;
      const createdBySetup = DEFAULT_OS_USERS.includes(user);
      problems.push(`OS user ${user} does not exist${createdBySetup ? '' : ` (create it: useradd --create-home ${user}; usermod -p '*' ${user})`}`);
    }
    if (identity.akcUid !== 0 && !(await runsAs(identity))) {
      problems.push(`node at ${process.execPath} cannot be run by ${identity.akcUser} (put node where every user can read it)`);
    }
  }
  if (!sshdRuns || problems.length > 0) {
    throw new Error(`sandbox instances need OpenSSH sshd: ${problems.join('; ')}. Fix: ${FIX}`);
  }
  return identity;
}

async function whoRunsTheCommand(): Promise<HostIdentity> {
  const me = userInfo();
  if (me.uid !== 0) {
    return {
      privileged: false,
      akcUser: me.username,
      akcUid: me.uid,
      akcGid: me.gid,
      loginUser: me.username,
      notes: [`not root: every instance's OS user is ${me.username}`],
    };
  }
  const uid = await uidOf(AKC_USER);
  if (uid !== undefined) {
    return { privileged: true, akcUser: AKC_USER, akcUid: uid, akcGid: (await gidOf(AKC_USER)) ?? uid, notes: [] };
  }
  return {
    privileged: true,
    akcUser: 'nobody',
    akcUid: (await uidOf('nobody')) ?? 65534,
    akcGid: (await gidOf('nobody')) ?? 65534,
    notes: [`user ${AKC_USER} is missing: the AuthorizedKeysCommand runs as nobody (${FIX})`],
  };
}

// A fresh directory for one sandbox's state. Its parents must satisfy sshd StrictModes
// (owned by root or the user, not group/world-writable: so not /tmp) for AMI-baked
// authorized_keys, and let the AuthorizedKeysCommandUser through: /run as root, the
// user's runtime directory otherwise.
export async function createStateDir(prefix = 'eic-sandbox-'): Promise<string> {
  const privileged = userInfo().uid === 0;
  const dir = await mkdtemp(join(await stateBase(privileged), prefix));
  await chmod(dir, privileged ? 0o755 : 0o700);
  return dir;
}

async function stateBase(privileged: boolean): Promise<string> {
  if (privileged && (await isWritableDir('/run'))) return '/run';
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  if (runtimeDir && (await isWritableDir(runtimeDir))) return runtimeDir;
  return tmpdir(); // works, but sshd StrictModes rejects image keys below /tmp
}

// Every directory from `path` up to / must let uid/gid through (search permission).
export async function checkTraversable(path: string, who: HostIdentity): Promise<void> {
  for (let dir = path; ; dir = dirname(dir)) {
    const info = await stat(dir);
    const bit = info.uid === who.akcUid ? 0o100 : info.gid === who.akcGid ? 0o010 : 0o001;
    if (who.akcUid !== 0 && (info.mode & bit) === 0) {
      throw new Error(
        `the AuthorizedKeysCommandUser ${who.akcUser} cannot reach ${dir} (mode ${(info.mode & 0o777).toString(8)}): ` +
          'put the sandbox state under directories it can traverse (createStateDir() does)',
      );
    }
    if (dir === dirname(dir)) return;
  }
}

// sshd StrictModes (OpenSSH misc.c safe_path): an AuthorizedKeysFile and every
// directory above it are owned by root or the user and not group- or world-writable.
export async function checkStrictModes(path: string, loginUid: number): Promise<void> {
  for (let dir = path; ; dir = dirname(dir)) {
    const info = await stat(dir);
    if ((info.uid !== 0 && info.uid !== loginUid) || (info.mode & 0o022) !== 0) {
      throw new Error(
        `sshd StrictModes would ignore the image's authorized_keys: ${dir} is not owned by root or ` +
          `uid ${loginUid}, or is group/world-writable; use createStateDir() for the sandbox state`,
      );
    }
    if (dir === dirname(dir)) return;
  }
}

export async function uidOf(user: string): Promise<number | undefined> {
  return idOf(user, '-u');
}

async function gidOf(user: string): Promise<number | undefined> {
  return idOf(user, '-g');
}

async function idOf(user: string, flag: '-u' | '-g'): Promise<number | undefined> {
  try {
    const { stdout } = await run('id', [flag, '--', user]);
    return Number(stdout.trim());
  } catch {
    return undefined;
  }
}

function runsAs(who: HostIdentity): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', ''], { uid: who.akcUid, gid: who.akcGid, stdio: 'ignore', cwd: '/' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isDirectory(), () => false);
}

async function isWritableDir(path: string): Promise<boolean> {
  return (await isDirectory(path)) && access(path, constants.W_OK).then(() => true, () => false);
}
