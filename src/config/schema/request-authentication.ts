/**
 * RequestAuthentication (security.istio.io v1beta1, v1): which JWTs a workload validates, where it
 * finds them and what it forwards. Checks follow Istio's webhook (`validateJwtRule`) and the CRD's
 * rules (jwks and jwksUri exclusive, URL schemes, header name pattern, timeout of at least 1 ms).
 */
import { z } from 'zod';
import { defineKind, duration, workloadSelector, type IssueSink } from './common.js';
import { parseDuration } from '../duration.js';
import { checkPolicyScope, policyTargetReference, policyTargetReferences } from './peer-authentication.js';

const nonEmpty = (what: string) => z.string().min(1, `${what} must be a non-empty string`);

const jwtHeader = z.strictObject({
  name: nonEmpty('location header name'),
  prefix: z.string().optional(),
});

const claimToHeader = z.strictObject({
  header: nonEmpty('outputClaimToHeaders header').regex(/^[-_A-Za-z0-9]+$/, 'header must match ^[-_A-Za-z0-9]+$'),
  claim: nonEmpty('outputClaimToHeaders claim'),
});

const jwtRuleSchema = z.strictObject({
  issuer: nonEmpty('issuer').optional(),
  audiences: z.array(nonEmpty('audience')).optional(),
  jwksUri: nonEmpty('jwksUri').max(2048, 'jwksUri must be at most 2048 characters').optional(),
  /** The proto field name, accepted by protobuf JSON and the CRD; normalized to `jwksUri`. */
  jwks_uri: nonEmpty('jwks_uri').max(2048, 'jwks_uri must be at most 2048 characters').optional(),
  jwks: z.string().optional(),
  fromHeaders: z.array(jwtHeader).optional(),
  fromParams: z.array(nonEmpty('location query')).optional(),
  fromCookies: z.array(nonEmpty('cookie name')).optional(),
  outputPayloadToHeader: z.string().optional(),
  forwardOriginalToken: z.boolean().optional(),
  outputClaimToHeaders: z.array(claimToHeader).optional(),
  spaceDelimitedClaims: z.array(nonEmpty('claim name')).max(64, 'at most 64 spaceDelimitedClaims are allowed').optional(),
  timeout: duration.optional(),
});

/** One JWT rule (the normalized form never holds `jwks_uri`). */
export type JWTRule = Omit<z.infer<typeof jwtRuleSchema>, 'jwks_uri'>;

const requestAuthenticationSchema = z.strictObject({
  selector: workloadSelector.optional(),
  targetRef: policyTargetReference.optional(),
  targetRefs: policyTargetReferences.optional(),
  jwtRules: z.array(jwtRuleSchema).max(4096, 'at most 4096 jwtRules are allowed').optional(),
});

/** The content of a RequestAuthentication. */
export type RequestAuthenticationSpec = Omit<z.infer<typeof requestAuthenticationSchema>, 'jwtRules'> & {
  jwtRules?: JWTRule[];
};

/** Returns an error message when `text` is not a JSON Web Key or JSON Web Key Set, else undefined. */
export function jwksError(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `jwks parse error: not valid JSON (${(err as Error).message})`;
  }
  const isKey = (k: unknown): boolean =>
    typeof k === 'object' && k !== null && !Array.isArray(k) && typeof (k as Record<string, unknown>).kty === 'string';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'jwks parse error: expected a JSON object';
  const keys = (value as Record<string, unknown>).keys;
  if (keys === undefined) return isKey(value) ? undefined : 'jwks parse error: a key needs a "kty" member';
  if (!Array.isArray(keys)) return 'jwks parse error: "keys" must be an array';
  const bad = keys.findIndex((k) => !isKey(k));
  return bad >= 0 ? `jwks parse error: keys[${bad}] is not a JSON Web Key (needs a "kty" member)` : undefined;
}

/** Returns an error message unless `uri` is an absolute http:// or https:// URL. */
export function jwksUriError(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `invalid URL ${JSON.stringify(uri)}: url must have scheme http:// or https://`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `URI scheme "${url.protocol.replace(/:$/, '')}" is not supported: url must have scheme http:// or https://`;
  }
  return undefined;
}

type RawJwtRule = z.infer<typeof jwtRuleSchema>;

/** Checks every rule as written (alias included), then maps `jwks_uri` to `jwksUri`. */
function normalizeRequestAuthentication(spec: RequestAuthenticationSpec, sink: IssueSink): RequestAuthenticationSpec {
  if (!spec.jwtRules) return spec;
  return {
    ...spec,
    jwtRules: spec.jwtRules.map((rule, i) => {
      const raw = rule as RawJwtRule;
      checkJwtRule(raw, sink, ['jwtRules', i]);
      const { jwks_uri: alias, ...rest } = raw;
      return alias !== undefined && rest.jwksUri === undefined ? { ...rest, jwksUri: alias } : rest;
    }),
  };
}

function checkJwtRule(raw: RawJwtRule, sink: IssueSink, path: (string | number)[]): void {
  const uriFields = (['jwksUri', 'jwks_uri'] as const).filter((f) => raw[f] !== undefined);
  const sources = uriFields.length + (raw.jwks !== undefined ? 1 : 0);
  if (sources > 1) sink.error([...path, raw.jwks !== undefined ? 'jwks' : 'jwks_uri'], 'only one of jwks or jwksUri can be set');
  if (raw.issuer === undefined && uriFields.length === 0) sink.error([...path, 'issuer'], 'issuer or jwksUri must be non-empty string');
  for (const f of uriFields) {
    const e = jwksUriError(raw[f]!);
    if (e) sink.error([...path, f], e);
  }
  if (raw.jwks !== undefined && raw.jwks !== '') {
    const e = jwksError(raw.jwks);
    if (e) sink.error([...path, 'jwks'], e);
  }
  if (raw.timeout !== undefined && (parseDuration(raw.timeout) ?? 0) < 1) {
    sink.error([...path, 'timeout'], 'must be a valid duration greater than 1ms');
  }
}

/** RequestAuthentication, security.istio.io. */
export const requestAuthenticationKind = defineKind<RequestAuthenticationSpec>({
  kind: 'RequestAuthentication',
  group: 'security.istio.io',
  versions: ['v1beta1', 'v1'],
  plural: 'requestauthentications',
  namespaced: true,
  schema: requestAuthenticationSchema,
  normalize: normalizeRequestAuthentication,
  check: (spec, sink) => checkPolicyScope(spec, sink),
});
