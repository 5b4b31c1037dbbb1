import { describe, expect, it } from 'vitest';
import type { ImageInfo } from './aws.js';
import { inferOsUser, inferOsUserFromImage, type OsUserCache } from './os-user.js';

describe('inferOsUserFromImage (AWS "default user names")', () => {
  it.each([
    [{ name: 'al2023-ami-2023.6.20241010.0-kernel-6.1-x86_64', description: 'Amazon Linux 2023 AMI 2023.6.20241010.0 x86_64 HVM kernel-6.1' }, 'ec2-user'],
    [{ name: 'amzn2-ami-kernel-5.10-hvm-2.0.20241001.0-x86_64-gp2', description: 'Amazon Linux 2 Kernel 5.10 AMI' }, 'ec2-user'],
    [{ name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241004', description: 'Canonical, Ubuntu, 24.04, amd64 noble image' }, 'ubuntu'],
    [{ name: 'debian-12-amd64-20241004-1890', description: 'Debian 12 (20241004-1890)' }, 'admin'],
    [{ name: 'RHEL-9.4.0_HVM-20240605-x86_64-82-Hourly2-GP3', platformDetails: 'Red Hat Enterprise Linux' }, 'ec2-user'],
    [{ name: 'CentOS Stream 9 x86_64 20241001', description: 'CentOS Stream 9 x86_64 20241001' }, 'centos'],
    [{ name: 'Rocky-9-EC2-Base-9.4-20240523.0.x86_64', description: 'Rocky Linux 9.4 (Blue Onyx) x86_64' }, 'rocky'],
    [{ name: 'Fedora-Cloud-Base-AmazonEC2.x86_64-40-1.14', description: 'Fedora-Cloud-Base-AmazonEC2.x86_64-40-1.14' }, 'fedora'],
    [{ name: 'suse-sles-15-sp6-v20240808-hvm-ssd-x86_64', description: 'SUSE Linux Enterprise Server 15 SP6', platformDetails: 'SUSE Linux' }, 'ec2-user'],
    [{ name: 'bitnami-wordpress-6.6.2-r0-debian-12-amd64', description: 'Bitnami WordPress 6.6.2' }, 'bitnami'],
  ])('%j → %s', (image, user) => {
    expect(inferOsUserFromImage({ imageId: 'ami-0123456789abcdef0', ...image })?.user).toBe(user);
  });

  it('has no answer for an image that names no known distribution', () => {
    expect(inferOsUserFromImage({ imageId: 'ami-0123456789abcdef0', name: 'golden-image-7', platformDetails: 'Linux/UNIX' })).toBeUndefined();
    expect(inferOsUserFromImage({ imageId: 'ami-0123456789abcdef0', name: 'Windows_Server-2022-English-Full-Base', platformDetails: 'Windows' })).toBeUndefined();
  });
});

function memoryCache(): OsUserCache & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, get: async (id) => data.get(id), set: async (id, user) => void data.set(id, user) };
}

describe('inferOsUser', () => {
  const ubuntu: ImageInfo = { imageId: 'ami-0b2f3e4d5c6b7a899', name: 'ubuntu/images/x' };

  it('asks DescribeImages once, then answers from the cache', async () => {
    const asked: string[][] = [];
    const aws = { describeImages: async (ids: string[]) => (asked.push(ids), [ubuntu]) };
    const cache = memoryCache();
    expect((await inferOsUser(aws, ubuntu.imageId, cache))?.user).toBe('ubuntu');
    expect((await inferOsUser(aws, ubuntu.imageId, cache))?.because).toMatch(/cached/);
    expect(asked).toEqual([[ubuntu.imageId]]);
    expect(cache.data.get(ubuntu.imageId)).toBe('ubuntu');
  });

  it('gives up quietly when the image is unknown or the call is refused', async () => {
    expect(await inferOsUser({ describeImages: async () => [] }, ubuntu.imageId, memoryCache())).toBeUndefined();
    const refused = { describeImages: async () => Promise.reject(new Error('UnauthorizedOperation')) };
    expect(await inferOsUser(refused, ubuntu.imageId, memoryCache())).toBeUndefined();
    expect(await inferOsUser(refused, undefined, memoryCache())).toBeUndefined();
  });
});
