/**
 * Envoy's JWT authentication filter config (`envoy.extensions.filters.http.jwt_authn.v3`) in Weft's
 * object form (see `src/envoy/types/core.ts`).
 */
import type { DataSource, Duration, RouteMatch } from '../types.js';

/** `HttpUri`: where a remote JWKS is fetched (Weft fetches `uri` directly; `cluster` is informative). */
export interface HttpUri {
  readonly uri?: string;
  readonly cluster?: string;
  readonly timeout?: Duration;
}

/** `RemoteJwks`. */
export interface RemoteJwks {
  readonly httpUri?: HttpUri;
  /** How long a fetched JWKS is used before it is fetched again (Envoy default 5 min). */
  readonly cacheDuration?: Duration;
}

/** `JwtHeader`: a header carrying a token, with an optional value prefix (`Bearer `). */
export interface JwtHeader {
  readonly name?: string;
  readonly valuePrefix?: string;
}

/** `JwtClaimToHeader`. */
export interface JwtClaimToHeader {
  readonly headerName?: string;
  readonly claimName?: string;
}

/** `JwtProvider`: how to find and verify tokens of one issuer. */
export interface JwtProvider {
  readonly issuer?: string;
  readonly audiences?: readonly string[];
  readonly remoteJwks?: RemoteJwks;
  readonly localJwks?: DataSource;
  /** Keep the token in the request forwarded upstream (default false: remove the header). */
  readonly forward?: boolean;
  readonly fromHeaders?: readonly JwtHeader[];
  readonly fromParams?: readonly string[];
  readonly fromCookies?: readonly string[];
  /** Header receiving the base64url-encoded payload of a verified token. */
  readonly forwardPayloadHeader?: string;
  /** Dynamic metadata key (namespace `envoy.filters.http.jwt_authn`) receiving the payload. */
  readonly payloadInMetadata?: string;
  readonly normalizePayloadInMetadata?: { readonly spaceDelimitedClaims?: readonly string[] };
  readonly clockSkewSeconds?: number;
  readonly claimToHeaders?: readonly JwtClaimToHeader[];
}

/** `JwtRequirement`: exactly one member. */
export interface JwtRequirement {
  readonly providerName?: string;
  readonly providerAndAudiences?: { readonly providerName?: string; readonly audiences?: readonly string[] };
  readonly requiresAny?: { readonly requirements?: readonly JwtRequirement[] };
  readonly requiresAll?: { readonly requirements?: readonly JwtRequirement[] };
  readonly allowMissingOrFailed?: Readonly<Record<string, never>>;
  readonly allowMissing?: Readonly<Record<string, never>>;
}

/** `RequirementRule`: requests matching `match` must satisfy `requires`. */
export interface RequirementRule {
  readonly match?: RouteMatch;
  readonly requires?: JwtRequirement;
  readonly requirementName?: string;
}

/** `JwtAuthentication`: the filter's config. */
export interface JwtAuthentication {
  readonly providers?: Readonly<Record<string, JwtProvider>>;
  readonly rules?: readonly RequirementRule[];
  readonly bypassCorsPreflight?: boolean;
  readonly requirementMap?: Readonly<Record<string, JwtRequirement>>;
}

/** Name of the filter and of its dynamic metadata namespace. */
export const JWT_AUTHN_FILTER = 'envoy.filters.http.jwt_authn';
