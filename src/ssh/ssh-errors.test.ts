import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../errors.js';
import { mapSshError, type SshErrorContext } from './ssh-errors.js';

function sshError(message: string, fields: { level?: string; code?: number }): Error {
  return Object.assign(new Error(message), fields);
}

const base: SshErrorContext = {
  hostKeyAlias: 'i-0abc',
  username: 'ec2-user',
  phase: 'handshake',
  heardFromServer: true,
  readyTimeoutMs: 20_000,
};

describe('mapSshError', () => {
  const cases: Array<{ name: string; error: Error; context?: Partial<SshErrorContext>; code: ErrorCode; message: RegExp }> = [
    {
      name: 'authentication failure',
      error: sshError('All configured authentication methods failed', { level: 'client-authentication' }),
      context: { phase: 'auth' },
      code: 'SSH_AUTH',
      message: /Permission denied \(publickey\) for ec2-user@i-0abc/,
    },
    {
      name: 'ready timeout during the handshake',
      error: sshError('Timed out while waiting for handshake', { level: 'client-timeout' }),
      code: 'CONNECT_TIMEOUT',
      message: /Timed out after 20000 ms waiting for the SSH handshake with i-0abc/,
    },
    {
      name: 'ready timeout during authentication',
      error: sshError('Timed out while waiting for handshake', { level: 'client-timeout' }),
      context: { phase: 'auth' },
      code: 'CONNECT_TIMEOUT',
      message: /SSH auth with i-0abc/,
    },
    {
      name: 'keepalive timeout in a session',
      error: sshError('Keepalive timeout', { level: 'client-timeout' }),
      context: { phase: 'session' },
      code: 'CONNECT_TIMEOUT',
      message: /Timeout, server i-0abc not responding/,
    },
    {
      name: 'socket error',
      error: sshError('connect ECONNREFUSED 127.0.0.1:22', { level: 'client-socket' }),
      code: 'CONNECT',
      message: /Connection to i-0abc failed: connect ECONNREFUSED/,
    },
    {
      name: 'connection closed before any SSH byte',
      error: sshError('Connection lost before handshake', { level: 'protocol' }),
      context: { heardFromServer: false },
      code: 'CONNECT',
      message: /closed by i-0abc before the SSH handshake/,
    },
    {
      name: 'protocol error after the server spoke',
      error: sshError('Bad packet length', { level: 'protocol' }),
      code: 'SSH_PROTOCOL',
      message: /SSH protocol error with i-0abc: Bad packet length/,
    },
    {
      name: 'handshake failure (no common algorithm)',
      error: sshError('Handshake failed: no matching host key format', { level: 'handshake' }),
      code: 'SSH_PROTOCOL',
      message: /no matching host key format/,
    },
    {
      name: 'server disconnect during authentication',
      error: sshError('Too many authentication failures', { code: 2 }),
      context: { phase: 'auth' },
      code: 'SSH_AUTH',
      message: /closed the connection during authentication: Too many/,
    },
    {
      name: 'server disconnect with no more auth methods',
      error: sshError('No more auth methods', { code: 14 }),
      context: { phase: 'session' },
      code: 'SSH_AUTH',
      message: /during authentication/,
    },
    {
      name: 'server disconnect in a session',
      error: sshError('Shutting down', { code: 11 }),
      context: { phase: 'session' },
      code: 'SSH_PROTOCOL',
      message: /Disconnected by i-0abc: Shutting down/,
    },
    {
      name: 'anything else',
      error: new Error('surprise'),
      code: 'SSH_PROTOCOL',
      message: /SSH error with i-0abc: surprise/,
    },
  ];

  it.each(cases)('maps $name to $code', ({ error, context, code, message }) => {
    const mapped = mapSshError(error, { ...base, ...context });
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(message);
    expect(mapped.cause).toBe(error);
  });

  it('gives authentication failures a hint about the user and the key window', () => {
    const mapped = mapSshError(sshError('x', { level: 'client-authentication' }), base);
    expect(mapped.hint).toMatch(/ec2-user/);
    expect(mapped.hint).toMatch(/60 seconds/);
  });

  it('accepts a thrown non-Error', () => {
    expect(mapSshError('boom', base).code).toBe('SSH_PROTOCOL');
  });
});
