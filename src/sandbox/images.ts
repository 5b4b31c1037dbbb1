// The machine images the sandbox's instances run, as DescribeImages reports them. The
// names, descriptions and owners follow the real public images of each distribution
// (owner ids: Amazon 137112412989, Canonical 099720109477, Debian 136693071363); the
// image ids are the made-up ones of fleet.ts IMAGES, so DescribeInstances and
// DescribeImages agree.
import { IMAGES, type ImageKind } from './fleet.js';

export interface SandboxImage {
  imageId: string;
  name: string;
  description: string;
  ownerId: string;
  ownerAlias: string;
  platformDetails: string;
  creationDate: string;
}

const DETAILS: Record<ImageKind, Omit<SandboxImage, 'imageId' | 'platformDetails'>> = {
  'amazon-linux': {
    name: 'al2023-ami-2023.6.20241010.0-kernel-6.1-x86_64',
    description: 'Amazon Linux 2023 AMI 2023.6.20241010.0 x86_64 HVM kernel-6.1',
    ownerId: '137112412989',
    ownerAlias: 'amazon',
    creationDate: '2024-10-10T21:07:55.000Z',
  },
  ubuntu: {
    name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241004',
    description: 'Canonical, Ubuntu, 24.04, amd64 noble image',
    ownerId: '099720109477',
    ownerAlias: 'amazon',
    creationDate: '2024-10-04T06:41:36.000Z',
  },
  debian: {
    name: 'debian-12-amd64-20241004-1890',
    description: 'Debian 12 (20241004-1890)',
    ownerId: '136693071363',
    ownerAlias: 'amazon',
    creationDate: '2024-10-04T09:14:28.000Z',
  },
};

export const SANDBOX_IMAGES: readonly SandboxImage[] = (Object.keys(IMAGES) as ImageKind[]).map((kind) => ({
  imageId: IMAGES[kind].imageId,
  platformDetails: IMAGES[kind].platformDetails,
  ...DETAILS[kind],
}));
