// AWS's published serial console endpoints and fingerprints: golden values from the EC2
// User Guide table, a well-formedness check over every row, and unknown Regions.
import { describe, expect, it } from 'vitest';
import { fingerprintOfPublicKey } from '../ssh/openssh-key-format.js';
import { publishedSerialEndpointHost, publishedSerialFingerprints, publishedSerialRegions } from './serial-host-keys.js';

describe('publishedSerialFingerprints', () => {
  it('gives the exact published values (golden rows of the AWS table)', () => {
    // us-east-1 is also the example printed in the page's "Verify the fingerprint" step.
    expect(publishedSerialFingerprints('us-east-1')).toEqual(['SHA256:dXwn5ma/xadVMeBZGEru5l2gx+yI5LDiJaLUcz0FMmw']);
    expect(publishedSerialFingerprints('eu-west-1')).toEqual(['SHA256:h2AaGAWO4Hathhtm6ezs3Bj7udgUxi2qTrHjZAwCW6E']);
    expect(publishedSerialFingerprints('ap-northeast-2')).toEqual(['SHA256:FoqWXNX+DZ++GuNTztg9PK49WYMqBX+FrcZM2dSrqrI']);
    expect(publishedSerialFingerprints('us-gov-west-1')).toEqual(['SHA256:kfOFRWLaOZfB+utbd3bRf8OlPf8nGO2YZLqXZiIw5DQ']);
  });

  it('knows nothing of a Region missing from the table (names are exact, lower-case)', () => {
    expect(publishedSerialFingerprints('zz-nowhere-1')).toBeUndefined();
    expect(publishedSerialFingerprints('US-EAST-1')).toBeUndefined();
    expect(publishedSerialFingerprints('')).toBeUndefined();
    expect(publishedSerialEndpointHost('zz-nowhere-1')).toBeUndefined();
  });

  it('every row is a well-formed SHA256 fingerprint: SHA256: + 43 base64 characters of a 32-byte digest', () => {
    const regions = publishedSerialRegions();
    expect(regions.length).toBe(38);
    expect(new Set(regions).size).toBe(regions.length);
    for (const region of regions) {
      const fingerprints = publishedSerialFingerprints(region)!;
      expect(fingerprints.length, region).toBeGreaterThan(0);
      for (const fingerprint of fingerprints) {
        expect(fingerprint, region).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
        const digest = Buffer.from(fingerprint.slice('SHA256:'.length), 'base64');
        expect(digest.length, region).toBe(32);
        // Canonical: re-encoding gives the same text (catches a mistyped last character).
        expect(digest.toString('base64').replace(/=+$/, ''), region).toBe(fingerprint.slice('SHA256:'.length));
      }
    }
    // No two Regions share a key.
    const all = regions.flatMap((r) => publishedSerialFingerprints(r)!);
    expect(new Set(all).size).toBe(all.length);
  });

  it('is in the same text form as the fingerprints eic-ssh computes for a presented key', () => {
    const computed = fingerprintOfPublicKey(Buffer.from('any host key blob'));
    expect(computed).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('hands out a copy: callers cannot change the table', () => {
    publishedSerialFingerprints('us-east-1')!.push('SHA256:tampered');
    expect(publishedSerialFingerprints('us-east-1')).toEqual(['SHA256:dXwn5ma/xadVMeBZGEru5l2gx+yI5LDiJaLUcz0FMmw']);
  });
});

describe('publishedSerialEndpointHost', () => {
  it('is not one pattern: older Regions, api.aws Regions, GovCloud and China differ', () => {
    expect(publishedSerialEndpointHost('us-east-1')).toBe('serial-console.ec2-instance-connect.us-east-1.aws');
    expect(publishedSerialEndpointHost('af-south-1')).toBe('ec2-serial-console.af-south-1.api.aws');
    expect(publishedSerialEndpointHost('us-gov-east-1')).toBe('serial-console.ec2-instance-connect.us-gov-east-1.amazonaws.com');
    expect(publishedSerialEndpointHost('cn-north-1')).toBe('ec2-serial-console.cn-north-1.api.amazonwebservices.com.cn');
  });
  it('names its own Region in every row', () => {
    for (const region of publishedSerialRegions()) expect(publishedSerialEndpointHost(region), region).toContain(`.${region}.`);
  });
});
