// The sandbox instance's AuthorizedKeysCommand: our own implementation of the
// EC2 Instance Connect instance scripts' contract (instance-side.md §3.1, §3.2, §5),
// not a port of AWS's code. sshd runs it as
//   /usr/bin/env <node> akc.mjs --imds <url> --ca <pem> --log <file> %u %f
// It is plain JavaScript with node built-ins only because sshd starts it with a
// stripped environment (§6): every setting comes through arguments. The build copies
// it beside the compiled modules (scripts/copy-assets.mjs).
import { execFileSync } from 'node:child_process';
import { X509Certificate, constants, createHash, verify } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { parseArgs } from 'node:util';

const BUDGET_MS = 5000; // eic_run_authorized_keys: `timeout 5s` (§3.1)
const REQUEST_MS = 1000; // every IMDS read is `curl -m 1` (§3.2)
const DOMAINS = ['amazonaws.com', 'amazonaws.com.cn', 'c2s.ic.gov', 'sc2s.sgov.gov'];
const META = '/latest/meta-data';
// Sandbox extension (not an IMDS path): the instance's clock in epoch ms, standing in
// for `date +%s` so that expiry follows the sandbox's controllable clock.
const CLOCK_PATH = '/sandbox/instance-clock-ms';

// Thrown to stop with an exit status, like the scripts' `exit N` and `set -e`.
class Exit {
  constructor(code) {
    this.code = code;
  }
}

const { values: opts, positionals } = parseArgs({
  options: { imds: { type: 'string' }, ca: { type: 'string' }, log: { type: 'string' } },
  allowPositionals: true,
  strict: false,
});
const [user = '', expectedFingerprint = ''] = positionals;
let clockMs = Date.now();

// `timeout 5s` ends the command with status 124.
setTimeout(() => process.exit(124), BUDGET_MS);

main().then(
  (lines) => finish(lines.length > 0 ? 0 : 255, lines),
  (err) => finish(err instanceof Exit ? err.code : 1, []),
);

function finish(code, lines) {
  const text = lines.map((line) => `${line}\n`).join('');
  process.stdout.write(text, () => process.exit(code));
}

// Log like `logger -i -p authpriv.info -t ec2-instance-connect` (§5.4), into a file.
function log(message) {
  if (typeof opts.log !== 'string') return;
  try {
    appendFileSync(opts.log, `${new Date(clockMs).toISOString()} ec2-instance-connect[${process.pid}]: ${message}\n`);
  } catch {
    // stderr is discarded by sshd; a log we cannot write must not change the verdict.
  }
}

async function main() {
  if (typeof opts.imds !== 'string' || typeof opts.ca !== 'string') {
    log('Unable to run EC2 Instance Connect: insufficient args provided.  Please check your sshd configuration.');
    throw new Exit(1);
  }
  const token = await fetchToken();
  const get = (path) => imdsGet(path, token);

  // §3.2 step 2. Step 3 (is this EC2?) has no sandbox equivalent: it always is.
  const instanceId = await get(`${META}/instance-id/`);
  if (!/^i-[0-9a-f]{8,32}$/.test(instanceId)) throw new Exit(0);
  checkUser();

  // Step 5: no keys for this user (404, or anything but 200) is a quiet "no keys".
  const status = await imdsRequest('HEAD', `${META}/managed-ssh-keys/active-keys/${user}/`, token);
  if (status.status !== 200) throw new Exit(0);

  // Steps 6–8: the signer CN is derived from IMDS, never configured.
  const zone = await get(`${META}/placement/availability-zone/`);
  if (!/^([a-z]+-){2,3}[0-9][a-z]$/.test(zone)) throw new Exit(255);
  const region = zone.slice(0, -1);
  const domain = await get(`${META}/services/domain/`);
  if (!DOMAINS.includes(domain)) {
    log(`EC2 Instance Connect encountered an unrecognized services domain ${domain} and will do nothing.`);
    throw new Exit(255);
  }
  const expectedCn = `managed-ssh-signer.${region}.${domain}`;

  const chainPem = await get(`${META}/managed-ssh-keys/signer-cert/`);
  if (chainPem === '') throw new Exit(255);
  // OCSP staples (step 11) are not emulated: the sandbox CA publishes no responder.
  clockMs = Number(await get(CLOCK_PATH));
  if (!Number.isFinite(clockMs)) throw new Exit(255);
  const signerKey = checkSigner(chainPem, expectedCn);

  const bundle = await imdsRequest('GET', `${META}/managed-ssh-keys/active-keys/${user}/`, token);
  if (bundle.curlCode !== 0) throw new Exit(bundle.curlCode);
  if (expectedFingerprint !== '') {
    log(`Querying EC2 Instance Connect keys for matching fingerprint: ${expectedFingerprint}`);
  }
  return acceptedKeys(bundle.body, { instanceId, signerKey, nowSeconds: Math.floor(clockMs / 1000) });
}

