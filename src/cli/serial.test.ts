// The serial console endpoint (the Region's published name, or the override) and the
// host key list (EIC_SSH_SERIAL_HOST_KEYS, else AWS's published fingerprints, else none).
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { serialEndpoint, serialHostKeys } from './serial.js';

const US_EAST_1 = 'SHA256:dXwn5ma/xadVMeBZGEru5l2gx+yI5LDiJaLUcz0FMmw';
const SOME_KEY = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('serialEndpoint', () => {
  it('is the published endpoint of the Region, port 22', () => {
    expect(serialEndpoint('eu-west-1', {})).toEqual({ host: 'serial-console.ec2-instance-connect.eu-west-1.aws', port: 22 });
    expect(serialEndpoint('af-south-1', {})).toEqual({ host: 'ec2-serial-console.af-south-1.api.aws', port: 22 });
    expect(serialEndpoint('us-gov-west-1', {})).toEqual({ host: 'serial-console.ec2-instance-connect.us-gov-west-1.amazonaws.com', port: 22 });
  });
  it('falls back to serial-console.ec2-instance-connect.<region>.aws for a Region the table does not know', () => {
    expect(serialEndpoint('zz-nowhere-1', {})).toEqual({ host: 'serial-console.ec2-instance-connect.zz-nowhere-1.aws', port: 22 });
  });
  it('takes EIC_SSH_SERIAL_ENDPOINT=host:port, and refuses anything else', () => {
    expect(serialEndpoint('us-east-1', { EIC_SSH_SERIAL_ENDPOINT: '127.0.0.1:2222' })).toEqual({ host: '127.0.0.1', port: 2222 });
    expect(() => serialEndpoint('us-east-1', { EIC_SSH_SERIAL_ENDPOINT: '127.0.0.1' })).toThrow(/is not host:port/);
  });
});

describe('serialHostKeys', () => {
  it("uses AWS's published fingerprints when EIC_SSH_SERIAL_HOST_KEYS is absent or empty", () => {
    expect(serialHostKeys('us-east-1', {})).toEqual({ fingerprints: [US_EAST_1], source: 'published' });
    expect(serialHostKeys('us-east-1', { EIC_SSH_SERIAL_HOST_KEYS: '' })).toEqual({ fingerprints: [US_EAST_1], source: 'published' });
    expect(serialHostKeys('us-east-1', { EIC_SSH_SERIAL_HOST_KEYS: ' , ' })).toEqual({ fingerprints: [US_EAST_1], source: 'published' });
  });
  it('lets EIC_SSH_SERIAL_HOST_KEYS replace the published list (the sandbox sets it)', () => {
    expect(serialHostKeys('us-east-1', { EIC_SSH_SERIAL_HOST_KEYS: SOME_KEY })).toEqual({ fingerprints: [SOME_KEY], source: 'env' });
    expect(serialHostKeys('zz-nowhere-1', { EIC_SSH_SERIAL_HOST_KEYS: ` ${SOME_KEY} , ${US_EAST_1}` })).toEqual({ fingerprints: [SOME_KEY, US_EAST_1], source: 'env' });
    // base64 padding, as some tools print it, is dropped: the computed form has none.
    expect(serialHostKeys('us-east-1', { EIC_SSH_SERIAL_HOST_KEYS: `${SOME_KEY}=` })).toEqual({ fingerprints: [SOME_KEY], source: 'env' });
  });
  it('has nothing for a Region the table does not know, without the variable', () => {
    expect(serialHostKeys('zz-nowhere-1', {})).toBeUndefined();
  });
  it('refuses an entry that is not a SHA256 fingerprint, with a hint', () => {
    for (const bad of ['dXwn5ma/xadVMeBZGEru5l2gx+yI5LDiJaLUcz0FMmw', 'SHA256:short', 'MD5:00:11', `${SOME_KEY}A`]) {
      let caught: unknown;
      try {
        serialHostKeys('us-east-1', { EIC_SSH_SERIAL_HOST_KEYS: bad });
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(UsageError);
      expect((caught as UsageError).message).toContain(`EIC_SSH_SERIAL_HOST_KEYS entry '${bad}' is not a SHA256 fingerprint`);
      expect((caught as UsageError).hint).toMatch(/SHA256:/);
    }
  });
});
