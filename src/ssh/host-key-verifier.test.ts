import { describe, expect, it } from 'vitest';
import { changedHostKeyWarning, hostKeyChangedHint, removeHostKeyCommand } from './host-key-messages.js';
import { createHostKeyVerifier, type HostKeyStore } from './host-key-verifier.js';
import { generateEphemeralKey } from './key.js';
import { parseKnownHosts, type StrictHostKeyChecking } from './known-hosts.js';
import { fingerprintOfPublicKey, parsePublicKeyLine } from './openssh-key-format.js';

const ID = 'i-0123456789abcdef0';
const FIXED_LINE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29v';
const RECORDED = generateEphemeralKey().publicLine;
const OTHER = generateEphemeralKey().publicLine;

const blobOf = (line: string) => parsePublicKeyLine(line)?.blob ?? Buffer.alloc(0);

// An in-memory store holding `text` as the file content.
function store(text: string, failWrites = false): HostKeyStore & { added: string[] } {
  const added: string[] = [];
  return {
    path: '/home/u/.eic-ssh/known_hosts',
    added,
    lookup: async (id) => parseKnownHosts(text).filter((e) => e.hosts.includes(id)),
    add: async (id, keyLine) => {
      if (failWrites) throw new Error('read-only file system');
      added.push(`${id} ${keyLine}`);
    },
  };
}

async function verify(policy: StrictHostKeyChecking, fileText: string, presented: string, failWrites = false) {
  const knownHosts = store(fileText, failWrites);
  const warnings: string[] = [];
  const verdict = await createHostKeyVerifier({ knownHosts, instanceId: ID, policy, warn: (t) => warnings.push(t) })(
    blobOf(presented),
  );
  return { verdict, warnings: warnings.join(''), added: knownHosts.added };
}

describe('createHostKeyVerifier', () => {
  it('accepts a recorded key silently', async () => {
    expect(await verify('yes', `# c\n${ID} ${RECORDED}\n`, RECORDED)).toEqual({ verdict: true, warnings: '', added: [] });
  });

  it('records the key of a new host under accept-new and says so', async () => {
    const result = await verify('accept-new', '', RECORDED);
    expect(result.verdict).toBe(true);
    expect(result.added).toEqual([`${ID} ${RECORDED}`]);
    expect(result.warnings).toBe(`Warning: Permanently added '${ID}' (ED25519) to the list of known hosts.\n`);
  });

  it('still connects when the new key cannot be saved, as OpenSSH does', async () => {
    const result = await verify('accept-new', '', RECORDED, true);
    expect(result.verdict).toBe(true);
    expect(result.warnings).toContain('Failed to add the host to the list of known hosts');
  });

  it('refuses a new host under yes without recording it', async () => {
    const result = await verify('yes', '', RECORDED);
    expect(result.verdict).toEqual({ refuse: 'unknown', message: expect.stringContaining('StrictHostKeyChecking=yes') });
    expect(result.added).toEqual([]);
  });

  it.each(['yes', 'accept-new'] as const)('refuses a changed key under %s with the OpenSSH warning block', async (policy) => {
    const result = await verify(policy, `# c\n\n${ID} ${RECORDED}\n`, OTHER);
    expect(result.verdict).toEqual({ refuse: 'changed', message: expect.stringContaining('has changed') });
    expect(result.added).toEqual([]);
    expect(result.warnings).toContain('@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @');
    expect(result.warnings).toContain(`${fingerprintOfPublicKey(blobOf(OTHER))}.\n`);
    expect(result.warnings).toContain('Offending ED25519 key in /home/u/.eic-ssh/known_hosts:3');
    expect(result.warnings).toContain(removeHostKeyCommand(ID));
  });

  it('lets a changed key through under no, loudly, without touching the file', async () => {
    const result = await verify('no', `${ID} ${RECORDED}\n`, OTHER);
    expect(result.verdict).toBe(true);
    expect(result.added).toEqual([]);
    expect(result.warnings).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(result.warnings).toContain('anyway because StrictHostKeyChecking=no; the known-hosts file was not updated');
  });
});

describe('host-key messages', () => {
  it('writes the changed-key block in OpenSSH layout', () => {
    expect(changedHostKeyWarning({ instanceId: ID, presentedKeyLine: FIXED_LINE, file: '/k', line: 12 })).toBe(
      [
        '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
        '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
        '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
        'IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!',
        'Someone could be eavesdropping on you right now (man-in-the-middle attack)!',
        'It is also possible that a host key has just been changed.',
        `The fingerprint for the ED25519 key sent by ${ID} is`,
        'SHA256:93LvTUfq4MLfFs+8oEKxpx3i0p7aL0ocuhJOowIlRdE.',
        'Please contact your system administrator.',
        'Add correct host key in /k to get rid of this message.',
        'Offending ED25519 key in /k:12',
        '  remove with:',
        `  eic-ssh known-hosts --remove ${ID}`,
        '',
      ].join('\n'),
    );
  });

  it('uses the same remove command in the error hint', () => {
    expect(hostKeyChangedHint(ID)).toContain(removeHostKeyCommand(ID));
  });
});