// Step 1: an IMDSv2 session token with a 5 s TTL.
async function fetchToken() {
  const res = await imdsRequest('PUT', '/latest/api/token', undefined, { 'X-aws-ec2-metadata-token-ttl-seconds': '5' });
  if (res.curlCode !== 0) {
    log('EC2 Instance Connect failed to establish trust with Instance Metadata Service');
    throw new Exit(255);
  }
  if (res.body.trim() === '') {
    log('EC2 Instance Connect failed to get a token to invoke Instance Metadata Service');
    throw new Exit(255);
  }
  return res.body.trim();
}

// Step 4: the user must be given, exist (`id -u`), and be safe to put in a URL.
function checkUser() {
  if (user === '') {
    log('EC2 Instance Connect was invoked without a user to authorize and will do nothing.');
    throw new Exit(1);
  }
  try {
    execFileSync('id', ['-u', '--', user], { stdio: 'ignore' });
  } catch {
    throw new Exit(0); // unknown user: let sshd deal with it
  }
  if (user.includes('/')) {
    log('EC2 Instance Connect encountered dangerous user name containing slashes and will do nothing.');
    throw new Exit(1);
  }
}

// A GET whose failure ends the command with curl's status, as `set -e` + `curl -f`
// do (§3.2: the "status 22" failure). Trailing newlines go, as `$(…)` drops them.
async function imdsGet(path, token) {
  const res = await imdsRequest('GET', path, token);
  if (res.curlCode !== 0) throw new Exit(res.curlCode);
  return res.body.replace(/\n+$/, '');
}

// One IMDS request with curl's 1 s limit; curlCode mirrors curl's exit status
// (0 ok, 7 cannot connect, 22 HTTP error with -f, 28 timeout, 56 receive failure).
function imdsRequest(method, path, token, extraHeaders = {}) {
  return new Promise((resolve) => {
    const headers = token === undefined ? { ...extraHeaders } : { ...extraHeaders, 'X-aws-ec2-metadata-token': token };
    const settle = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
    const req = request(new URL(path, opts.imds), { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', () => settle({ status: 0, body: '', curlCode: 56 }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        settle({ status, body: Buffer.concat(chunks).toString('utf8'), curlCode: status >= 400 ? 22 : 0 });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ status: 0, body: '', curlCode: 28 });
    }, REQUEST_MS);
    req.on('error', (err) => settle({ status: 0, body: '', curlCode: err.code === 'ECONNRESET' ? 56 : 7 }));
    req.end();
  });
}

// §5.1: the signer (first certificate of the chain) must carry exactly the expected
// CN and chain to the CA this instance trusts; its public key verifies the blocks.
function checkSigner(chainPem, expectedCn) {
  const chain = parseCertificates(chainPem);
  if (chain.length === 0 || commonNameOf(chain[0]) !== expectedCn) {
    log('EC2 Instance Connect encountered an unrecognized signer certificate. No keys have been trusted.');
    throw new Exit(1);
  }
  const anchor = parseCertificates(readFileOr(opts.ca, ''))[0];
  if (anchor === undefined || !chainsTo(chain, anchor)) {
    log('EC2 Instance Connect could not verify the signer trust chain. No keys have been trusted.');
    throw new Exit(1);
  }
  return chain[0].publicKey;
}

// The PEM certificates in `text`, in order; none if any of them does not parse.
function parseCertificates(text) {
  try {
    const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    return pems.map((pem) => new X509Certificate(pem));
  } catch {
    return [];
  }
}

