// Import fences and the dependency list (style.md lesson 15): each rule keeps a layer
// replaceable and the shipped sandbox contained. Type-only imports are erased at
// compile time and do not count.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '..'));

interface ImportRef {
  file: string; // relative to ROOT, e.g. src/cli/ssh.ts
  spec: string;
  dynamic: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

function importsOf(file: string): ImportRef[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const refs: ImportRef[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) refs.push({ file, spec: m[2], dynamic: false });
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) refs.push({ file, spec: m[1], dynamic: false });
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) refs.push({ file, spec: m[1], dynamic: true });
  return refs;
}

// The file a relative import points at, relative to ROOT ('.js' → '.ts' source).
function target(ref: ImportRef): string | undefined {
  if (!ref.spec.startsWith('.')) return undefined;
  return relative(ROOT, join(ROOT, dirname(ref.file), ref.spec)).replace(/\.js$/, '.ts');
}

const files = sourceFiles('src');
const refs = files.flatMap(importsOf);
const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

function offenders(allowed: (file: string) => boolean, matches: (ref: ImportRef) => boolean): string[] {
  return refs.filter((r) => matches(r) && !allowed(r.file)).map((r) => `${r.file} imports ${r.spec}`);
}

describe('import fences', () => {
  it('only src/aws imports the AWS SDK and Smithy', () => {
    expect(offenders((f) => f.startsWith('src/aws/'), (r) => /^@(aws-sdk|smithy)\//.test(r.spec))).toEqual([]);
  });

  it('only src/tunnel and src/sandbox import ws', () => {
    expect(offenders((f) => f.startsWith('src/tunnel/') || f.startsWith('src/sandbox/'), (r) => packageOf(r.spec) === 'ws')).toEqual([]);
  });

  it('only src/ssh, src/copy and src/sandbox import ssh2 at run time', () => {
    const allowed = (f: string) => ['src/ssh/', 'src/copy/', 'src/sandbox/'].some((p) => f.startsWith(p));
    expect(offenders(allowed, (r) => packageOf(r.spec) === 'ssh2')).toEqual([]);
  });

  it('only src/cli/sandbox.ts reaches src/sandbox, and only through a dynamic import', () => {
    const intoSandbox = refs.filter((r) => !r.file.startsWith('src/sandbox/') && target(r)?.startsWith('src/sandbox/'));
    expect(intoSandbox.filter((r) => r.file !== 'src/cli/sandbox.ts' || !r.dynamic).map((r) => `${r.file} imports ${r.spec}`)).toEqual([]);
  });

  it('src/sandbox takes nothing from the rest of src but pure codecs', () => {
    const pureCodecs = new Set(['src/tunnel/ssm/message.ts', 'src/tunnel/ssm/handshake-payloads.ts', 'src/tunnel/ssm/control-payloads.ts']);
    const outward = refs.filter((r) => r.file.startsWith('src/sandbox/') && target(r) && !target(r)!.startsWith('src/sandbox/'));
    expect(outward.filter((r) => !pureCodecs.has(target(r)!)).map((r) => `${r.file} imports ${r.spec}`)).toEqual([]);
  });

  // The session through a live reuse master is the hot path (docs/how-it-works.md,
  // "The warm path"): from main() to it, only static imports load, and none of them
  // may reach ssh2, ws or the AWS SDK (connecting loads those on demand).
  it('the warm reuse path statically loads no ssh2, ws or AWS SDK', () => {
    const heavy = (spec: string) => ['ssh2', 'ws'].includes(packageOf(spec)) || /^@(aws-sdk|smithy)\//.test(spec);
    const seen = new Set<string>();
    const reached: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const r of refs.filter((ref) => ref.file === file && !ref.dynamic)) {
        if (heavy(r.spec)) reached.push([...path, file, r.spec].join(' → '));
        const to = target(r);
        if (to) visit(to, [...path, file]);
      }
    };
    for (const entry of ['src/main.ts', 'src/cli/ssh-args.ts', 'src/cli/ssh.ts']) visit(entry, []);
    expect(seen.has('src/mux/client.ts')).toBe(true); // the walk does reach the reuse client
    expect(reached).toEqual([]);
  });

  it('nothing in src imports test code', () => {
    expect(refs.filter((r) => target(r)?.startsWith('test/')).map((r) => `${r.file} imports ${r.spec}`)).toEqual([]);
  });

  it('src has no import cycles', () => {
    const graph = new Map<string, string[]>();
    for (const r of refs) {
      const to = target(r);
      if (to && !r.dynamic) graph.set(r.file, [...(graph.get(r.file) ?? []), to]);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (node: string, path: string[]) => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'visiting');
      for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});

describe('dependencies', () => {
  // Every runtime dependency, with the reason it is there.
  const REASONS: Record<string, string> = {
    ssh2: 'the SSH client (and the sandbox fallback server)',
    ws: 'EICE and SSM websockets',
    commander: 'subcommand argument parsing',
    '@aws-sdk/client-ec2': 'DescribeInstances, endpoints, console output',
    '@aws-sdk/client-ec2-instance-connect': 'SendSSHPublicKey',
    '@aws-sdk/client-ssm': 'StartSession and friends',
    '@aws-sdk/client-iam': 'doctor: the instance role\'s policies and SimulatePrincipalPolicy',
    '@aws-sdk/client-sts': 'GetCallerIdentity (the caller ARN in audit lines and doctor)',
    '@aws-sdk/credential-providers': 'the default credential chain (SSO, assume-role, profiles)',
    '@smithy/signature-v4': 'presigning the EICE openTunnel URL',
    '@smithy/hash-node': 'SHA-256 for the presigner',
    '@smithy/types': 'credential types (types only)',
    'cli-progress': 'copy progress bars',
    '@inquirer/search': 'the instance picker',
    'node-forge': 'X.509 certificates for the sandbox (Node cannot create them)',
  };

  it('every runtime dependency has a written reason', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).filter((d) => !(d in REASONS))).toEqual([]);
  });

  it('node-forge stays in the sandbox', () => {
    expect(offenders((f) => f.startsWith('src/sandbox/'), (r) => packageOf(r.spec) === 'node-forge')).toEqual([]);
  });
});
