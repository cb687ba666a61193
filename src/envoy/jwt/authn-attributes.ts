/**
 * The request-authentication attributes Istio's authn filter derives from a verified JWT payload,
 * published as dynamic metadata in the `istio_authn` namespace, which is what istiod's RBAC
 * matchers for `requestPrincipals` and `request.auth.*` read:
 * - `request.auth.principal`: `<iss>/<sub>`;
 * - `request.auth.audiences`: the `aud` values (a list);
 * - `request.auth.presenter`: `azp`;
 * - `request.auth.claims`: every claim, strings as one-element lists, lists of strings as lists,
 *   objects recursively (so `request.auth.claims[a][b]` is a path), space-delimited claims split;
 * - `request.auth.raw_claims`: the payload as JSON text.
 */
import type { JWTPayload } from 'jose';
import type { MetadataValue } from '../rbac/metadata-matcher.js';

/** Namespace of the attributes (Istio's authn filter name). */
export const ISTIO_AUTHN = 'istio_authn';

/** Attribute keys inside {@link ISTIO_AUTHN}. */
export const AuthnAttribute = {
  Principal: 'request.auth.principal',
  Audiences: 'request.auth.audiences',
  Presenter: 'request.auth.presenter',
  Claims: 'request.auth.claims',
  RawClaims: 'request.auth.raw_claims',
} as const;

/** Claims Istio always treats as space-delimited. */
export const DEFAULT_SPACE_DELIMITED = ['scope', 'permission'] as const;

function claimValue(v: unknown, split: boolean): MetadataValue | undefined {
  if (typeof v === 'string') return split ? v.split(' ').filter((x) => x !== '') : [v];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, MetadataValue> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const c = claimValue(x, false);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  return undefined;
}

/** Builds the `istio_authn` attributes of one verified payload. */
export function authnAttributes(payload: JWTPayload, spaceDelimited: readonly string[] = DEFAULT_SPACE_DELIMITED): Record<string, MetadataValue> {
  const out: Record<string, MetadataValue> = {};
  if (typeof payload.iss === 'string' && typeof payload.sub === 'string') out[AuthnAttribute.Principal] = `${payload.iss}/${payload.sub}`;
  if (payload.aud !== undefined) out[AuthnAttribute.Audiences] = Array.isArray(payload.aud) ? [...payload.aud] : [payload.aud];
  if (typeof payload['azp'] === 'string') out[AuthnAttribute.Presenter] = payload['azp'];
  const claims: Record<string, MetadataValue> = {};
  for (const [k, v] of Object.entries(payload)) {
    const c = claimValue(v, spaceDelimited.includes(k));
    if (c !== undefined) claims[k] = c;
  }
  out[AuthnAttribute.Claims] = claims;
  out[AuthnAttribute.RawClaims] = JSON.stringify(payload);
  return out;
}

/** The payload as dynamic metadata (space-delimited claims split into lists, as Envoy's normalize_payload_in_metadata). */
export function payloadMetadata(payload: JWTPayload, spaceDelimited: readonly string[]): MetadataValue {
  const out: Record<string, MetadataValue> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (spaceDelimited.includes(k) && typeof v === 'string') out[k] = v.split(' ').filter((x) => x !== '');
    else if (v !== undefined) out[k] = v as MetadataValue;
  }
  return out;
}