function readFileOr(path, fallback) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

// The subject's CN, or undefined when there is none or more than one.
function commonNameOf(cert) {
  const names = cert.subject.split('\n').filter((part) => part.startsWith('CN='));
  return names.length === 1 ? names[0].slice(3) : undefined;
}

// Like `openssl verify -CAfile <intermediates + CA>` at the instance's time: each
// certificate is issued and signed by the next, intermediates and the anchor are CAs,
// every certificate is within its validity period, and the anchor signed itself.
function chainsTo(chain, anchor) {
  if (!anchor.ca || !anchor.verify(anchor.publicKey) || !isCurrent(anchor)) return false;
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i];
    if (cert.fingerprint256 === anchor.fingerprint256) return true;
    const issuer = chain[i + 1] ?? anchor;
    if (!issuer.ca || !isCurrent(cert) || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false;
  }
  return true;
}

function isCurrent(cert) {
  return Date.parse(cert.validFrom) <= clockMs && clockMs <= Date.parse(cert.validTo);
}

// §4 and §5.2: split the bundle into blocks and keep the keys that pass every rule.
function acceptedKeys(body, { instanceId, signerKey, nowSeconds }) {
  const lines = body.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const accepted = [];
  let i = 0;
  while (i < lines.length) {
    const fields = {};
    let signed = '';
    // Every `#` line is signed, recognised or not (unknown fields are forward-compatible).
    for (; i < lines.length && lines[i].startsWith('#'); i++) {
      const match = /^#(Timestamp|Instance|Caller|Request)=(.*)$/.exec(lines[i]);
      if (match) fields[match[1]] = match[2];
      signed += `${lines[i]}\n`;
    }
    const key = lines[i] ?? '';
    let signature = '';
    if (key.startsWith('ssh')) {
      signed += `${key}\n`;
      for (i++; i < lines.length && lines[i] !== ''; i++) signature += lines[i];
    } else {
      // Not a key line: skip the rest of the block.
      for (; i < lines.length && lines[i] !== ''; i++);
    }
    i++; // the blank line between blocks
    if (key.startsWith('ssh') && blockAccepted({ fields, key, signed, signature, instanceId, signerKey, nowSeconds })) {
      accepted.push(key);
    }
  }
  return accepted;
}

function blockAccepted({ fields, key, signed, signature, instanceId, signerKey, nowSeconds }) {
  const timestamp = /^-?\d+$/.test(fields.Timestamp ?? '') ? Number(fields.Timestamp) : 0;
  if (!fields.Instance || timestamp === 0) return false;
  const fingerprint = fingerprintOf(key);
  // A line ssh-keygen cannot read has no fingerprint, and we never hand it to sshd.
  if (fingerprint === undefined) return false;
  if (expectedFingerprint !== '' && fingerprint !== expectedFingerprint) return false;
  // #Timestamp is the expiry: the key is live while it is later than the instance clock.
  if (fields.Instance !== instanceId || !(timestamp > nowSeconds)) return false;
  if (!signatureValid(signed, signature, signerKey)) return false;
  let message = `Providing ssh key from EC2 Instance Connect with fingerprint: ${fingerprint}`;
  if (fields.Request) message += `, request-id: ${fields.Request}`;
  if (fields.Caller) message += `, for IAM principal: ${fields.Caller}`;
  log(message);
  return true;
}

// RSA-PSS, SHA-256, salt length exactly 32, over the block's signed lines (§5.2).
function signatureValid(signed, signature, signerKey) {
  // Strict base64, as `base64 --decode` is: anything else is not a signature.
  if (signature === '' || signature.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return verify(
      'sha256',
      Buffer.from(signed, 'utf8'),
      { key: signerKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}

// `SHA256:` + unpadded base64 of SHA-256 over the key blob (what `%f` and
// `ssh-keygen -l` print); undefined unless the blob names the line's key type.
function fingerprintOf(keyLine) {
  const [type, base64] = keyLine.split(/[ \t]+/);
  if (base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  if (blob.length < 4 || blob.readUInt32BE(0) + 4 > blob.length) return undefined;
  if (blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1') !== type) return undefined;
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}
