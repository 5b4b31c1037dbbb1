// A complete SandboxInstance record for API-level sandbox tests, which build a World
// by hand: fixed, well-formed defaults, with the addresses and anything else a test
// cares about given explicitly. The private DNS name follows the private address, as
// EC2 names it in us-east-1.
import type { SandboxInstance } from '../../src/sandbox/world.js';

export function testInstance(
  fields: Pick<SandboxInstance, 'instanceId' | 'privateIp' | 'hostAddress'> & Partial<SandboxInstance>,
): SandboxInstance {
  return {
    tags: {},
    state: 'running',
    imageId: 'ami-0fedcba9876543210',
    platformDetails: 'Linux/UNIX',
    instanceType: 't3.micro',
    az: 'us-east-1a',
    vpcId: 'vpc-0123456789abcdef0',
    subnetId: 'subnet-0aaaaaaaaaaaaaaa1',
    privateDnsName: `ip-${fields.privateIp.replace(/\./g, '-')}.ec2.internal`,
    sshPort: 22,
    imdsPort: 8080,
    osUsers: ['ec2-user'],
    launchTime: new Date('2025-03-01T10:00:00.000Z'),
    hostKeys: [],
    metadataHttpEndpoint: 'enabled',
    clockSkewSeconds: 0,
    ...fields,
  };
}
