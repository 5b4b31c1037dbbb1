// Pure parts of the EICE route: where the websocket goes (override, signed Host),
// the port and duration checks, and when the one-hour-cap warning fires.
import { describe, expect, it } from 'vitest';
import { checkEicePort, checkMaxTunnelDuration, tunnelBase, warnLeadSeconds } from './eice.js';

describe('tunnelBase', () => {
  const dns = 'eice-1.abc.ec2-instance-connect-endpoint.us-east-1.amazonaws.com';
  it.each([
    [{}, { scheme: 'wss', host: dns, overridden: false }],
    [{ EIC_SSH_EICE_ENDPOINT_URL: 'wss://127.0.0.1:8443' }, { scheme: 'wss', host: '127.0.0.1:8443', overridden: true }],
    [{ EIC_SSH_EICE_ENDPOINT_URL: 'wss://127.0.0.1:443' }, { scheme: 'wss', host: '127.0.0.1', overridden: true }],
    [{ EIC_SSH_EICE_ENDPOINT_URL: 'wss://localhost' }, { scheme: 'wss', host: 'localhost', overridden: true }],
    [{ EIC_SSH_EICE_ENDPOINT_URL: 'https://[::1]:9000/' }, { scheme: 'wss', host: '[::1]:9000', overridden: true }],
    [{ EIC_SSH_EICE_ENDPOINT_URL: 'ws://127.0.0.1:80' }, { scheme: 'ws', host: '127.0.0.1', overridden: true }],
  ])('%o → %o (the Host header ws sends)', (env, expected) => {
    expect(tunnelBase(dns, env)).toEqual(expected);
  });

  it.each(['not a url', 'ftp://x'])('rejects EIC_SSH_EICE_ENDPOINT_URL=%s', (value) => {
    expect(() => tunnelBase(dns, { EIC_SSH_EICE_ENDPOINT_URL: value })).toThrow(/EIC_SSH_EICE_ENDPOINT_URL/);
  });
});

describe('checks', () => {
  it.each([22, 3389])('accepts port %i', (port) => expect(() => checkEicePort(port)).not.toThrow());
  it.each([21, 80, 443, 2222])('refuses port %i', (port) => expect(() => checkEicePort(port)).toThrow(/only ports 22 and 3389/));
  it.each([1, 60, 3600])('accepts duration %i', (s) => expect(() => checkMaxTunnelDuration(s)).not.toThrow());
  it.each([0, 3601, 1.5])('refuses duration %s', (s) => expect(() => checkMaxTunnelDuration(s)).toThrow(/1 to 3600/));
  it.each([
    [3600, 300],
    [1200, 120],
    [2, 1],
    [10, 1],
  ])('a %i s tunnel warns %i s before its end', (duration, lead) => expect(warnLeadSeconds(duration)).toBe(lead));
});
