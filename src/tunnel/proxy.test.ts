// Proxy environment tables (eice.md §6.2): which proxy, and NO_PROXY as a domain match.
import { describe, expect, it } from 'vitest';
import { bypassesProxy, proxyFor } from './proxy.js';

const target = new URL('wss://eice-1.abc.ec2-instance-connect-endpoint.us-east-1.amazonaws.com/openTunnel');

describe('proxyFor', () => {
  it.each([
    [{}, undefined],
    [{ HTTPS_PROXY: 'http://proxy:3128' }, 'http://proxy:3128/'],
    [{ https_proxy: 'proxy:3128' }, 'http://proxy:3128/'],
    [{ HTTP_PROXY: 'http://p2:8080' }, 'http://p2:8080/'],
    [{ HTTPS_PROXY: 'http://p1:1', HTTP_PROXY: 'http://p2:2' }, 'http://p1:1/'],
    [{ HTTP_PROXY: 'http://p2:2' /* no NO_PROXY at all: aws/aws-cli#8023 crashed here */ }, 'http://p2:2/'],
    [{ HTTPS_PROXY: 'http://p1:1', NO_PROXY: 'amazonaws.com' }, undefined],
    [{ HTTPS_PROXY: 'http://p1:1', no_proxy: '.amazonaws.com' }, undefined],
    [{ HTTPS_PROXY: 'http://p1:1', NO_PROXY: 'zonaws.com' }, 'http://p1:1/'],
  ])('env %o → %s', (env, expected) => {
    expect(proxyFor(target, env)?.href).toBe(expected);
  });

  it('rejects a non-http proxy scheme with a hint', () => {
    expect(() => proxyFor(target, { HTTPS_PROXY: 'socks5://p:1080' })).toThrow(/not supported/);
  });
});

describe('bypassesProxy', () => {
  it.each([
    ['a.example.com', 443, 'example.com', true],
    ['example.com', 443, 'example.com', true],
    ['a.example.com', 443, '.example.com', true],
    ['a.example.com', 443, '*.example.com', true],
    ['badexample.com', 443, 'example.com', false], // a substring test would say true
    ['example.com.evil.net', 443, 'example.com', false],
    ['ample.com', 443, 'example.com', false],
    ['anything', 443, '*', true],
    ['a.example.com', 443, 'other.org, example.com', true],
    ['a.example.com', 443, 'other.org example.com', true],
    ['a.example.com', 443, 'example.com:443', true],
    ['a.example.com', 8443, 'example.com:443', false],
    ['127.0.0.1', 443, '127.0.0.1', true],
    ['127.0.0.12', 443, '127.0.0.1', false],
    ['10.1.2.3', 443, '10.0.0.0/8', true],
    ['11.1.2.3', 443, '10.0.0.0/8', false],
    ['::1', 443, '::1', true],
    ['[::1]', 443, '[::1]', true],
    ['Example.COM', 443, 'example.com', true],
    ['a.example.com', 443, '', false],
  ])('%s:%i with NO_PROXY=%j → %s', (host, port, noProxy, expected) => {
    expect(bypassesProxy(host, port, noProxy)).toBe(expected);
  });
});
