// The sandbox signer: its certificates and the exact bytes of the key bundle it signs
// (instance-side.md §4, §5.1, §5.2).
import { X509Certificate, constants, verify } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  createSandboxCa,
  renderKeyBundle,
  signedData,
  type SandboxCa,
} from '../../src/sandbox/instance/signer.js';
import type { PushedKey } from '../../src/sandbox/world.js';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAsX4JfYZzSrfHZ07ff4QnrpQodhdK7I/QkoaKOV6Ztm alice@laptop';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29v';

function pushed(publicKey: string, overrides: Partial<PushedKey> = {}): PushedKey {
  return {
    instanceId: 'i-0123456789abcdef0',
    osUser: 'ec2-user',
    publicKey,
    expiresAt: 1795321123,
    requestId: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    callerArn: 'arn:aws:sts::111111111111:assumed-role/Developer/alice',
    ...overrides,
  };
}

function pss(ca: SandboxCa, data: string, signatureBase64: string, saltLength: number): boolean {
  const key = new X509Certificate(ca.signer.certPem).publicKey;
  return verify('sha256', Buffer.from(data), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, Buffer.from(signatureBase64, 'base64'));
}

let ca: SandboxCa;
beforeAll(async () => {
  ca = await createSandboxCa('us-east-1');
});

describe('sandbox signer certificates', () => {
  test('the signer certificate has CN managed-ssh-signer.<region>.amazonaws.com and is issued by the sandbox CA', () => {
    const signer = new X509Certificate(ca.signer.certPem);
    const root = new X509Certificate(ca.caCertPem);
    expect(signer.subject.split('\n')).toContain('CN=managed-ssh-signer.us-east-1.amazonaws.com');
    expect(signer.checkIssued(root)).toBe(true);
    expect(signer.verify(root.publicKey)).toBe(true);
    expect(root.ca).toBe(true);
    expect(signer.ca).toBe(false);
    expect(ca.signer.chainPem).toBe(ca.signer.certPem);
    expect(ca.caCertPem).not.toContain('\r');
  });

  test('China regions sign as managed-ssh-signer.<region>.amazonaws.com.cn', async () => {
    const china = await createSandboxCa('cn-north-1');
    expect(china.domain).toBe('amazonaws.com.cn');
    expect(new X509Certificate(china.signer.certPem).subject).toContain('CN=managed-ssh-signer.cn-north-1.amazonaws.com.cn');
  });

  test('the wrong-CN signer is issued by the sandbox CA and the untrusted signer is not', async () => {
    const root = new X509Certificate(ca.caCertPem);
    const wrongCn = new X509Certificate((await ca.faultySigner('wrong-signer-cn')).certPem);
    const untrusted = new X509Certificate((await ca.faultySigner('untrusted-signer')).certPem);
    expect(wrongCn.subject).not.toContain('CN=managed-ssh-signer.us-east-1.amazonaws.com\n');
    expect(wrongCn.verify(root.publicKey)).toBe(true);
    expect(untrusted.subject).toContain('CN=managed-ssh-signer.us-east-1.amazonaws.com');
    expect(untrusted.verify(root.publicKey)).toBe(false);
  });
});

describe('key bundle', () => {
  test('the signed data of a block is its four # lines and the key line, each LF-terminated', () => {
    expect(signedData(pushed(`${KEY_A}\n`))).toBe(
      '#Timestamp=1795321123\n' +
        '#Instance=i-0123456789abcdef0\n' +
        '#Caller=arn:aws:sts::111111111111:assumed-role/Developer/alice\n' +
        '#Request=6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n' +
        `${KEY_A}\n`,
    );
  });

  test('a bundle is signed data, a wrapped base64 signature, and a blank line between blocks', () => {
    const a = pushed(KEY_A);
    const b = pushed(KEY_B, { requestId: 'second', expiresAt: 1795321999 });
    const body = renderKeyBundle(ca.signer, [a, b]);
    const [first, second, ...rest] = body.split('\n\n');
    expect(rest).toEqual([]);
    expect(body.endsWith('\n')).toBe(true);
    expect(body.endsWith('\n\n')).toBe(false);
    for (const [block, key] of [[first, a], [`${second}`.replace(/\n$/, ''), b]] as const) {
      const data = signedData(key);
      expect(block.startsWith(data)).toBe(true);
      const signatureLines = block.slice(data.length).split('\n');
      for (const line of signatureLines) expect(line).toMatch(/^[A-Za-z0-9+/]{1,76}={0,2}$/);
      expect(pss(ca, data, signatureLines.join(''), 32)).toBe(true);
    }
  });

  test('signatures are RSA-PSS with SHA-256 and a salt of exactly 32 bytes', () => {
    const key = pushed(KEY_A);
    const body = renderKeyBundle(ca.signer, [key]);
    const signature = body.slice(signedData(key).length).replaceAll('\n', '');
    expect(pss(ca, signedData(key), signature, 32)).toBe(true);
    expect(pss(ca, signedData(key), signature, 20)).toBe(false);
    expect(pss(ca, signedData({ ...key, expiresAt: key.expiresAt + 1 }), signature, 32)).toBe(false);
  });

  test('the bad-signature fault keeps the layout but breaks every signature', () => {
    const key = pushed(KEY_A);
    const body = renderKeyBundle(ca.signer, [key], { corruptSignatures: true });
    const signature = body.slice(signedData(key).length).replaceAll('\n', '');
    expect(body.startsWith(signedData(key))).toBe(true);
    expect(pss(ca, signedData(key), signature, 32)).toBe(false);
  });
});
