// The StreamUrl check (ssm.md §4.1: only Session Manager endpoints, or the explicit
// override) and the chunk-size setting (§10.1).
import { describe, expect, it } from 'vitest';
import { checkStreamUrl, chunkSizeFrom } from './route.js';

describe('checkStreamUrl', () => {
  it.each([
    'wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s-1?role=publish_subscribe&cell-number=AbC%2B',
    'wss://ssmmessages.cn-north-1.amazonaws.com.cn/v1/data-channel/s-1',
    'wss://ssmmessages-fips.us-gov-west-1.amazonaws.com/v1/data-channel/s-1',
  ])('accepts %s', (url) => {
    expect(() => checkStreamUrl(url, {})).not.toThrow();
  });

  it.each([
    'ws://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s-1',
    'wss://ssmmessages.us-east-1.amazonaws.com.evil.example/v1/data-channel/s-1',
    'wss://ssmmessages.us-east-1.amazonaws.com:8443/v1/data-channel/s-1',
    'wss://evil.example/ssmmessages.us-east-1.amazonaws.com/',
    'wss://127.0.0.1:4443/v1/data-channel/s-1',
    'not a url',
  ])('refuses %s', (url) => {
    expect(() => checkStreamUrl(url, {})).toThrow(/not a Session Manager endpoint/);
  });

  it('accepts URLs under EIC_SSH_SSM_ENDPOINT_URL, and only whole host:port prefixes', () => {
    const env = { EIC_SSH_SSM_ENDPOINT_URL: 'wss://127.0.0.1:4443' };
    expect(() => checkStreamUrl('wss://127.0.0.1:4443/v1/data-channel/s-1', env)).not.toThrow();
    expect(() => checkStreamUrl('wss://127.0.0.1:44431/v1/data-channel/s-1', env)).toThrow(/not a Session Manager endpoint/);
  });
});

describe('chunkSizeFrom', () => {
  it('defaults to 1024 and takes 1..65536', () => {
    expect(chunkSizeFrom({})).toBe(1024);
    expect(chunkSizeFrom({ EIC_SSH_SSM_CHUNK_SIZE: '16384' })).toBe(16384);
    for (const bad of ['0', '65537', '1.5', 'big']) expect(() => chunkSizeFrom({ EIC_SSH_SSM_CHUNK_SIZE: bad })).toThrow(/from 1 to 65536/);
  });
});
