// Parsing of AWS Query-protocol parameters (EC2 and STS): the form body
// `Action=…&Version=…&InstanceId.1=…&Filter.1.Name=…&Filter.1.Value.1=…`, with lists
// flattened as `Name.N` (1-based, eice.md §2.1). QueryParams remembers which parameters
// an operation read, so the caller can reject the rest the way EC2 does
// ("UnknownParameter: The parameter Foo is not recognized") instead of ignoring them.

// A client error in the parameters themselves; the caller renders it in its protocol.
export class QueryError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface QueryFilter {
  Name: string;
  Values: string[];
}

// Decodes an application/x-www-form-urlencoded body ('+' is a space, %XX a byte of UTF-8).
// A repeated name keeps its last value, as a form decoder does.
export function parseFormBody(body: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of body.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeFormComponent(eq < 0 ? part : part.slice(0, eq));
    params.set(key, decodeFormComponent(eq < 0 ? '' : part.slice(eq + 1)));
  }
  return params;
}

function decodeFormComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new QueryError('MalformedQueryString', `The query string contains a syntax error: '${value}' is not valid percent-encoding.`);
  }
}

// 1-based list indexes as the Query protocol writes them ("1", "2", … — never "0" or "01").
const INDEX = '([1-9][0-9]*)';

export class QueryParams {
  readonly raw: ReadonlyMap<string, string>;
  private readonly used = new Set<string>();

  constructor(raw: Map<string, string>) {
    this.raw = raw;
  }

  get(name: string): string | undefined {
    if (this.raw.has(name)) this.used.add(name);
    return this.raw.get(name);
  }

  // `<prefix>.N` values ordered by N (gaps allowed, as the services accept them).
  list(prefix: string): string[] {
    const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.${INDEX}$`);
    const found: Array<[number, string]> = [];
    for (const [key, value] of this.raw) {
      const m = pattern.exec(key);
      if (m) {
        this.used.add(key);
        found.push([Number(m[1]), value]);
      }
    }
    return found.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }

  // `Filter.N.Name` + `Filter.N.Value.M`, ordered by N then M.
  filters(): QueryFilter[] {
    const byIndex = new Map<number, { name?: string; values: Array<[number, string]> }>();
    const namePattern = new RegExp(`^Filter\\.${INDEX}\\.Name$`);
    const valuePattern = new RegExp(`^Filter\\.${INDEX}\\.Value\\.${INDEX}$`);
    for (const [key, value] of this.raw) {
      const n = namePattern.exec(key);
      const v = n ? undefined : valuePattern.exec(key);
      if (!n && !v) continue;
      this.used.add(key);
      const index = Number((n ?? v)![1]);
      const entry = byIndex.get(index) ?? { values: [] };
      if (n) entry.name = value;
      else entry.values.push([Number(v![2]), value]);
      byIndex.set(index, entry);
    }
    return [...byIndex.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([index, entry]) => {
        if (entry.name === undefined) {
          throw new QueryError('MissingParameter', `The request must contain the parameter Filter.${index}.Name`);
        }
        return { Name: entry.name, Values: entry.values.sort((a, b) => a[0] - b[0]).map(([, value]) => value) };
      });
  }

  integer(name: string): number | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (!/^-?[0-9]+$/.test(value)) {
      throw new QueryError('InvalidParameterValue', `Value (${value}) for parameter ${lowerFirst(name)} is invalid. Expected an integer.`);
    }
    return Number(value);
  }

  boolean(name: string): boolean | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') {
      throw new QueryError('InvalidParameterValue', `Value (${value}) for parameter ${lowerFirst(name)} is invalid. Expected: 'true' or 'false'.`);
    }
    return value === 'true';
  }

  // Parameters nobody asked for (Action and Version belong to the protocol itself).
  unknown(): string[] {
    return [...this.raw.keys()].filter((k) => k !== 'Action' && k !== 'Version' && !this.used.has(k));
  }

  // Throws EC2's error for the first parameter the operation does not define.
  rejectUnknown(): void {
    const [first] = this.unknown();
    if (first !== undefined) throw new QueryError('UnknownParameter', `The parameter ${first} is not recognized`);
  }

  toRecord(): Record<string, string> {
    return Object.fromEntries(this.raw);
  }
}

// Filter values are case-sensitive globs (EC2 "Filter" docs): '*' any run, '?' one character, '\' escapes.
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) source += escapeChar(pattern[++i]!);
    else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += escapeChar(c);
  }
  return new RegExp(`^${source}$`, 'su');
}

function escapeChar(c: string): string {
  // Syntax characters only: with the 'u' flag any other escape is a SyntaxError.
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

// EC2 error messages name parameters by their wire name with a lower-case first letter
// ("maxResults", "instancesSet").
export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
