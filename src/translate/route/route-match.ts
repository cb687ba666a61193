/**
 * Converts an Istio HTTPMatchRequest into Envoy's RouteMatch, as istiod's TranslateRouteMatch:
 * uri exact/prefix/regex as the path specifier, `ignoreUriCase` as caseSensitive, headers (empty
 * value or regex `*` = presence), `withoutHeaders` as inverted header matchers, then method,
 * authority and scheme as pseudo-header matchers, and query parameters. `@request.auth.claims.*`
 * names in headers / withoutHeaders become dynamic-metadata matchers on the JWT payload
 * (`jwt-claim-match.ts`), as istiod's TranslateRouteMatch does.
 */
import type { HTTPMatchRequest, StringMatch } from '../../config/schema/virtual-service.js';
import type { StringMatcher } from '../../envoy/types/core.js';
import type { HeaderMatcher, QueryParameterMatcher, Route, RouteMatch } from '../../envoy/types/route.js';
import type { MetadataMatcher } from '../../envoy/rbac/types.js';
import { claimMetadataMatcher, routingClaim } from './jwt-claim-match.js';

/** The match of a rule without match blocks: every path, case-sensitive. */
export const CATCH_ALL_MATCH: RouteMatch = Object.freeze({ prefix: '/', caseSensitive: { value: true } });

/** Converts an Istio StringMatch (exact / prefix / regex) to an Envoy StringMatcher; undefined when empty. */
export function convertStringMatch(m: StringMatch | undefined): StringMatcher | undefined {
  if (!m) return undefined;
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safeRegex: { regex: m.regex } };
  return undefined;
}

/** True when a StringMatch means "present" (`{}`, or the legacy regex `*`), as istiod treats it. */
export function isPresenceMatch(m: StringMatch | undefined): boolean {
  return !m || (m.exact === undefined && m.prefix === undefined && (m.regex === undefined || m.regex === '*'));
}

function headerMatcher(name: string, m: StringMatch | undefined): HeaderMatcher {
  if (isPresenceMatch(m)) return { name, presentMatch: true };
  return { name, stringMatch: convertStringMatch(m) };
}

/** Converts one match block (undefined = match everything). */
export function convertRouteMatch(match: HTTPMatchRequest | undefined): RouteMatch {
  if (!match) return CATCH_ALL_MATCH;
  const headers: HeaderMatcher[] = [];
  const dynamicMetadata: MetadataMatcher[] = [];
  for (const [name, m] of Object.entries(match.headers ?? {})) {
    const claims = routingClaim(name);
    if (claims) dynamicMetadata.push(claimMetadataMatcher(claims, m, false));
    else headers.push(headerMatcher(name.toLowerCase(), m));
  }
  for (const [name, m] of Object.entries(match.withoutHeaders ?? {})) {
    const claims = routingClaim(name);
    if (claims) {
      dynamicMetadata.push(claimMetadataMatcher(claims, m, true));
      continue;
    }
    const h = headerMatcher(name.toLowerCase(), m);
    headers.push(isPresenceMatch(m) ? { ...h, invertMatch: true } : { ...h, invertMatch: true, treatMissingHeaderAsEmpty: true });
  }
  headers.sort((a, b) => cmp(a.name ?? '', b.name ?? ''));
  if (match.method) headers.push(headerMatcher(':method', match.method));
  if (match.authority) headers.push(headerMatcher(':authority', match.authority));
  if (match.scheme) headers.push(headerMatcher(':scheme', match.scheme));

  const query: QueryParameterMatcher[] = Object.keys(match.queryParams ?? {})
    .sort()
    .map((name) => {
      const m = match.queryParams![name];
      return isPresenceMatch(m) ? { name, presentMatch: true } : { name, stringMatch: convertStringMatch(m) };
    });

  const uri = match.uri;
  const path: Pick<RouteMatch, 'prefix' | 'path' | 'safeRegex'> =
    uri?.exact !== undefined ? { path: uri.exact } : uri?.prefix !== undefined ? { prefix: uri.prefix } : uri?.regex !== undefined ? { safeRegex: { regex: uri.regex } } : { prefix: '/' };
  return {
    ...path,
    caseSensitive: { value: !match.ignoreUriCase },
    ...(headers.length > 0 ? { headers } : {}),
    ...(query.length > 0 ? { queryParameters: query } : {}),
    ...(dynamicMetadata.length > 0 ? { dynamicMetadata } : {}),
  };
}

/**
 * istiod's IsCatchAllRoute: prefix `/` (or regex `.*`) with no header or query conditions. Rules after
 * a catch-all route can never match, so istiod stops translating a VirtualService there.
 */
export function isCatchAllRoute(route: Route): boolean {
  const m = route.match;
  if (!m) return true;
  const pathAll = m.prefix === '/' || m.pathSeparatedPrefix === '/' || m.safeRegex?.regex === '.*';
  return pathAll && !(m.headers && m.headers.length > 0) && !(m.queryParameters && m.queryParameters.length > 0) && !(m.dynamicMetadata && m.dynamicMetadata.length > 0);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
