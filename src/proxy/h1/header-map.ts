/**
 * Header fields collected into node:http's `IncomingHttpHeaders` shape, with node:http's rules for
 * repeated names (`IncomingMessage._addHeaderLine`, lib/_http_incoming.js): names lower-cased;
 * `set-cookie` always an array; `cookie` values joined with `; `; a second value of a field that
 * can only appear once (`content-type`, `host`, `authorization`, …) dropped; any other repeated
 * field joined with `, ` (RFC 9110 §5.3). Shared by the downstream request (server side) and the
 * upstream response parser, so both sides of the proxy see headers the same way.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Fields node:http keeps the first value of (later duplicates are dropped). */
export const SINGLE_VALUE_FIELDS: ReadonlySet<string> = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);

/** Adds one field (`name` already lower-case) to `headers` with node:http's duplicate rules. */
export function addHeader(headers: IncomingHttpHeaders, name: string, value: string): void {
  if (name === '__proto__') return;
  const old = headers[name];
  if (old === undefined) {
    headers[name] = name === 'set-cookie' ? [value] : value;
    return;
  }
  if (name === 'set-cookie') (old as string[]).push(value);
  else if (SINGLE_VALUE_FIELDS.has(name)) return;
  else headers[name] = `${old as string}${name === 'cookie' ? '; ' : ', '}${value}`;
}

/** The header map of raw fields (names and values alternating, as received). */
export function headersOf(raw: readonly string[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) addHeader(headers, raw[i]!.toLowerCase(), raw[i + 1]!);
  return headers;
}
