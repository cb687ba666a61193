/**
 * Envoy's route `HeaderMatcher` and `QueryParameterMatcher` lists, compiled once into predicates
 * over a request view cheap to build from a Node `http.IncomingMessage`.
 *
 * Header semantics (Envoy `Http::HeaderUtility::matchHeaders`, read in envoyproxy/envoy):
 * - every matcher of a list must match; an empty list matches;
 * - the value of a repeated header is all its values joined with "," (Envoy ≤ 1.38; later Envoys
 *   can match values one by one behind a runtime guard, not modelled here);
 * - no specifier at all means "present"; deprecated `exactMatch: ''` matches any present value;
 * - a missing header (unless `treatMissingHeaderAsEmpty`, which matches against "") matches only
 *   `presentMatch: false`, or `presentMatch: true` with `invertMatch` — an inverted value matcher
 *   does NOT match a missing header;
 * - otherwise the specifier's result is XORed with `invertMatch` (`presentMatch: false` on a
 *   present header is false, true when inverted);
 * - `rangeMatch` parses the value as a decimal int64 (surrounding ASCII spaces and a sign allowed)
 *   and matches start <= v < end;
 * - `:authority` (and its legacy alias `host`, which Envoy's header map maps to `:authority`),
 *   `:method`, `:path` (with query) and `:scheme` read the request's pseudo-headers.
 *
 * Query semantics (Envoy `ConfigUtility::QueryParameterMatcher`): the query is everything after the
 * first "?", split on "&", each part at its first "=" (no "=" gives ""), NOT percent-decoded; only
 * the first value of a name counts; `presentMatch: true|false` matches presence|absence (Envoy's
 * current default, runtime guard `enable_new_query_param_present_match_behavior`); a string matcher
 * needs the parameter present; no specifier means "present".
 */
import { EnvoyConfigError, EnvoyConfigErrorCode } from './errors.js';
import { asciiLower, compileRegexMatcher, compileStringMatcher, type StringPredicate } from './string-matcher.js';
import type { HeaderMatcher, QueryParameterMatcher } from './types.js';

/** One header's value(s): Node gives a string (repeats joined with ", ") or, for set-cookie and
 *  in `headersDistinct`, an array (joined here with "," as Envoy does). */
export type HeaderValues = string | readonly string[] | undefined;

/** Request headers by lower-case name: `IncomingMessage.headers` or `.headersDistinct` fit. */
export type RequestHeaders = Readonly<Record<string, HeaderValues>>;

/** The parts of a request that header matching reads. */
export interface RequestAttributes {
  /** `:authority` / Host as received, possibly with `:port`; undefined when the request has none. */
  readonly authority: string | undefined;
  readonly method: string;
  /** `:path` including the query string. */
  readonly path: string;
  /** The request's scheme as the HCM settled it (x-forwarded-proto): `http` or `https`. */
  readonly scheme: string;
  readonly headers: RequestHeaders;
}

/** A compiled list of header matchers. */
export type HeaderPredicate = (req: RequestAttributes) => boolean;

/** Query parameters of one request: first value per name, as Envoy matches them. */
export type QueryParams = ReadonlyMap<string, string>;

/** A compiled list of query parameter matchers. */
export type QueryPredicate = (query: QueryParams) => boolean;

type Getter = (req: RequestAttributes) => string | undefined;

/** Reads one header from a request the way Envoy's header map would (see the file comment). */
export function headerValue(req: RequestAttributes, lowerName: string): string | undefined {
  return getterFor(lowerName)(req);
}

function joined(v: HeaderValues): string | undefined {
  if (typeof v === 'string') return v;
  // Anything else that is not an array (e.g. an inherited property of a plain object) is absent.
  if (!Array.isArray(v)) return undefined;
  return v.length === 0 ? undefined : v.length === 1 ? (v[0] as string) : v.join(',');
}

function getterFor(name: string): Getter {
  switch (name) {
    case ':authority':
    case 'host':
      return (r) => r.authority;
    case ':method':
      return (r) => r.method;
    case ':path':
      return (r) => r.path;
    case ':scheme':
      return (r) => r.scheme;
    default:
      return (r) => joined(r.headers[name]);
  }
}

/** Parses a header value as absl::SimpleAtoi<int64> would; undefined when it is not one. */
function parseInt64(v: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) && Math.abs(n) <= 9223372036854775807 ? n : undefined;
}

