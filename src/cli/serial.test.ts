// The serial console endpoint: the region's published name, or the override.
import { describe, expect, it } from 'vitest';
import { serialEndpoint } from './serial.js';

describe('serialEndpoint', () => {
  it('is serial-console.ec2-instance-connect.<region>.aws port 22 by default', () => {
    expect(serialEndpoint('eu-west-1', {})).toEqual({ host: 'serial-console.ec2-instance-connect.eu-west-1.aws', port: 22 });
  });
  it('takes EIC_SSH_SERIAL_ENDPOINT=host:port, and refuses anything else', () => {
    expect(serialEndpoint('us-east-1', { EIC_SSH_SERIAL_ENDPOINT: '127.0.0.1:2222' })).toEqual({ host: '127.0.0.1', port: 2222 });
    expect(() => serialEndpoint('us-east-1', { EIC_SSH_SERIAL_ENDPOINT: '127.0.0.1' })).toThrow(/is not host:port/);
  });
});
