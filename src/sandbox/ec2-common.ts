// Pieces every sandbox EC2 action shares: the reply and error documents of the EC2
// XML dialect (eice.md §2.1), DryRun, and opaque paging tokens bound to their filters.
import { createHash } from 'node:crypto';
import type { ApiReply } from './http-api.js';
import { QueryError, type QueryFilter } from './query.js';
import { el, leaf, renderXml, withAttrs, type XmlChild } from './xml.js';

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

// HTTP status of each EC2 error code we answer ("Error codes for the Amazon EC2 API":
// client errors are 4xx, throttling 503; DryRunOperation is EC2's 412).
const STATUS: Record<string, number> = { DryRunOperation: 412, RequestLimitExceeded: 503, UnauthorizedOperation: 403 };

export function ec2ErrorReply(code: string, message: string, requestId: string, status = STATUS[code] ?? 400): ApiReply {
  const doc = el('Response', el('Errors', el('Error', leaf('Code', code), leaf('Message', message))), leaf('RequestID', requestId));
  return { status, contentType: 'text/xml;charset=UTF-8', body: renderXml(doc), errorCode: code };
}

export function ec2Reply(operation: string, requestId: string, ...children: XmlChild[]): ApiReply {
  const doc = withAttrs(el(`${operation}Response`, leaf('requestId', requestId), ...children), { xmlns: EC2_NAMESPACE });
  return { status: 200, contentType: 'text/xml;charset=UTF-8', body: renderXml(doc, { pretty: true }) };
}

export function dryRun(enabled: boolean | undefined): void {
  if (enabled) throw new QueryError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
}

export function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

// Tokens are opaque to clients but bound to the filters they were issued for.
export function fingerprint(filters: QueryFilter[]): string {
  return createHash('sha256').update(JSON.stringify(filters)).digest('hex').slice(0, 16);
}

export function makeToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ v: 1, o: offset, q: query })).toString('base64url');
}

export function readToken(token: string, query: string): number {
  try {
    const data = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; o?: unknown; q?: unknown };
    if (data.v === 1 && data.q === query && Number.isInteger(data.o) && (data.o as number) >= 0) return data.o as number;
  } catch {
    // falls through to the error below
  }
  throw new QueryError('InvalidPaginationToken', 'The specified pagination token is not valid or is expired.');
}

// One page of a listing. Tokens are bound to the filters that produced them, so a
// token replayed with other filters is refused (readToken).
export function pageOf<T>(items: T[], filters: QueryFilter[], nextToken: string | undefined, size: number): { page: T[]; next: XmlChild | undefined } {
  const query = fingerprint(filters);
  const start = nextToken === undefined ? 0 : readToken(nextToken, query);
  const more = start + size < items.length;
  return { page: items.slice(start, start + size), next: more ? leaf('nextToken', makeToken(start + size, query)) : undefined };
}
