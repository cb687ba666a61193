/**
 * `@request.auth.claims.*` in a VirtualService match, as istiod translates it (route.go
 * translateMetadataMatch, pkg/jwt/routing.go ToRoutingClaim, authz/model MetadataMatcherForJWTClaims):
 * a header name `@request.auth.claims.<a>.<b>` or `@request.auth.claims[<a>][<b>]` (prefix matched
 * case-insensitively) names a claim path; the match becomes a dynamic-metadata matcher on the JWT
 * filter's verified payload (`envoy.filters.http.jwt_authn` / `payload` / claims…), matching a string
 * claim or any element of a list claim. In `withoutHeaders` the matcher is inverted, so a request
 * without the claim (or without a valid token) matches. Istio's validation allows this only on
 * VirtualServices bound to a gateway: only there does the JWT filter run before routing.
 *
 * A presence match (`{}` or regex `*`), which istiod leaves without a string matcher (Envoy would
 * refuse that config), is a present match here: "the claim is present".
 */
import type { StringMatch } from '../../config/schema/virtual-service.js';
import type { MetadataMatcher, ValueMatcher } from '../../envoy/rbac/types.js';
import { JWT_AUTHN_FILTER } from '../../envoy/jwt/types.js';
import { JWT_PAYLOAD_METADATA_KEY } from '../security/jwt-filter.js';

/** The special header prefix istiod recognizes (pkg/jwt HeaderJWTClaim). */
export const HEADER_JWT_CLAIM = '@request.auth.claims';

/** The claim path a match header names, or undefined when it is an ordinary header. */
export function routingClaim(headerName: string): string[] | undefined {
  if (!headerName.toLowerCase().startsWith(HEADER_JWT_CLAIM)) return undefined;
  const rest = headerName.slice(HEADER_JWT_CLAIM.length);
  if (rest.startsWith('.') && rest.length > 1) return rest.slice(1).split('.');
  if (rest.startsWith('[') && rest.endsWith(']') && rest.length > 2) return rest.slice(1, -1).split('][');
  return undefined;
}

function stringValue(m: StringMatch | undefined): ValueMatcher {
  if (m?.exact !== undefined) return { stringMatch: { exact: m.exact } };
  if (m?.prefix !== undefined) return { stringMatch: { prefix: m.prefix } };
  if (m?.regex !== undefined && m.regex !== '*') return { stringMatch: { safeRegex: { regex: m.regex } } };
  return { presentMatch: true };
}

/** The route's dynamic-metadata matcher for one claim match (`invert` for withoutHeaders). */
export function claimMetadataMatcher(claims: readonly string[], m: StringMatch | undefined, invert: boolean): MetadataMatcher {
  const value = stringValue(m);
  const path = [JWT_PAYLOAD_METADATA_KEY, ...claims].map((key) => ({ key }));
  // istiod's extended-JWT form: the claim itself, or one element of a list claim.
  const either: ValueMatcher = value.presentMatch ? value : { orMatch: { valueMatchers: [{ listMatch: { oneOf: value } }, value] } };
  return { filter: JWT_AUTHN_FILTER, path, value: either, ...(invert ? { invert: true } : {}) };
}
