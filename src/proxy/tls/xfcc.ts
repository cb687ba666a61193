/**
 * `x-forwarded-client-cert` on inbound requests, as Envoy's HCM `forwardClientCertDetails` with
 * Istio's `setCurrentClientCertDetails {subject, dns, uri}`: for an mTLS connection the element
 * `By=<our URI SAN>;Hash=<sha256>;Subject="<dn>";URI=<peer URI SAN>;DNS=…` is appended
 * (APPEND_FORWARD) or replaces the header (SANITIZE_SET); SANITIZE removes it; FORWARD_ONLY and
 * ALWAYS_FORWARD_ONLY pass it on. For plaintext connections SANITIZE and SANITIZE_SET remove it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ForwardClientCertDetails } from '../../envoy/types.js';
import type { PeerIdentity } from './peer-identity.js';

/** Elements already built, per peer identity (one per connection, so requests reuse it). */
const elements = new WeakMap<PeerIdentity, string>();

/** The XFCC element for one verified peer (built once per identity object). */
export function xfccElement(p: PeerIdentity): string {
  const cached = elements.get(p);
  if (cached !== undefined) return cached;
  const el = buildElement(p);
  elements.set(p, el);
  return el;
}

function buildElement(p: PeerIdentity): string {
  const parts = [`By=${p.localPrincipal}`, `Hash=${p.certHash}`, `Subject="${p.subject.replace(/"/g, '\\"')}"`];
  for (const u of p.uriSans) parts.push(`URI=${u}`);
  for (const d of p.dnsSans) parts.push(`DNS=${d}`);
  return parts.join(';');
}

/** Applies the HCM's XFCC policy to request headers (mutates). */
export function applyXfcc(headers: IncomingHttpHeaders, mode: ForwardClientCertDetails | undefined, peer: PeerIdentity | undefined): void {
  const m = mode ?? 'SANITIZE';
  if (m === 'FORWARD_ONLY' || m === 'ALWAYS_FORWARD_ONLY') return;
  if (!peer) {
    if ((m === 'SANITIZE' || m === 'SANITIZE_SET') && headers['x-forwarded-client-cert'] !== undefined) delete headers['x-forwarded-client-cert'];
    return;
  }
  if (m === 'SANITIZE') {
    if (headers['x-forwarded-client-cert'] !== undefined) delete headers['x-forwarded-client-cert'];
    return;
  }
  const el = xfccElement(peer);
  const cur = headers['x-forwarded-client-cert'];
  headers['x-forwarded-client-cert'] = m === 'APPEND_FORWARD' && typeof cur === 'string' && cur !== '' ? `${cur},${el}` : el;
}
