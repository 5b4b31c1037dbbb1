// The derived vector of ssm.md §4.3 for the signed SSM websocket upgrade.
import { describe, expect, it } from 'vitest';
import { isPresignedStreamUrl, signStreamUpgrade } from './ssm-stream-sign.js';

const base = {
  streamUrl: 'wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/sess-1?role=publish_subscribe&cell-number=AbC%2B%2F%3D',
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x', sessionToken: 'T' },
  signingDate: new Date(Date.UTC(2026, 10, 22, 4, 17, 43)),
};

describe('signStreamUpgrade', () => {
  it('matches the §4.3 vector (host;x-amz-date;x-amz-security-token)', async () => {
    expect(await signStreamUpgrade(base)).toEqual({
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/ssmmessages/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=ce0abf977d94ba87213166f79d1af08340abc161192f17fbe2f9cd3bd8aca4e8',
      'X-Amz-Date': '20261122T041743Z',
      'X-Amz-Security-Token': 'T',
    });
  });

  it('does not sign a presigned StreamUrl', async () => {
    const streamUrl = `${base.streamUrl}&X-Amz-Signature=abc`;
    expect(isPresignedStreamUrl(streamUrl)).toBe(true);
    expect(isPresignedStreamUrl(base.streamUrl)).toBe(false);
    expect(await signStreamUpgrade({ ...base, streamUrl })).toEqual({});
  });
});