/** Compiles one HeaderMatcher; `where` names it in errors. */
export function compileHeaderMatcher(m: HeaderMatcher, where = 'headers[0]'): HeaderPredicate {
  const name = asciiLower(m.name ?? '');
  if (name === '') throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, `${where}.name`, 'header name is required');
  const get = getterFor(name);
  const invert = m.invertMatch === true;
  const missingAsEmpty = m.treatMissingHeaderAsEmpty === true;

  if (m.presentMatch !== undefined || isPresenceOnly(m)) {
    const want = m.presentMatch ?? true;
    // Missing: Envoy returns present && invert (inverted) or !present (plain), i.e. want !== present
    // XOR invert, where present = false. Present: want XOR invert. treatMissingHeaderAsEmpty makes a
    // missing header count as present with value "".
    return (r) => {
      const present = get(r) !== undefined || missingAsEmpty;
      return (want === present) !== invert;
    };
  }

  const test = valuePredicate(m, where);
  return (r) => {
    let v = get(r);
    if (v === undefined) {
      if (!missingAsEmpty) return false;
      v = '';
    }
    return test(v) !== invert;
  };
}

function isPresenceOnly(m: HeaderMatcher): boolean {
  return m.stringMatch === undefined && m.rangeMatch === undefined && m.exactMatch === undefined &&
    m.prefixMatch === undefined && m.suffixMatch === undefined && m.containsMatch === undefined &&
    m.safeRegexMatch === undefined;
}

function valuePredicate(m: HeaderMatcher, where: string): StringPredicate {
  if (m.stringMatch !== undefined) return compileStringMatcher(m.stringMatch, `${where}.stringMatch`);
  if (m.exactMatch !== undefined) {
    const want = m.exactMatch;
    return want === '' ? () => true : (v) => v === want;
  }
  if (m.prefixMatch !== undefined) {
    const want = m.prefixMatch;
    return (v) => v.startsWith(want);
  }
  if (m.suffixMatch !== undefined) {
    const want = m.suffixMatch;
    return (v) => v.endsWith(want);
  }
  if (m.containsMatch !== undefined) {
    const want = m.containsMatch;
    return (v) => v.includes(want);
  }
  if (m.safeRegexMatch !== undefined) return compileRegexMatcher(m.safeRegexMatch, `${where}.safeRegexMatch`);
  const start = m.rangeMatch?.start ?? 0;
  const end = m.rangeMatch?.end ?? 0;
  return (v) => {
    const n = parseInt64(v);
    return n !== undefined && n >= start && n < end;
  };
}

/** Compiles a list of HeaderMatchers (all must match); undefined when the list is empty. */
export function compileHeaderMatchers(ms: readonly HeaderMatcher[] | undefined, where = 'headers'): HeaderPredicate | undefined {
  if (!ms || ms.length === 0) return undefined;
  const preds = ms.map((m, i) => compileHeaderMatcher(m, `${where}[${i}]`));
  if (preds.length === 1) return preds[0];
  return (r) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(r)) return false;
    return true;
  };
}

/** Parses the query string of a `:path` as Envoy does for route matching (first value wins). */
export function parseQueryParams(path: string): Map<string, string> {
  const params = new Map<string, string>();
  let start = path.indexOf('?');
  if (start < 0) return params;
  start++;
  while (start < path.length) {
    let end = path.indexOf('&', start);
    if (end < 0) end = path.length;
    const eq = path.indexOf('=', start);
    let name: string;
    let value: string;
    if (eq >= 0 && eq < end) {
      name = path.slice(start, eq);
      value = path.slice(eq + 1, end);
    } else {
      name = path.slice(start, end);
      value = '';
    }
    if (!params.has(name)) params.set(name, value);
    start = end + 1;
  }
  return params;
}

/** Compiles one QueryParameterMatcher. */
export function compileQueryParameterMatcher(m: QueryParameterMatcher, where = 'queryParameters[0]'): QueryPredicate {
  const name = m.name ?? '';
  if (name === '') throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, `${where}.name`, 'query parameter name is required');
  if (m.presentMatch !== undefined) {
    const want = m.presentMatch;
    return (q) => q.has(name) === want;
  }
  if (m.stringMatch === undefined) return (q) => q.has(name);
  const test = compileStringMatcher(m.stringMatch, `${where}.stringMatch`);
  return (q) => {
    const v = q.get(name);
    return v !== undefined && test(v);
  };
}

/** Compiles a list of QueryParameterMatchers (all must match); undefined when the list is empty. */
export function compileQueryParameterMatchers(ms: readonly QueryParameterMatcher[] | undefined, where = 'queryParameters'): QueryPredicate | undefined {
  if (!ms || ms.length === 0) return undefined;
  const preds = ms.map((m, i) => compileQueryParameterMatcher(m, `${where}[${i}]`));
  return (q) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(q)) return false;
    return true;
  };
}
