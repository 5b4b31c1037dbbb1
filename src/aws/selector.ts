// The SELECTOR grammar of `eic-ssh ls` and `eic-ssh run` (and of a single TARGET),
// parsed purely into EC2 DescribeInstances filters. Grammar:
//
//   SELECTOR  := '*' | TERM (',' TERM)*        terms are ORed (the union of their matches)
//   TERM      := CONDITION ('+' CONDITION)*    conditions are ANDed
//   CONDITION := i-0123…         instance id
//              | 10.0.1.7        private or public IPv4 address
//              | ip-10-0-1-7.ec2.internal | ec2-3-80-1-2.compute-1.amazonaws.com   DNS name
//              | tag:KEY=VALUE   tag KEY equals VALUE (VALUE may use * and ?)
//              | NAME            Name tag, exact, or a glob when it has * or ? (web-*)
//
// Globs are EC2's own: the DescribeInstances tag filters accept `*` (any run) and `?`
// (one character), `\` escapes them (EC2 API reference, "DescribeInstances", Filter.N).
// A value holding ',' or '+' cannot be written here; `--filter Name=tag:K,Values=…`
// passes any EC2 filter through unchanged.
import { UsageError } from '../errors.js';
import type { Ec2Filter } from './aws.js';

export type Condition =
  | { kind: 'id'; instanceId: string }
  | { kind: 'ip'; address: string }
  | { kind: 'dns'; hostname: string }
  | { kind: 'name'; name: string }
  | { kind: 'tag'; key: string; value: string };

export interface SelectorTerm {
  text: string;
  conditions: Condition[];
}

export type Selector = { kind: 'all' } | { kind: 'terms'; terms: SelectorTerm[] };

const INSTANCE_ID = /^i-[0-9a-f]{8,32}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?$/i;

const GRAMMAR_HINT = "a selector is '*', or TERMs separated by ',', each CONDITIONs joined by '+': an instance id, an IPv4 address, a DNS name, a Name (glob: web-*), or tag:KEY=VALUE";

export function parseSelector(text: string): Selector {
  const trimmed = text.trim();
  if (trimmed === '*') return { kind: 'all' };
  if (trimmed === '') throw new UsageError('empty selector', GRAMMAR_HINT);
  return { kind: 'terms', terms: trimmed.split(',').map((part) => parseTerm(part.trim(), text)) };
}

// One TERM (no commas): what a single TARGET of `eic-ssh` may be.
export function parseTerm(text: string, whole = text): SelectorTerm {
  if (text === '') throw new UsageError(`empty term in selector '${whole}'`, GRAMMAR_HINT);
  return { text, conditions: text.split('+').map((c) => parseCondition(c, whole)) };
}

export function parseCondition(text: string, whole = text): Condition {
  if (text === '') throw new UsageError(`empty condition in '${whole}'`, GRAMMAR_HINT);
  if (text.startsWith('tag:')) {
    const eq = text.indexOf('=');
    const key = eq < 0 ? '' : text.slice(4, eq);
    if (eq < 0 || key === '') throw new UsageError(`'${text}' is not tag:KEY=VALUE`, 'for example tag:env=prod (VALUE may use * and ?)');
    return { kind: 'tag', key, value: text.slice(eq + 1) };
  }
  if (INSTANCE_ID.test(text)) return { kind: 'id', instanceId: text };
  if (IPV4.test(text)) return { kind: 'ip', address: text };
  if (DNS_NAME.test(text) && text.includes('.')) return { kind: 'dns', hostname: text.replace(/\.$/, '').toLowerCase() };
  return { kind: 'name', name: text };
}

// Each condition as alternatives (ORed) of filter sets (ANDed): an address may be
// private or public, so it needs two DescribeInstances queries.
export function conditionAlternatives(condition: Condition): Ec2Filter[][] {
  switch (condition.kind) {
    case 'id':
      return [[{ name: 'instance-id', values: [condition.instanceId] }]];
    case 'ip':
      return [[{ name: 'private-ip-address', values: [condition.address] }], [{ name: 'ip-address', values: [condition.address] }]];
    case 'dns':
      return [[{ name: 'private-dns-name', values: [condition.hostname] }], [{ name: 'dns-name', values: [condition.hostname] }]];
    case 'name':
      return [[{ name: 'tag:Name', values: [condition.name] }]];
    case 'tag':
      return [[{ name: `tag:${condition.key}`, values: [condition.value] }]];
  }
}

// The DescribeInstances queries whose union is the TERM: the cross product of its
// conditions' alternatives (two addresses ANDed make four queries at most).
export function termQueries(term: SelectorTerm): Ec2Filter[][] {
  let queries: Ec2Filter[][] = [[]];
  for (const condition of term.conditions) {
    queries = queries.flatMap((q) => conditionAlternatives(condition).map((alt) => [...q, ...alt]));
  }
  return queries;
}

// `--filter Name=KEY,Values=V1,V2` (the aws CLI's shorthand) as one EC2 filter.
export function parseFilterOption(text: string): Ec2Filter {
  const match = /^Name=([^,]+),Values=(.+)$/.exec(text);
  if (!match) throw new UsageError(`--filter '${text}' is not Name=NAME,Values=V1[,V2…]`, 'for example --filter Name=instance-type,Values=t3.micro,t3.small');
  const values = match[2].split(',');
  if (values.some((v) => v === '')) throw new UsageError(`--filter '${text}' has an empty value`, 'separate values with single commas');
  return { name: match[1], values };
}

export function hasGlob(text: string): boolean {
  return /(^|[^\\])[*?]/.test(text);
}
