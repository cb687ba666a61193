/**
 * Why one Envoy route did not match a request, in a few words and in Istio's terms: the first
 * condition of the route's match that fails (`uri prefix "/api": got "/reviews/0"`, `header
 * end-user exact "jason": absent`). Conditions are checked with the proxy's own matchers
 * (`src/envoy/header-matcher.ts`, `string-matcher.ts`) in the order Envoy checks them: path, headers
 * (Istio's method, authority, scheme and headers become header matchers), query parameters, gRPC,
 * runtime fraction.
 */
import { fractionHitAt, fractionPercent } from '../envoy/fractional-percent.js';
import {
  compileHeaderMatcher,
  compileQueryParameterMatcher,
  headerValue,
  parseQueryParams,
  type RequestAttributes,
} from '../envoy/header-matcher.js';
import { asciiLower, compileRegexMatcher } from '../envoy/string-matcher.js';
import type { HeaderMatcher, QueryParameterMatcher, RouteMatch, StringMatcher } from '../envoy/types.js';

/** The request as route matching sees it, with the random draw for runtime fractions. */
export interface MatchRequest extends RequestAttributes {
  readonly random: number;
}

/** The first failing condition of `match`, or undefined when the request matches it. */
export function matchFailure(match: RouteMatch | undefined, req: MatchRequest): string | undefined {
  const m = match ?? {};
  const path = pathFailure(m, req.path);
  if (path) return path;
  for (const h of m.headers ?? []) {
    if (!compileHeaderMatcher(h)(req)) return headerFailure(h, req);
  }
  if ((m.queryParameters ?? []).length > 0) {
    const query = parseQueryParams(req.path);
    for (const q of m.queryParameters ?? []) {
      if (!compileQueryParameterMatcher(q)(query)) return queryFailure(q, query.get(q.name ?? ''));
    }
  }
  if (m.grpc !== undefined) {
    const ct = headerValue(req, 'content-type');
    if (!ct?.startsWith('application/grpc')) return `gRPC only: content-type ${ct === undefined ? 'absent' : JSON.stringify(ct)}`;
  }
  if (m.runtimeFraction !== undefined) {
    const dv = m.runtimeFraction.defaultValue;
    if (!fractionHitAt(dv, false, req.random)) return `runtime fraction ${fractionPercent(dv, 0).toFixed(2)}%: not drawn (random ${req.random})`;
  }
  return undefined;
}

function pathFailure(m: RouteMatch, fullPath: string): string | undefined {
  const cut = fullPath.search(/[?#]/);
  const path = cut >= 0 ? fullPath.slice(0, cut) : fullPath;
  const ci = m.caseSensitive !== undefined && m.caseSensitive.value !== true;
  const norm = (s: string) => (ci ? asciiLower(s) : s);
  const suffix = ci ? ' (ignoring case)' : '';
  const got = `got ${JSON.stringify(path)}`;
  if (m.prefix !== undefined) {
    return norm(path).startsWith(norm(m.prefix)) ? undefined : `uri prefix ${JSON.stringify(m.prefix)}${suffix}: ${got}`;
  }
  if (m.path !== undefined) return norm(path) === norm(m.path) ? undefined : `uri exact ${JSON.stringify(m.path)}${suffix}: ${got}`;
  if (m.safeRegex !== undefined) {
    return compileRegexMatcher(m.safeRegex, 'match.safeRegex')(path) ? undefined : `uri regex ${JSON.stringify(m.safeRegex.regex)}: ${got}`;
  }
  if (m.pathSeparatedPrefix !== undefined) {
    const p = norm(m.pathSeparatedPrefix);
    const ok = norm(path).startsWith(p) && (path.length === p.length || path[p.length] === '/');
    return ok ? undefined : `uri path prefix ${JSON.stringify(m.pathSeparatedPrefix)}: ${got}`;
  }
  if (m.connectMatcher !== undefined) return undefined;
  return undefined;
}

/** `method`, `authority`, `scheme`, `uri` for pseudo-headers, else `header <name>`. */
function subject(name: string): string {
  switch (name) {
    case ':method':
      return 'method';
    case ':authority':
    case 'host':
      return 'authority';
    case ':scheme':
      return 'scheme';
    case ':path':
      return 'uri';
    default:
      return `header ${name}`;
  }
}

/** `exact "jason"`, `prefix "/a"`, `regex "x.*"`, `present`. */
export function describeStringMatch(s: StringMatcher | undefined): string {
  if (!s) return 'present';
  const ic = s.ignoreCase ? ' (ignoring case)' : '';
  if (s.exact !== undefined) return `exact ${JSON.stringify(s.exact)}${ic}`;
  if (s.prefix !== undefined) return `prefix ${JSON.stringify(s.prefix)}${ic}`;
  if (s.suffix !== undefined) return `suffix ${JSON.stringify(s.suffix)}${ic}`;
  if (s.contains !== undefined) return `contains ${JSON.stringify(s.contains)}${ic}`;
  if (s.safeRegex !== undefined) return `regex ${JSON.stringify(s.safeRegex.regex)}`;
  return 'present';
}

function headerSpec(h: HeaderMatcher): string {
  if (h.presentMatch !== undefined) return h.presentMatch ? 'present' : 'absent';
  if (h.stringMatch) return describeStringMatch(h.stringMatch);
  if (h.exactMatch !== undefined) return h.exactMatch === '' ? 'present' : `exact ${JSON.stringify(h.exactMatch)}`;
  if (h.prefixMatch !== undefined) return `prefix ${JSON.stringify(h.prefixMatch)}`;
  if (h.suffixMatch !== undefined) return `suffix ${JSON.stringify(h.suffixMatch)}`;
  if (h.containsMatch !== undefined) return `contains ${JSON.stringify(h.containsMatch)}`;
  if (h.safeRegexMatch !== undefined) return `regex ${JSON.stringify(h.safeRegexMatch.regex)}`;
  if (h.rangeMatch !== undefined) return `in [${h.rangeMatch.start ?? 0}, ${h.rangeMatch.end ?? 0})`;
  return 'present';
}

function headerFailure(h: HeaderMatcher, req: RequestAttributes): string {
  const name = asciiLower(h.name ?? '');
  const value = headerValue(req, name);
  const spec = headerSpec(h);
  const what = h.invertMatch ? `${subject(name)} must not be ${spec}` : `${subject(name)} ${spec}`;
  return `${what}: ${value === undefined ? 'absent' : `got ${JSON.stringify(value)}`}`;
}

function queryFailure(q: QueryParameterMatcher, value: string | undefined): string {
  const spec = q.presentMatch !== undefined ? (q.presentMatch ? 'present' : 'absent') : describeStringMatch(q.stringMatch);
  return `query ${q.name ?? ''} ${spec}: ${value === undefined ? 'absent' : `got ${JSON.stringify(value)}`}`;
}
