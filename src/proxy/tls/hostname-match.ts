/**
 * Certificate name matching as Envoy's TLS validator does it
 * (source/common/tls/utility.cc `Utility::dnsNameMatch` / `labelWildcardMatch`, and
 * `DefaultCertValidator::verifySubjectAltName`), which follows RFC 6125 §6.4.3:
 *
 * - names compare ASCII case-insensitively;
 * - a wildcard may only appear in the left-most label of a DNS SAN, once, and matches within that
 *   one label only: `*.example.com` matches `api.example.com` but neither `example.com` nor
 *   `a.b.example.com`; a partial label wildcard (`api*.example.com`, `*-api.example.com`) matches
 *   within the label; an A-label (`xn--…`) is never wildcard-matched;
 * - the Common Name is never consulted (Envoy checks SANs only);
 * - {@link verifySubjectAltNameList}: a DNS SAN matches a wanted name with {@link dnsNameMatch};
 *   every other SAN type (URI, IP address, email) must equal it exactly. IP SANs compare in Node's
 *   printed form (`127.0.0.1`, `0:0:0:0:0:0:0:1` → normalised with {@link canonicalIp}).
 */
import { isIP } from 'node:net';

const ACE_PREFIX = 'xn--';

/** Envoy's `labelWildcardMatch`: one DNS label against a pattern label holding exactly one `*`. */
export function labelWildcardMatch(label: string, pattern: string): boolean {
  if (pattern === '*') return label.length > 0;
  const star = pattern.indexOf('*');
  if (star < 0 || pattern.indexOf('*', star + 1) >= 0) return false;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return pattern.length <= label.length + 1 && label.startsWith(prefix) && label.endsWith(suffix);
}

/** True when `dnsName` (a host we connect to) is covered by the certificate name `pattern`. */
export function dnsNameMatch(dnsName: string, pattern: string): boolean {
  const name = dnsName.toLowerCase();
  const pat = pattern.toLowerCase();
  if (name === pat) return name.length > 0;
  const pDot = pat.indexOf('.');
  const nDot = name.indexOf('.');
  // Both need at least two labels.
  if (pDot < 0 || nDot < 0) return false;
  const pFirst = pat.slice(0, pDot);
  const pRest = pat.slice(pDot + 1);
  if (!pFirst.includes('*') || pRest.includes('*') || pFirst.startsWith(ACE_PREFIX)) return false;
  return name.slice(nDot + 1) === pRest && labelWildcardMatch(name.slice(0, nDot), pFirst);
}

/** An IP address in one canonical text form (IPv6 expanded-and-compressed by URL parsing). */
export function canonicalIp(ip: string): string {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (isIP(bare) !== 6) return bare;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare.toLowerCase();
  }
}

/** One SAN of a certificate, typed as Node prints it (`DNS`, `URI`, `IP`, `EMAIL`). */
export interface SanEntry {
  readonly type: string;
  readonly value: string;
}

/**
 * Envoy's `verifySubjectAltName`: true when one of the certificate's SANs matches one of `wanted`
 * (the auto SAN list, i.e. the request host). DNS SANs match with {@link dnsNameMatch}, the others
 * exactly.
 */
export function verifySubjectAltNameList(sans: readonly SanEntry[], wanted: readonly string[]): boolean {
  for (const san of sans) {
    for (const w of wanted) {
      if (san.type === 'DNS' ? dnsNameMatch(w, san.value) : san.type === 'IP' ? canonicalIp(san.value) === canonicalIp(w) : san.value === w) return true;
    }
  }
  return false;
}
