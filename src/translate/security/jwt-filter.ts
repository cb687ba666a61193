/**
 * RequestAuthentication as Envoy's `jwt_authn` HTTP filter, as istiod builds it: one provider per
 * JWT rule, named by its issuer (a repeated issuer keeps the first rule); `jwks` inline →
 * `localJwks`, `jwksUri` → `remoteJwks` (fetched and cached by the proxy; istiod would fetch and
 * inline it, but translation here is pure), `fromHeaders`/`fromParams`/`fromCookies`,
 * `forwardOriginalToken` → `forward`, `outputPayloadToHeader` → `forwardPayloadHeader`,
 * `outputClaimToHeaders` → `claimToHeaders`, the payload in dynamic metadata under the issuer, and
 * space-delimited `scope`/`permission` claims. The requirement is istiod's: any provider OR
 * `allowMissing`, so requests without a token pass (an AuthorizationPolicy may then require
 * `requestPrincipals`), requests with an invalid token get 401. CORS preflights bypass it.
 */
import type { Resource } from '../../config/resource.js';
import type { JWTRule, RequestAuthenticationSpec } from '../../config/schema/request-authentication.js';
import { parseDuration, toProtoDuration } from '../../config/duration.js';
import { DEFAULT_SPACE_DELIMITED } from '../../envoy/jwt/authn-attributes.js';
import { JWT_AUTHN_FILTER, type JwtAuthentication, type JwtProvider, type JwtRequirement } from '../../envoy/jwt/types.js';
import type { HttpFilter } from '../../envoy/types.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import { TypeUrl } from '../../xds/protos.js';
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
    payloadInMetadata: rule.issuer!,
    normalizePayloadInMetadata: { spaceDelimitedClaims: [...new Set([...DEFAULT_SPACE_DELIMITED, ...(rule.spaceDelimitedClaims ?? [])])] },
    ...(rule.outputClaimToHeaders?.length ? { claimToHeaders: rule.outputClaimToHeaders.map((c) => ({ headerName: c.header, claimName: c.claim })) } : {}),
  };
}

/** The jwt_authn config for a set of RequestAuthentications; undefined when they declare no rule. */
export function jwtAuthentication(policies: readonly Resource<RequestAuthenticationSpec>[]): JwtAuthentication | undefined {
  const providers: Record<string, JwtProvider> = {};
  for (const p of policies) {
    for (const rule of p.spec.jwtRules ?? []) {
      if (!rule.issuer || providers[rule.issuer] !== undefined) continue;
      providers[rule.issuer] = jwtProvider(rule);
    }
  }
  const names = Object.keys(providers).sort();
  if (names.length === 0) return undefined;
  const sortedProviders: Record<string, JwtProvider> = {};
  for (const n of names) sortedProviders[n] = providers[n]!;
  const requires: JwtRequirement = { requiresAny: { requirements: [...names.map((providerName) => ({ providerName })), { allowMissing: {} }] } };
  return { providers: sortedProviders, rules: [{ match: { prefix: '/' }, requires }], bypassCorsPreflight: true };
}

/** The jwt_authn HTTP filter for a workload, or undefined when no RequestAuthentication applies. */
export function buildJwtFilter(snapshot: MeshSnapshot, target: PolicyTarget): HttpFilter | undefined {
  const config = jwtAuthentication(requestAuthenticationsFor(snapshot, target));
  return config ? { name: JWT_AUTHN_FILTER, typedConfig: { '@type': TypeUrl.JwtAuthn, ...config } } : undefined;
}
