/**
 * RequestAuthentication as Envoy's `jwt_authn` HTTP filter, as istiod builds it: one provider per
 * JWT rule, named `origins-<i>` after sorting by issuer (see {@link jwtAuthentication}); `jwks` inline →
 * `localJwks`, `jwksUri` → `remoteJwks` (fetched and cached by the proxy; istiod would fetch and
 * inline it, but translation here is pure), `fromHeaders`/`fromParams`/`fromCookies`,
 * `forwardOriginalToken` → `forward`, `outputPayloadToHeader` → `forwardPayloadHeader`,
 * `outputClaimToHeaders` → `claimToHeaders`, the payload in dynamic metadata under `payload`, and
 * space-delimited `scope`/`permission` claims. The requirement is istiod's: a valid token for some
 * provider OR no token, so requests without a token pass (an AuthorizationPolicy may then require
 * `requestPrincipals`), requests with an invalid token get 401. CORS preflights bypass it.
 */
import type { Resource } from '../../config/resource.js';
import type { JWTRule, RequestAuthenticationSpec } from '../../config/schema/request-authentication.js';
import { parseDuration } from '../../config/duration.js';
import { toProtoDuration } from '../../envoy/duration.js';
import { DEFAULT_SPACE_DELIMITED } from '../../envoy/jwt/authn-attributes.js';
import { JWT_AUTHN_FILTER, type JwtAuthentication, type JwtProvider, type JwtRequirement } from '../../envoy/jwt/types.js';
import type { HttpFilter } from '../../envoy/types.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { requestAuthenticationsFor, type PolicyTarget } from './policy-scope.js';

/** Istio's default JWKS fetch timeout. */
const DEFAULT_JWKS_TIMEOUT_MS = 5000;
/** Istio's JWKS cache lifetime (istiod refreshes every 20 min; Envoy's remote default is 5 min). */
const JWKS_CACHE_MS = 5 * 60_000;

function jwksCluster(uri: string): string {
  try {
    const u = new URL(uri);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return `outbound|${port}||${u.hostname}`;
  } catch {
    return 'jwks';
  }
}

/**
 * Where each provider puts a verified payload in the filter's dynamic metadata: istiod's
 * `filters.EnvoyJwtFilterPayload` ("payload"), which `@request.auth.claims` route matches read.
 */
export const JWT_PAYLOAD_METADATA_KEY = 'payload';

/** One JWT rule as a provider. */
export function jwtProvider(rule: JWTRule): JwtProvider {
  const timeoutMs = rule.timeout !== undefined ? parseDuration(rule.timeout) ?? DEFAULT_JWKS_TIMEOUT_MS : DEFAULT_JWKS_TIMEOUT_MS;
  const keys: Pick<JwtProvider, 'localJwks' | 'remoteJwks'> = rule.jwks !== undefined
    ? { localJwks: { inlineString: rule.jwks } }
    : rule.jwksUri !== undefined
      ? { remoteJwks: { httpUri: { uri: rule.jwksUri, cluster: jwksCluster(rule.jwksUri), timeout: toProtoDuration(timeoutMs) }, cacheDuration: toProtoDuration(JWKS_CACHE_MS) } }
      : { localJwks: { inlineString: '{"keys":[]}' } };
  return {
    issuer: rule.issuer,
    ...(rule.audiences?.length ? { audiences: [...rule.audiences] } : {}),
    ...keys,
    ...(rule.forwardOriginalToken ? { forward: true } : {}),
    ...(rule.fromHeaders?.length ? { fromHeaders: rule.fromHeaders.map((h) => ({ name: h.name, ...(h.prefix ? { valuePrefix: h.prefix } : {}) })) } : {}),
    ...(rule.fromParams?.length ? { fromParams: [...rule.fromParams] } : {}),
    ...(rule.fromCookies?.length ? { fromCookies: [...rule.fromCookies] } : {}),
    ...(rule.outputPayloadToHeader ? { forwardPayloadHeader: rule.outputPayloadToHeader } : {}),
    payloadInMetadata: JWT_PAYLOAD_METADATA_KEY,
    normalizePayloadInMetadata: { spaceDelimitedClaims: [...new Set([...DEFAULT_SPACE_DELIMITED, ...(rule.spaceDelimitedClaims ?? [])])] },
    ...(rule.outputClaimToHeaders?.length ? { claimToHeaders: rule.outputClaimToHeaders.map((c) => ({ headerName: c.header, claimName: c.claim })) } : {}),
  };
}

/**
 * The jwt_authn config for a set of RequestAuthentications; undefined when they declare no rule.
 * As istiod's convertToEnvoyJwtConfig (pilot/pkg/security/authn/policy_applier.go): every JWT rule
 * of every policy is its own provider, including rules sharing an issuer (say with other audiences
 * or keys) and rules with `jwksUri` and no `issuer`; the rules are sorted by issuer (stable, so ties
 * keep policy order) and named `origins-<index>`. One provider: `requiresAny[provider,
 * allowMissing]`. Several: `requiresAny[P0, P1, …, requiresAll[any[P0, allowMissing], any[P1,
 * allowMissing], …]]`: a token valid for any provider passes (the outer OR serves providers reading
 * the same location), no token passes, and a presented token every provider refuses fails.
 */
export function jwtAuthentication(policies: readonly Resource<RequestAuthenticationSpec>[]): JwtAuthentication | undefined {
  const rules: JWTRule[] = [];
  for (const p of policies) for (const rule of p.spec.jwtRules ?? []) rules.push(rule);
  if (rules.length === 0) return undefined;
  // Array.prototype.sort is stable, as Go's slices.SortBy istiod uses.
  rules.sort((a, b) => cmp(a.issuer ?? '', b.issuer ?? ''));
  const providers: Record<string, JwtProvider> = {};
  const inner: JwtRequirement[] = [];
  const outer: JwtRequirement[] = [];
  rules.forEach((rule, i) => {
    const name = `origins-${i}`;
    providers[name] = jwtProvider(rule);
    inner.push({ requiresAny: { requirements: [{ providerName: name }, { allowMissing: {} }] } });
    outer.push({ providerName: name });
  });
  const requires: JwtRequirement = inner.length === 1 ? inner[0]! : { requiresAny: { requirements: [...outer, { requiresAll: { requirements: inner } }] } };
  return { providers, rules: [{ match: { prefix: '/' }, requires }], bypassCorsPreflight: true };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The jwt_authn HTTP filter for a workload, or undefined when no RequestAuthentication applies. */
export function buildJwtFilter(snapshot: MeshSnapshot, target: PolicyTarget): HttpFilter | undefined {
  const config = jwtAuthentication(requestAuthenticationsFor(snapshot, target));
  return config ? { name: JWT_AUTHN_FILTER, typedConfig: { '@type': TypeUrl.JwtAuthn, ...config } } : undefined;
}
