// The sandbox's stand-in for the EC2 Instance Connect service's key-bundle signer:
// a self-signed test CA, an RSA signer certificate with CN
// `managed-ssh-signer.<region>.<domain>` issued by it, and the rendering of the
// signed bundle IMDS serves at `active-keys/<user>/` (instance-side.md §4, §8.1).
// Node can verify X.509 but cannot create it, hence node-forge (style.md §3.2).
import forge from 'node-forge';
import { constants, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { PushedKey } from '../world.js';

const generateRsa = promisify(generateKeyPair);

export interface SignerIdentity {
  commonName: string;
  certPem: string;
  // What IMDS serves at managed-ssh-keys/signer-cert/: the signer first, then any
  // intermediates (instance-side.md §3.2 step 10). The sandbox has no intermediates.
  chainPem: string;
  privateKey: KeyObject;
}

// Signers used by the `imdsBundleFault` knob; the genuine one is `SandboxCa.signer`.
export type FaultySignerKind = 'wrong-signer-cn' | 'untrusted-signer';

export interface SandboxCa {
  region: string;
  domain: string;
  // The trust anchor every instance is given (its stand-in for /etc/ssl/certs).
  caCertPem: string;
  signer: SignerIdentity;
  // Created on first use: a signer with a CN the instance does not expect (issued by
  // the sandbox CA), or one with the right CN issued by a CA the instance does not trust.
  faultySigner(kind: FaultySignerKind): Promise<SignerIdentity>;
}

// AWS partitions: the `services/domain` IMDS answers and the signer CN use it.
export function partitionDomain(region: string): string {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (region.startsWith('us-iso-')) return 'c2s.ic.gov';
  if (region.startsWith('us-isob-')) return 'sc2s.sgov.gov';
  return 'amazonaws.com';
}

export function signerCommonName(region: string, domain: string): string {
  return `managed-ssh-signer.${region}.${domain}`;
}

interface Issued {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  keyObject: KeyObject;
}

// `now` is the sandbox clock in ms; certificates are valid from a day before it.
export async function createSandboxCa(region: string, now: number = Date.now()): Promise<SandboxCa> {
  const domain = partitionDomain(region);
  const ca = await issueCa('eic-ssh sandbox CA', now);
  const signer = await issueSigner(signerCommonName(region, domain), ca, now);
  const faulty = new Map<FaultySignerKind, Promise<SignerIdentity>>();
  return {
    region,
    domain,
    caCertPem: toPem(ca.cert),
    signer,
    faultySigner(kind) {
      let identity = faulty.get(kind);
      if (identity === undefined) {
        identity =
          kind === 'wrong-signer-cn'
            ? issueSigner(signerCommonName(region, 'example.com'), ca, now)
            : issueCa('eic-ssh sandbox rogue CA', now).then((rogue) =>
                issueSigner(signerCommonName(region, domain), rogue, now),
              );
        faulty.set(kind, identity);
      }
      return identity;
    },
  };
}

export interface RenderOptions {
  // Flip bits in every signature (the "bad signature" fault of instance-side.md §8.5).
  corruptSignatures?: boolean;
}

// The body of active-keys/<user>/ for these blocks, exactly per instance-side.md §4:
// `#` lines and the key line, each LF-terminated, are the signed data; then the base64
// RSA-PSS signature wrapped at 76 columns (as `base64` prints it); a blank line
// separates blocks.
export function renderKeyBundle(signer: SignerIdentity, keys: readonly PushedKey[], options: RenderOptions = {}): string {
  return keys.map((key) => renderBlock(signer, key, options)).join('\n');
}

export function signedData(key: PushedKey): string {
  return (
    [
      `#Timestamp=${key.expiresAt}`,
      `#Instance=${key.instanceId}`,
      `#Caller=${key.callerArn}`,
      `#Request=${key.requestId}`,
      // A trailing newline or spaces would not survive the instance's line parser.
      key.publicKey.trim(),
    ].join('\n') + '\n'
  );
}

// RSA-PSS, SHA-256, 32-byte salt: what `openssl dgst -sigopt rsa_padding_mode:pss
// -sigopt rsa_pss_saltlen:32 -verify` on the instance accepts (instance-side.md §5.2).
export function signBundleData(signer: SignerIdentity, data: string): Buffer {
  return sign('sha256', Buffer.from(data, 'utf8'), {
    key: signer.privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });
}

function renderBlock(signer: SignerIdentity, key: PushedKey, options: RenderOptions): string {
  const data = signedData(key);
  const signature = signBundleData(signer, data);
  if (options.corruptSignatures) signature[signature.length >> 1] ^= 0xff;
  const lines = signature.toString('base64').match(/.{1,76}/g) ?? [];
  return data + lines.join('\n') + '\n';
}

async function newRsaKey(): Promise<{ key: forge.pki.rsa.PrivateKey; keyObject: KeyObject; publicKey: forge.pki.rsa.PublicKey }> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    key: forge.pki.privateKeyFromPem(pem),
    keyObject: privateKey,
    publicKey: forge.pki.publicKeyFromPem(publicPem),
  };
}

function baseCertificate(publicKey: forge.pki.rsa.PublicKey, commonName: string, now: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial (top bit clear), as RFC 5280 §4.1.2.2 requires.
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now - 24 * 3600_000);
  cert.validity.notAfter = new Date(now + 10 * 365 * 24 * 3600_000);
  cert.setSubject([
    { name: 'organizationName', value: 'eic-ssh sandbox' },
    { name: 'commonName', value: commonName },
  ]);
  return cert;
}

// Extensions chosen so that `openssl verify -x509_strict` (what the real instance
// runs, §5.1) accepts the chain: critical basicConstraints and keyUsage, SKID, AKID.
async function issueCa(commonName: string, now: number): Promise<Issued> {
  const { key, keyObject, publicKey } = await newRsaKey();
  const cert = baseCertificate(publicKey, commonName, now);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { cert, key, keyObject };
}

async function issueSigner(commonName: string, issuer: Issued, now: number): Promise<SignerIdentity> {
  const { keyObject, publicKey } = await newRsaKey();
  const cert = baseCertificate(publicKey, commonName, now);
  cert.setIssuer(issuer.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: issuer.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(issuer.key, forge.md.sha256.create());
  const certPem = toPem(cert);
  return { commonName, certPem, chainPem: certPem, privateKey: keyObject };
}

// forge writes CRLF line ends; PEM files and IMDS answers use LF.
function toPem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}
