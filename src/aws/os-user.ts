// Infers the OS user to log in as from the instance's image when neither user@ nor -l
// gave one. The names are the AWS EC2 User Guide's "default user names" (Connect to
// your Linux instance using SSH → "Get information about your instance" → default
// user name by AMI): Amazon Linux ec2-user; CentOS centos (or ec2-user); Debian admin;
// Fedora fedora (or ec2-user); RHEL ec2-user (or root); SUSE ec2-user (or root);
// Ubuntu ubuntu; Oracle ec2-user; Bitnami bitnami; Rocky Linux rocky; FreeBSD ec2-user.
// Answers are cached by image id in the state dir (os-users.json): an image's user
// never changes, and DescribeImages then costs nothing on the next connection.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Aws, ImageInfo } from './aws.js';

export interface InferredUser {
  user: string;
  // What it was inferred from, for -v: "Ubuntu (ubuntu/images/...)".
  because: string;
}

// Most specific first: Bitnami images are built on Debian and name it; Rocky and
// CentOS before RHEL, whose name other RHEL rebuilds mention.
const RULES: Array<{ distro: string; user: string; pattern: RegExp }> = [
  { distro: 'Bitnami', user: 'bitnami', pattern: /bitnami/i },
  { distro: 'Ubuntu', user: 'ubuntu', pattern: /ubuntu/i },
  { distro: 'Debian', user: 'admin', pattern: /debian/i },
  { distro: 'Rocky Linux', user: 'rocky', pattern: /rocky/i },
  { distro: 'CentOS', user: 'centos', pattern: /centos/i },
  { distro: 'Fedora', user: 'fedora', pattern: /fedora/i },
  { distro: 'Red Hat Enterprise Linux', user: 'ec2-user', pattern: /\bRHEL|red ?hat/i },
  { distro: 'SUSE', user: 'ec2-user', pattern: /suse|\bsles\b/i },
  { distro: 'Oracle Linux', user: 'ec2-user', pattern: /oracle ?linux|\bOL\d/i },
  { distro: 'Amazon Linux', user: 'ec2-user', pattern: /amazon linux|\bamzn|\bal20\d\d\b|^al20\d\d-ami/i },
  { distro: 'FreeBSD', user: 'ec2-user', pattern: /freebsd/i },
];

// Pure: the user for an image, or undefined when nothing identifies its distribution.
export function inferOsUserFromImage(image: ImageInfo): InferredUser | undefined {
  // PlatformDetails names RHEL and SUSE for their billed images ("Red Hat Enterprise Linux", "SUSE Linux").
  const texts = [image.name, image.description, image.platformDetails].filter((t): t is string => Boolean(t));
  for (const rule of RULES) {
    if (texts.some((t) => rule.pattern.test(t))) return { user: rule.user, because: `${rule.distro} (${image.name ?? image.imageId})` };
  }
  return undefined;
}

export interface OsUserCache {
  get(imageId: string): Promise<string | undefined>;
  set(imageId: string, user: string): Promise<void>;
}

// A small JSON file; a damaged or unreadable file is treated as empty, never an error.
export function fileOsUserCache(path: string): OsUserCache {
  const load = async (): Promise<Record<string, string>> => {
    try {
      const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  };
  return {
    async get(imageId) {
      const value = (await load())[imageId];
      return typeof value === 'string' ? value : undefined;
    },
    async set(imageId, user) {
      const all = { ...(await load()), [imageId]: user };
      try {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(temp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
        await rename(temp, path);
      } catch {
        // A cache that cannot be written only costs a DescribeImages next time.
      }
    },
  };
}

// The inferred user, or undefined (the caller falls back to its default) when the
// image is unknown, unrecognised, or DescribeImages is not allowed.
export async function inferOsUser(aws: Pick<Aws, 'describeImages'>, imageId: string | undefined, cache: OsUserCache): Promise<InferredUser | undefined> {
  if (!imageId) return undefined;
  const cached = await cache.get(imageId);
  if (cached) return { user: cached, because: `image ${imageId} (cached)` };
  let images: ImageInfo[];
  try {
    images = await aws.describeImages([imageId]);
  } catch {
    return undefined;
  }
  const image = images.find((i) => i.imageId === imageId);
  const inferred = image && inferOsUserFromImage(image);
  if (inferred) await cache.set(imageId, inferred.user);
  return inferred;
}
