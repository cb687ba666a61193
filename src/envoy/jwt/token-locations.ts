/**
 * Where a provider finds tokens (Envoy's JWT extractor): `fromHeaders` (with an optional value
 * prefix such as `Bearer `, compared ASCII case-insensitively), `fromParams` (query parameters,
 * percent-decoded), `fromCookies`. A provider with none of them uses Envoy's defaults: the
 * `Authorization` header with prefix `Bearer ` and the `access_token` query parameter.
 */
import type { RequestHeaders } from '../header-matcher.js';
import { asciiLower } from '../string-matcher.js';
import type { JwtProvider } from './types.js';

/** One place a token may be. */
export type TokenLocation =
  | { readonly kind: 'header'; readonly name: string; readonly prefix: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string };

/** A token found in a request, and where. */
export interface FoundToken {
  readonly token: string;
  readonly location: TokenLocation;
}

const DEFAULT_LOCATIONS: readonly TokenLocation[] = Object.freeze([
  { kind: 'header' as const, name: 'authorization', prefix: 'bearer ' },
  { kind: 'param' as const, name: 'access_token' },
]);

/** The locations of a provider (lower-cased header names and prefixes). */
export function tokenLocations(p: JwtProvider): readonly TokenLocation[] {
  const out: TokenLocation[] = [];
  for (const h of p.fromHeaders ?? []) out.push({ kind: 'header', name: asciiLower(h.name ?? ''), prefix: asciiLower(h.valuePrefix ?? '') });
  for (const q of p.fromParams ?? []) out.push({ kind: 'param', name: q });
  for (const c of p.fromCookies ?? []) out.push({ kind: 'cookie', name: c });
  return out.length > 0 ? out : DEFAULT_LOCATIONS;
}

function first(v: string | readonly string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] as string | undefined) : undefined;
}

/** Cuts a token out of a header value after `prefix` (up to a ',' or whitespace). */
function fromHeaderValue(value: string, prefix: string): string | undefined {
  let start = 0;
  if (prefix !== '') {
    const lower = asciiLower(value);
    const at = lower.indexOf(prefix);
    if (at < 0) return undefined;
    start = at + prefix.length;
  }
  let end = start;
  while (end < value.length && value[end] !== ',' && value[end] !== ' ' && value[end] !== '\t') end++;
  const token = value.slice(start, end);
  return token === '' ? undefined : token;
}

function queryParam(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  if (q < 0) return undefined;
  for (const part of path.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    const k = eq >= 0 ? part.slice(0, eq) : part;
    if (k !== name) continue;
    const v = eq >= 0 ? part.slice(eq + 1) : '';
    try {
      return decodeURIComponent(v.replace(/\+/g, ' ')) || undefined;
    } catch {
      return v || undefined;
    }
  }
  return undefined;
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Every token present at the given locations. */
export function findTokens(locations: readonly TokenLocation[], headers: RequestHeaders, path: string): FoundToken[] {
  const out: FoundToken[] = [];
  for (const loc of locations) {
    let token: string | undefined;
    if (loc.kind === 'header') {
      const v = first(headers[loc.name]);
      token = v === undefined ? undefined : fromHeaderValue(v, loc.prefix);
    } else if (loc.kind === 'param') token = queryParam(path, loc.name);
    else token = cookie(first(headers['cookie']), loc.name);
    if (token !== undefined) out.push({ token, location: loc });
  }
  return out;
}
