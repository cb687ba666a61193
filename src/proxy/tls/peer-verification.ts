/**
 * Checks of the peer certificate beyond chain validation (which OpenSSL does against the trust
 * bundle, including validity dates): the SAN matchers of a validation context
 * (`matchSubjectAltNames`, `matchTypedSubjectAltNames`), and for mesh mTLS (validation against
 * `ROOTCA`) that the peer's SPIFFE identity is in our trust domain. Failures are errors with code
 * `ERR_WEFT_TLS_SAN_MISMATCH` / `ERR_WEFT_TLS_TRUST_DOMAIN`, as returned from node's
 * `checkServerIdentity` hook.
 *
 * As Envoy's `StringSanMatcher`, an `exact` matcher tested against a DNS SAN uses DNS wildcard
 * matching (a certificate for `*.corp.example` satisfies `exact: api.corp.example`). A SAN list
 * override (Envoy's `verify_subject_alt_name_list_override`, set per connection by
 * `auto_san_validation`) replaces the configured matchers: see hostname-match.ts.
 */
import type { PeerCertificate } from 'node:tls';
import { compileStringMatcher, type StringPredicate } from '../../envoy/string-matcher.js';
import type { CertificateValidationContext } from '../../envoy/types.js';
import { parseSpiffeId, splitSanList } from '../../security/identity/spiffe.js';
import { dnsNameMatch, verifySubjectAltNameList } from './hostname-match.js';

/** Error codes of peer verification failures. */
export const PeerVerifyErrorCode = {
  SanMismatch: 'ERR_WEFT_TLS_SAN_MISMATCH',
  TrustDomain: 'ERR_WEFT_TLS_TRUST_DOMAIN',
} as const;

/** A compiled peer check; returns an Error to refuse. */
export type PeerCheck = (cert: PeerCertificate) => Error | undefined;

interface SanMatcher {
  readonly type: 'ANY' | 'URI' | 'DNS' | 'IP' | 'EMAIL';
  readonly test: StringPredicate;
  readonly text: string;
  /** The `exact` value (without ignoreCase): DNS SANs match it with DNS wildcard rules. */
  readonly exact?: string;
}

/**
 * Compiles the SAN and trust-domain checks of a validation context. `sanOverride` (auto SAN
 * validation: the request's host) replaces the context's SAN matchers when given.
 */
export function compilePeerCheck(vc: CertificateValidationContext | undefined, trustDomain: string | undefined, sanOverride?: readonly string[]): PeerCheck {
  const matchers: SanMatcher[] = [];
  for (const m of vc?.matchSubjectAltNames ?? []) matchers.push({ type: 'ANY', test: compileStringMatcher(m), text: JSON.stringify(m), exact: exactOf(m) });
  for (const m of vc?.matchTypedSubjectAltNames ?? []) {
    const t = m.sanType === 'URI' ? 'URI' : m.sanType === 'DNS' ? 'DNS' : m.sanType === 'IP_ADDRESS' ? 'IP' : m.sanType === 'EMAIL' ? 'EMAIL' : 'ANY';
    matchers.push({ type: t, test: compileStringMatcher(m.matcher), text: JSON.stringify(m.matcher), exact: exactOf(m.matcher) });
  }
  const override = sanOverride !== undefined && sanOverride.length > 0 ? sanOverride : undefined;
  return (cert) => {
    const sans = sanEntries(cert.subjectaltname);
    if (trustDomain !== undefined) {
      const ids = sans.filter((s) => s.type === 'URI').map((s) => parseSpiffeId(s.value)).filter((x) => x !== undefined);
      if (!ids.some((id) => id.trustDomain === trustDomain)) {
        return withCode(new Error(`peer certificate has no SPIFFE identity in trust domain ${trustDomain} (SANs: ${cert.subjectaltname ?? 'none'})`), PeerVerifyErrorCode.TrustDomain);
      }
    }
    if (override !== undefined) {
      if (verifySubjectAltNameList(sans, override)) return undefined;
      return withCode(new Error(`peer certificate SANs (${cert.subjectaltname ?? 'none'}) do not cover ${override.join(', ')}`), PeerVerifyErrorCode.SanMismatch);
    }
    if (matchers.length === 0) return undefined;
    for (const m of matchers) for (const s of sans) if ((m.type === 'ANY' || m.type === s.type) && sanMatches(m, s)) return undefined;
    return withCode(new Error(`peer certificate SANs (${cert.subjectaltname ?? 'none'}) match none of ${matchers.map((m) => m.text).join(', ')}`), PeerVerifyErrorCode.SanMismatch);
  };
}

/** SAN entries of a peer certificate (`URI`, `DNS`, `IP`, `EMAIL`). */
export function sanEntries(subjectAltName: string | undefined): { type: string; value: string }[] {
  if (!subjectAltName) return [];
  return splitSanList(subjectAltName).map((e) => {
    const i = e.indexOf(':');
    const type = e.slice(0, i);
    let value = e.slice(i + 1);
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    return { type: type === 'IP Address' ? 'IP' : type === 'email' ? 'EMAIL' : type, value };
  });
}

function exactOf(m: { exact?: string; ignoreCase?: boolean } | undefined): string | undefined {
  return m?.exact !== undefined && m.ignoreCase !== true ? m.exact : undefined;
}

function sanMatches(m: SanMatcher, s: { type: string; value: string }): boolean {
  if (m.exact !== undefined && s.type === 'DNS') return dnsNameMatch(m.exact, s.value);
  return m.test(s.value);
}

function withCode(err: Error, code: string): Error {
  return Object.assign(err, { code });
}
