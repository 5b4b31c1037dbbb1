// The golden vectors of eice.md §5.3, byte for byte.
import { describe, expect, it } from 'vitest';
import { presignTunnelUrl } from './eice-url.js';

const amzDate = (s: string) => new Date(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`);

const vector2 = {
  endpointId: 'eice-0123456789abcdef0',
  privateIpAddress: '10.0.0.5',
  remotePort: 22,
  maxTunnelDuration: 60,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'FAKE/TOKEN+with=chars' },
  signingDate: amzDate('20261122T041743Z'),
};

describe('presignTunnelUrl', () => {
  it('reproduces vector 1 (aws-cli test_single_connection_mode) as the exact wire query', async () => {
    const url = await presignTunnelUrl({
      host: 'eice-123.ec2-instance-connect-endpoint.us-west-2.amazonaws.com',
      endpointId: 'eice-123',
      privateIpAddress: '10.0.0.0',
      remotePort: 22,
      maxTunnelDuration: 1,
      region: 'us-west-2',
      credentials: { accessKeyId: 'access_key', secretAccessKey: 'secret_key' },
      signingDate: amzDate('20200101T010101Z'),
    });
    expect(url).toBe(
      'wss://eice-123.ec2-instance-connect-endpoint.us-west-2.amazonaws.com/openTunnel?' +
        'instanceConnectEndpointId=eice-123&remotePort=22&privateIpAddress=10.0.0.0&maxTunnelDuration=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=access_key%2F20200101%2Fus-west-2%2Fec2-instance-connect%2Faws4_request&X-Amz-Date=20200101T010101Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=3a56740422a5b9aebd22d860b7a30c729e459a6f71a83bc0de3a2b44b7353f28',
    );
  });

  it('reproduces vector 2 (session token with characters to encode)', async () => {
    const url = await presignTunnelUrl({ ...vector2, host: 'localhost' });
    expect(url).toContain('&X-Amz-Security-Token=FAKE%2FTOKEN%2Bwith%3Dchars&');
    expect(url).toMatch(/&X-Amz-Signature=3c31cc139597b83ad936d4cfe7ff4d1421a5822708ea2b5f7a406dc3f6c5acb4$/);
    expect(url.startsWith('wss://localhost/openTunnel?instanceConnectEndpointId=eice-0123456789abcdef0&remotePort=22&privateIpAddress=10.0.0.5&maxTunnelDuration=60&X-Amz-Algorithm=')).toBe(true);
  });

  it('reproduces vector 3 (port in the signed host)', async () => {
    const url = await presignTunnelUrl({ ...vector2, host: 'localhost:8443' });
    expect(url).toMatch(/^wss:\/\/localhost:8443\/openTunnel\?/);
    expect(url).toMatch(/&X-Amz-Signature=b8d7d88ca7e3d9f947ba45dae35ebec63ee3d9d27e1179721f3830b512ea1d06$/);
  });

  it('omits maxTunnelDuration and the token unless given', async () => {
    const url = await presignTunnelUrl({ ...vector2, host: 'localhost', maxTunnelDuration: undefined, credentials: { accessKeyId: 'A', secretAccessKey: 'B' } });
    expect(url).not.toContain('maxTunnelDuration');
    expect(url).not.toContain('X-Amz-Security-Token');
    expect(url).toContain('X-Amz-Expires=60');
  });
});
