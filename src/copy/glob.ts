// Matching one path segment against a glob(3)/fnmatch(3) pattern, for remote globs
// such as 'web-1:/var/log/*.log' (scp expands remote sources with glob(3) over SFTP,
// sftp-glob.c). Supported: '*', '?', '[abc]', '[a-z]', '[!x]' / '[^x]', and '\' to
// quote the next character. As in glob(3) without GLOB_PERIOD, a leading '.' in a
// name is only matched by a literal '.' in the pattern. Pure.

export function matchSegment(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.') && !pattern.startsWith('\\.')) return false;
  return matchFrom(pattern, 0, name, 0);
}

function matchFrom(p: string, pi: number, s: string, si: number): boolean {
  // Iterative with backtracking to the last '*': linear in practice, bounded by |p|·|s|.
  let starP = -1;
  let starS = -1;
  while (si < s.length) {
    if (pi < p.length && p[pi] === '*') {
      starP = ++pi;
      starS = si;
      continue;
    }
    const step = pi < p.length ? matchOne(p, pi, s[si]) : -1;
    if (step > 0) {
      pi += step;
      si++;
      continue;
    }
    if (starP < 0) return false;
    pi = starP;
    si = ++starS;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

// How many pattern characters match `c` at p[pi] (0 = no match).
function matchOne(p: string, pi: number, c: string): number {
  const ch = p[pi];
  if (ch === '?') return 1;
  if (ch === '\\' && pi + 1 < p.length) return p[pi + 1] === c ? 2 : 0;
  if (ch === '[') {
    const cls = parseClass(p, pi);
    if (cls) return cls.matches(c) ? cls.length : 0;
  }
  return ch === c ? 1 : 0;
}

function parseClass(p: string, start: number): { length: number; matches(c: string): boolean } | undefined {
  let i = start + 1;
  const negate = p[i] === '!' || p[i] === '^';
  if (negate) i++;
  const ranges: Array<[string, string]> = [];
  let first = true;
  for (; i < p.length; i++) {
    if (p[i] === ']' && !first) {
      return { length: i - start + 1, matches: (c) => ranges.some(([lo, hi]) => c >= lo && c <= hi) !== negate };
    }
    first = false;
    let lo = p[i];
    if (lo === '\\' && i + 1 < p.length) lo = p[++i];
    if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
      let hi = p[i + 2];
      i += 2;
      if (hi === '\\' && i + 1 < p.length) hi = p[++i];
      ranges.push([lo, hi]);
    } else {
      ranges.push([lo, lo]);
    }
  }
  return undefined; // no closing ']': the '[' is a literal character
}

export function segmentHasMagic(segment: string): boolean {
  return /[*?[]/.test(segment);
}

// Removes glob quoting from a segment without magic (so 'a\*b' names the file 'a*b').
export function unescapeSegment(segment: string): string {
  return segment.replace(/\\(.)/g, '$1');
}
