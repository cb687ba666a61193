/**
 * Verifies one JWT for one provider, with `jose`: format, issuer (the token's `iss` must equal the
 * provider's `issuer` when set), signature against the provider's JWKS, `exp`/`nbf` with the
 * provider's clock skew (Envoy's default 60 s), and audiences (when the provider lists any, the
 * token's `aud` must contain one of them). Never throws: every failure is a {@link JwtStatus} with
 * Envoy's message for it (the body of the 401 reply).
 */
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import type { KeySource } from './jwks-cache.js';

/** Verification outcomes, Envoy's `jwt_verify_lib` statuses. */
export const JwtStatus = {
  Ok: 'OK',
  Missing: 'JWT_MISSING',
  BadFormat: 'JWT_BAD_FORMAT',
  VerificationFail: 'JWT_VERIFICATION_FAIL',
  Expired: 'JWT_EXPIRED',
  NotYetValid: 'JWT_NOT_YET_VALID',
  UnknownIssuer: 'JWT_UNKNOWN_ISSUER',
  AudienceNotAllowed: 'JWT_AUDIENCE_NOT_ALLOWED',
  JwksFetchFail: 'JWKS_FETCH_FAIL',
  JwksNoMatchingKey: 'JWKS_NO_MATCHING_KEY',
} as const;
/** One of {@link JwtStatus}'s values. */
export type JwtStatus = (typeof JwtStatus)[keyof typeof JwtStatus];

/** Envoy's message for each status. */
export const JWT_STATUS_MESSAGE: Readonly<Record<JwtStatus, string>> = {
  OK: 'OK',
  JWT_MISSING: 'Jwt is missing',
  JWT_BAD_FORMAT: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  JWT_VERIFICATION_FAIL: 'Jwt verification fails',
  JWT_EXPIRED: 'Jwt is expired',
  JWT_NOT_YET_VALID: 'Jwt not yet valid',
  JWT_UNKNOWN_ISSUER: 'Jwt issuer is not configured',
  JWT_AUDIENCE_NOT_ALLOWED: 'Audiences in Jwt are not allowed',
  JWKS_FETCH_FAIL: 'Jwks remote fetch is failed',
  JWKS_NO_MATCHING_KEY: "Jwks doesn't have key to match kid or alg from Jwt",
};

/** What verification needs to know about a provider. */
export interface VerifierProvider {
  readonly issuer: string | undefined;
  readonly audiences: readonly string[];
  readonly keys: KeySource;
  readonly clockSkewSeconds: number;
}

/** The result of verifying one token. */
export type VerifyResult = { readonly status: 'OK'; readonly payload: JWTPayload } | { readonly status: Exclude<JwtStatus, 'OK'> };

/** Decodes a token's payload without verifying it; undefined when it is not a compact JWT. */
export function peekPayload(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

/** Verifies `token` for `provider`. */
export async function verifyJwt(token: string, provider: VerifierProvider): Promise<VerifyResult> {
  const claims = peekPayload(token);
  if (claims === undefined) return { status: JwtStatus.BadFormat };
  if (provider.issuer !== undefined && provider.issuer !== '' && claims.iss !== provider.issuer) return { status: JwtStatus.UnknownIssuer };
  let getKey;
  try {
    getKey = await provider.keys.keys();
  } catch {
    getKey = undefined;
  }
  if (getKey === undefined) return { status: JwtStatus.JwksFetchFail };
  try {
    const { payload } = await jwtVerify(token, getKey, { clockTolerance: provider.clockSkewSeconds });
    if (provider.audiences.length > 0) {
      const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!aud.some((a) => provider.audiences.includes(a))) return { status: JwtStatus.AudienceNotAllowed };
    }
    return { status: JwtStatus.Ok, payload };
  } catch (err) {
    return { status: statusOf(err) };
  }
}

function statusOf(err: unknown): Exclude<JwtStatus, 'OK'> {
  if (err instanceof errors.JWTExpired) return JwtStatus.Expired;
  if (err instanceof errors.JWTClaimValidationFailed) return err.claim === 'nbf' ? JwtStatus.NotYetValid : JwtStatus.VerificationFail;
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return JwtStatus.JwksNoMatchingKey;
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return JwtStatus.BadFormat;
  return JwtStatus.VerificationFail;
}
