// The audit record is built from identifiers only; the route decides which id column is set.
import { describe, expect, it } from 'vitest';
import { auditRecord } from './audit.js';

const facts = {
  startedAt: Date.UTC(2026, 10, 22, 6, 0, 0),
  instance: 'i-0123456789abcdef0',
  osUser: 'ec2-user',
  keyFingerprint: 'SHA256:abc',
  pushRequestId: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
};

describe('auditRecord', () => {
  it('puts the EICE endpoint id or the SSM session id in its own column', () => {
    expect(auditRecord({ ...facts, route: 'eice', routeId: 'eice-0123' }, 'arn:aws:iam::1:user/a', 0)).toEqual({
      time: '2026-11-22T06:00:00.000Z',
      caller: 'arn:aws:iam::1:user/a',
      instance: 'i-0123456789abcdef0',
      osUser: 'ec2-user',
      route: 'eice',
      endpointId: 'eice-0123',
      sessionId: null,
      keyFingerprint: 'SHA256:abc',
      pushRequestId: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      exitStatus: 0,
    });
    const ssm = auditRecord({ ...facts, route: 'ssm', routeId: 'sess-1' }, null, 130);
    expect([ssm.endpointId, ssm.sessionId, ssm.caller, ssm.exitStatus]).toEqual([null, 'sess-1', null, 130]);
    const direct = auditRecord({ ...facts, route: 'direct', pushRequestId: undefined }, null, 1);
    expect([direct.endpointId, direct.sessionId, direct.pushRequestId]).toEqual([null, null, null]);
  });
});
