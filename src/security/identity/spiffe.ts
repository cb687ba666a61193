/**
 * SPIFFE identities as Istio uses them: `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`,
 * carried as the only URI SAN of a workload certificate. Parsing is strict (no query, fragment,
 * port, user info, empty segments, or extra path segments), so a certificate that merely contains a
 * SPIFFE-looking prefix is not mistaken for an identity.
 */
import { X509Certificate } from 'node:crypto';
import { SecurityError, SecurityErrorCode } from '../errors.js';

/** A workload identity. */
export interface SpiffeId {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;

/** `spiffe://<td>/ns/<ns>/sa/<sa>`. */
export function formatSpiffeId(id: SpiffeId): string {
  return `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** Parses a SPIFFE ID in Istio's form; undefined when `uri` is anything else. */
export function parseSpiffeId(uri: string): SpiffeId | undefined {
  if (!uri.startsWith('spiffe://')) return undefined;
  const rest = uri.slice('spiffe://'.length);
  const parts = rest.split('/');
  if (parts.length !== 5) return undefined;
  const [td, ns, namespace, sa, serviceAccount] = parts as [string, string, string, string, string];
  if (!TRUST_DOMAIN.test(td) || ns !== 'ns' || sa !== 'sa') return undefined;
  if (!SEGMENT.test(namespace) || !SEGMENT.test(serviceAccount)) return undefined;
  return { trustDomain: td, namespace, serviceAccount };
}

/** Like {@link parseSpiffeId} but throws SPIFFE_ID_INVALID. */
export function requireSpiffeId(uri: string): SpiffeId {
  const id = parseSpiffeId(uri);
  if (!id) throw new SecurityError(SecurityErrorCode.InvalidSpiffeId, `not a SPIFFE identity of the form spiffe://<trust-domain>/ns/<ns>/sa/<sa>: ${JSON.stringify(uri)}`);
  return id;
}

/**
 * URI SANs of a certificate, from node's `subjectAltName` text (`URI:spiffe://…, DNS:…`). Node
 * quotes entries containing separators as JSON strings, which are decoded here.
 */
export function uriSans(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const out: string[] = [];
  for (const entry of splitSanList(subjectAltName)) {
    if (entry.startsWith('URI:')) {
      const v = entry.slice(4);
      out.push(v.startsWith('"') ? (JSON.parse(v) as string) : v);
    }
  }
  return out;
}

/** Every SAN of a certificate as `TYPE:value` strings (DNS, URI, IP Address, email). */
export function splitSanList(subjectAltName: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < subjectAltName.length; i++) {
    const c = subjectAltName[i]!;
    if (c === '"' && subjectAltName[i - 1] !== '\\') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** The SPIFFE identity of a PEM/DER certificate (its single SPIFFE URI SAN), if any. */
export function certificateSpiffeId(cert: string | Buffer | X509Certificate): string | undefined {
  const x = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return uriSans(x.subjectAltName).find((u) => parseSpiffeId(u) !== undefined);
}
