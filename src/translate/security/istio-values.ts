/**
 * Istio AuthorizationPolicy values as Envoy matchers, as istiod's authz matcher helpers build them:
 * - a glob `v` is exact, `abc*` a prefix, `*abc` a suffix, `*` alone "present" (non-empty); any
 *   other `*` is literal;
 * - principals are SPIFFE ids without the scheme: `cluster.local/ns/default/sa/sleep` matches the
 *   peer URI SAN `spiffe://cluster.local/ns/default/sa/sleep` (a principal under `cluster.local/`
 *   also matches under the mesh trust domain when that differs, as istiod's trust-domain aliasing);
 * - namespaces match the SPIFFE id by the regex `.*` + `/ns/<ns>/` + `.*` (globs stay in one segment);
 * - service accounts `sa` or `ns/sa` are exact SPIFFE ids (the policy's namespace by default);
 * - IP blocks are CIDR ranges (a bare address is /32 or /128);
 * - path templates `{*}` (one segment) and `{**}` (the rest) become RE2 full matches.
 */
import { isIPv4 } from 'node:net';
import type { CidrRange, StringMatcher } from '../../envoy/types.js';

/** The RE2 "present" pattern (any non-empty value). */
export const PRESENT = '.+';

/** Escapes RE2 metacharacters. */
export function re2Escape(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** Istio's glob forms as an Envoy StringMatcher. */
export function globMatcher(v: string, ignoreCase = false): StringMatcher {
  const ic = ignoreCase ? { ignoreCase: true } : {};
  if (v === '*') return { safeRegex: { regex: PRESENT } };
  if (v.startsWith('*')) return { suffix: v.slice(1), ...ic };
  if (v.endsWith('*')) return { prefix: v.slice(0, -1), ...ic };
  return { exact: v, ...ic };
}

/** A principal glob (SPIFFE id without scheme) as a matcher on the peer URI SAN. */
export function principalMatcher(v: string): StringMatcher {
  if (v === '*') return { safeRegex: { regex: PRESENT } };
  if (v.startsWith('*')) return { safeRegex: { regex: `spiffe://.*${re2Escape(v.slice(1))}` } };
  if (v.endsWith('*')) return { prefix: `spiffe://${v.slice(0, -1)}` };
  return { exact: `spiffe://${v}` };
}

/** Principal values with istiod's trust-domain aliasing (`cluster.local/…` also under `trustDomain`). */
export function withTrustDomainAliases(values: readonly string[], trustDomain: string): string[] {
  const out: string[] = [];
  for (const v of values) {
    out.push(v);
    if (trustDomain !== 'cluster.local' && v.startsWith('cluster.local/')) out.push(`${trustDomain}${v.slice('cluster.local'.length)}`);
  }
  return out;
}

/** A namespace glob as a regex matcher on the peer's SPIFFE id. */
export function namespaceMatcher(v: string): StringMatcher {
  const ns = v === '*' ? '[^/]+' : v.split('*').map(re2Escape).join('[^/]*');
  return { safeRegex: { regex: `.*/ns/${ns}/.*` } };
}

/**
 * A trust domain as a match on the peer's SPIFFE id, as istiod's srcTrustDomainGenerator
 * (pilot/pkg/security/authz/model/generator.go): `*` = any SPIFFE id; no `*` = prefix
 * `spiffe://<td>/`; otherwise the first `*` matches within the trust domain (`[^/]*`).
 */
export function trustDomainMatcher(v: string): StringMatcher {
  if (v === '*') return { prefix: 'spiffe://' };
  const star = v.indexOf('*');
  if (star < 0) return { prefix: `spiffe://${v}/` };
  return { safeRegex: { regex: `spiffe://${re2Escape(v.slice(0, star))}[^/]*${re2Escape(v.slice(star + 1))}/.*` } };
}

/** A service account (`sa` or `ns/sa`) as an exact SPIFFE id. */
export function serviceAccountMatcher(v: string, policyNamespace: string, trustDomain: string): StringMatcher {
  const slash = v.indexOf('/');
  const ns = slash >= 0 ? v.slice(0, slash) : policyNamespace;
  const sa = slash >= 0 ? v.slice(slash + 1) : v;
  return { exact: `spiffe://${trustDomain}/ns/${ns}/sa/${sa}` };
}

/** An IP or CIDR string as a CidrRange. */
export function cidrRange(v: string): CidrRange {
  const slash = v.indexOf('/');
  const addr = slash >= 0 ? v.slice(0, slash) : v;
  const len = slash >= 0 ? Number(v.slice(slash + 1)) : isIPv4(addr) ? 32 : 128;
  return { addressPrefix: addr, prefixLen: { value: len } };
}

/** True when a path uses Istio's templates. */
export function isPathTemplate(v: string): boolean {
  return v.includes('{*}') || v.includes('{**}');
}

/** A path value (glob or template) as a matcher on the path without query. */
export function pathMatcher(v: string): StringMatcher {
  if (!isPathTemplate(v)) return globMatcher(v);
  const parts = v.split('/').map((seg) => (seg === '{*}' ? '[^/]+' : seg === '{**}' ? '.*' : re2Escape(seg)));
  return { safeRegex: { regex: parts.join('/') } };
}
