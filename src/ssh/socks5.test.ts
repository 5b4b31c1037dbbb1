import { describe, expect, it } from 'vitest';
import { encodeReply, formatIpv6, methodSelection, parseGreeting, parseRequest, REPLY } from './socks5.js';

const bytes = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

describe('SOCKS5 greeting (RFC 1928 §3)', () => {
  it('parses the methods and keeps what follows', () => {
    const result = parseGreeting(bytes('05 02 00 02  05 01'));
    expect(result).toEqual({ status: 'ok', value: { methods: [0, 2] }, rest: bytes('05 01') });
  });
  it.each(['', '05', '05 02 00'])('waits for more after %j', (hex) => {
    expect(parseGreeting(bytes(hex))).toEqual({ status: 'incomplete' });
  });
  it('refuses SOCKS4 and non-SOCKS bytes', () => {
    expect(parseGreeting(bytes('04 01 00 50 7f 00 00 01 00'))).toMatchObject({ status: 'error', reason: 'SOCKS4 is not supported, only SOCKS5' });
    expect(parseGreeting(Buffer.from('GET / HTTP/1.1\r\n'))).toMatchObject({ status: 'error', reason: 'not a SOCKS5 client (version byte 0x47)' });
  });
  it('selects no-authentication, or none acceptable', () => {
    expect(methodSelection({ methods: [2, 0] })).toEqual(bytes('05 00'));
    expect(methodSelection({ methods: [2] })).toEqual(bytes('05 ff'));
  });
});

describe('SOCKS5 CONNECT request (§4, §5)', () => {
  it('IPv4', () => {
    expect(parseRequest(bytes('05 01 00 01 7f 00 00 01 1f 90'))).toEqual({
      status: 'ok',
      value: { addressType: 'ipv4', host: '127.0.0.1', port: 8080 },
      rest: Buffer.alloc(0),
    });
  });
  it('domain name, with early data after it', () => {
    const request = Buffer.concat([bytes('05 01 00 03 09'), Buffer.from('localhost'), bytes('00 50'), Buffer.from('GET')]);
    expect(parseRequest(request)).toEqual({ status: 'ok', value: { addressType: 'domain', host: 'localhost', port: 80 }, rest: Buffer.from('GET') });
  });
  it('IPv6', () => {
    expect(parseRequest(bytes('05 01 00 04 00000000000000000000000000000001 01bb'))).toMatchObject({
      status: 'ok',
      value: { addressType: 'ipv6', host: '::1', port: 443 },
    });
    expect(parseRequest(bytes('05 01 00 04 20010db8000000000001000000000001 0016'))).toMatchObject({
      value: { host: '2001:db8::1:0:0:1', port: 22 },
    });
  });
  it.each(['05 01 00', '05 01 00 01 7f 00 00 01 1f', '05 01 00 03 09 6c 6f', '05 01 00 04 0000'])('waits for more after %j', (hex) => {
    expect(parseRequest(bytes(hex))).toEqual({ status: 'incomplete' });
  });
  it('answers BIND and UDP ASSOCIATE with "command not supported"', () => {
    for (const command of ['02', '03']) {
      const result = parseRequest(bytes(`05 ${command} 00 01 7f 00 00 01 00 50`));
      expect(result).toMatchObject({ status: 'error', reply: bytes('05 07 00 01 00000000 0000') });
    }
  });
  it('answers an unknown address type with "address type not supported"', () => {
    expect(parseRequest(bytes('05 01 00 05 00 00'))).toMatchObject({ status: 'error', reply: bytes('05 08 00 01 00000000 0000') });
  });
});

describe('SOCKS5 reply (§6)', () => {
  it('encodes success with a 0.0.0.0:0 bound address', () => {
    expect(encodeReply(REPLY.succeeded)).toEqual(bytes('05 00 00 01 00 00 00 00 00 00'));
    expect(encodeReply(REPLY.connectionRefused)).toEqual(bytes('05 05 00 01 00 00 00 00 00 00'));
  });
});

describe('formatIpv6 (RFC 5952)', () => {
  it.each([
    ['00000000000000000000000000000000', '::'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    ['20010db8000100000000000000000000', '2001:db8:1::'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
  ])('%s → %s', (hex, text) => {
    expect(formatIpv6(bytes(hex))).toBe(text);
  });
});
