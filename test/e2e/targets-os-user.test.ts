// Without user@ or -l, eic-ssh infers the OS user from the instance's image
// (DescribeImages; os-user.ts), caches it by image id, shows it with -v; -l and user@
// always win. `id -un` on the instance shows the user the login really used.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/aws.js';
import { IMAGES } from '../../src/sandbox/fleet.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox-cli.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({
    hostKeyKinds: ['ed25519'],
    fleet: [
      { name: 'al-1', image: 'amazon-linux' },
      { name: 'ubuntu-1', image: 'ubuntu' },
      { name: 'debian-1', image: 'debian', public: false },
    ],
  });
});
afterAll(async () => sandbox?.close());

const pushes = () => sandbox.world.calls.filter((c) => c.operation === 'SendSSHPublicKey');

describe('OS user inference', () => {
  it.each([
    ['al-1', 'ec2-user', /Amazon Linux \(al2023-ami-/],
    ['ubuntu-1', 'ubuntu', /Ubuntu \(ubuntu\/images\/hvm-ssd-gp3\/ubuntu-noble/],
    ['debian-1', 'admin', /Debian \(debian-12-amd64/],
  ])('%s: logs in as %s, inferred from its image, shown with -v', async (name, user, because) => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['-v', name, 'id -un']);
    expect(result.code).toBe(0);
    expect(result.stdoutText).toBe(`${user}\n`);
    expect(result.stderr).toMatch(new RegExp(`eic-ssh: user +\\d+ ms  ${user}, inferred from ${because.source}`));
    expect(sandbox.world.operations()).toContain('DescribeImages');
    expect(pushes().at(-1)?.params.InstanceOSUser).toBe(user);
  });

  it('caches the answer by image id: the next connection asks no DescribeImages', async () => {
    const cacheFile = join(sandbox.home, '.eic-ssh', 'os-users.json');
    expect(existsSync(cacheFile)).toBe(true);
    expect(JSON.parse(readFileSync(cacheFile, 'utf8'))).toMatchObject({ [IMAGES.ubuntu.imageId]: 'ubuntu' });
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(['-v', 'ubuntu-1', 'id -un']);
    expect(result.stdoutText).toBe('ubuntu\n');
    expect(result.stderr).toMatch(/user +\d+ ms {2}ubuntu, inferred from image ami-\w+ \(cached\)/);
    expect(sandbox.world.operations()).not.toContain('DescribeImages');
  });

  it.each([
    [['-l', 'ec2-user', 'ubuntu-1', 'id -un']],
    [['ec2-user@ubuntu-1', 'id -un']],
  ])('%j: the given user wins, and no image is looked up', async (argv) => {
    sandbox.world.calls.length = 0;
    const result = await sandbox.run(argv);
    expect(pushes().at(-1)?.params.InstanceOSUser).toBe('ec2-user');
    expect(sandbox.world.operations()).not.toContain('DescribeImages');
    expect(result.stdoutText).toBe('ec2-user\n');
    expect(result.code).toBe(0);
  });

  it('eic-ssh run infers each host its own user', async () => {
    const result = await sandbox.run(['run', '*', '--', 'id -un']);
    expect(result.code).toBe(0);
    expect(result.stdoutText.split('\n').filter(Boolean).sort()).toEqual(['al-1     | ec2-user', 'debian-1 | admin', 'ubuntu-1 | ubuntu']);
  });
});

describe('the sandbox DescribeImages, through the real SDK', () => {
  it('answers the fleet images with name, description, owner and platform', async () => {
    const aws = await createAws({ env: sandbox.env });
    const images = await aws.describeImages([IMAGES.debian.imageId, IMAGES.ubuntu.imageId]);
    expect(images.sort((a, b) => a.imageId.localeCompare(b.imageId))).toEqual(
      [
        { imageId: IMAGES.debian.imageId, name: 'debian-12-amd64-20241004-1890', description: 'Debian 12 (20241004-1890)', platformDetails: 'Linux/UNIX', ownerId: '136693071363' },
        {
          imageId: IMAGES.ubuntu.imageId,
          name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241004',
          description: 'Canonical, Ubuntu, 24.04, amd64 noble image',
          platformDetails: 'Linux/UNIX',
          ownerId: '099720109477',
        },
      ].sort((a, b) => a.imageId.localeCompare(b.imageId)),
    );
  });

  it('an unknown image id is InvalidAMIID.NotFound (eic-ssh treats it as unknown)', async () => {
    sandbox.world.calls.length = 0;
    const aws = await createAws({ env: sandbox.env });
    expect(await aws.describeImages(['ami-0123456789abcdef0'])).toEqual([]);
    expect(sandbox.world.calls.find((c) => c.operation === 'DescribeImages')?.errorCode).toBe('InvalidAMIID.NotFound');
  });
});
