// TLS for the sandbox's EICE endpoint (eice.md §11 "Tunnel side"): a throw-away CA
// and a server certificate for the endpoint DNS names (and localhost / 127.0.0.1,
// where the client actually connects), so the client verifies TLS exactly as it
// would against AWS, given the CA file `eic-ssh sandbox --env` points it at.
// Node can verify X.509 but not create it, hence node-forge (style.md §3.2).
import forge from 'node-forge';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const generateRsa = promisify(generateKeyPair);

export interface TlsIdentity {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

export async function createTlsIdentity(dnsNames: string[], now: number): Promise<TlsIdentity> {
  const ca = await rsaKey();
  const caCert = certificate(ca.publicKey, 'eic-ssh sandbox TLS CA', now);
  caCert.setIssuer(caCert.subject.attributes);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const server = await rsaKey();
  const cert = certificate(server.publicKey, dnsNames[0] ?? 'localhost', now);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [...new Set([...dnsNames, 'localhost'])].map((value) => ({ type: 2, value }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...altNames, { type: 7, ip: '127.0.0.1' }] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());
  return { caCertPem: pem(caCert), certPem: pem(cert), keyPem: server.keyPem };
}

async function rsaKey(): Promise<{ privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string }> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return {
    privateKey: forge.pki.privateKeyFromPem(keyPem),
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    keyPem,
  };
}

function certificate(publicKey: forge.pki.rsa.PublicKey, commonName: string, now: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // positive (RFC 5280 §4.1.2.2)
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now - 24 * 3600_000);
  cert.validity.notAfter = new Date(now + 365 * 24 * 3600_000);
  cert.setSubject([
    { name: 'organizationName', value: 'eic-ssh sandbox' },
    { name: 'commonName', value: commonName },
  ]);
  return cert;
}

function pem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}
