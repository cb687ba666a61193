/**
 * `x-forwarded-client-cert` handling, as Envoy's HCM `forwardClientCertDetails`
 * (`ConnectionManagerUtility::mutateXfccRequestHeader`) with Istio's `setCurrentClientCertDetails
 * {subject, uri, dns}`: ALWAYS_FORWARD_ONLY passes the header on untouched; otherwise a connection
 * without a verified client certificate (plaintext, or TLS without one) loses it, whatever the
 * mode — so an app cannot forge XFCC through its sidecar, nor a client through a plaintext port;
 * SANITIZE always removes it; FORWARD_ONLY passes it on; APPEND_FORWARD appends this hop's element
 * `By=<our URI SAN>;Hash=<sha256>;Subject="<dn>";URI=<peer URI SAN>;DNS=…` (istiod's sidecar
 * default, `GetProxyHeadersFromProxyConfig`); SANITIZE_SET replaces the header with it (istiod's
 * gateway default, mesh config `gatewayTopology.forwardClientCertDetails` overrides). `By` is left
 * out when this proxy has no URI SAN (gateway certificates), as Envoy does.
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
  const parts = [...(p.localPrincipal !== '' ? [`By=${p.localPrincipal}`] : []), `Hash=${p.certHash}`, `Subject="${p.subject.replace(/"/g, '\\"')}"`];
  for (const u of p.uriSans) parts.push(`URI=${u}`);
  for (const d of p.dnsSans) parts.push(`DNS=${d}`);
  return parts.join(';');
}

/** Applies the HCM's XFCC policy to request headers (mutates); `mode` absent is Envoy's SANITIZE. */
export function applyXfcc(headers: IncomingHttpHeaders, mode: ForwardClientCertDetails | undefined, peer: PeerIdentity | undefined): void {
  const m = mode ?? 'SANITIZE';
  if (m === 'ALWAYS_FORWARD_ONLY') return;
  if (m === 'SANITIZE' || peer === undefined) {
    if (headers['x-forwarded-client-cert'] !== undefined) delete headers['x-forwarded-client-cert'];
    return;
  }
  if (m === 'FORWARD_ONLY') return;
  const el = xfccElement(peer);
  const cur = headers['x-forwarded-client-cert'];
  const prior = Array.isArray(cur) ? cur.join(',') : cur;
  headers['x-forwarded-client-cert'] = m === 'APPEND_FORWARD' && prior !== undefined && prior !== '' ? `${prior},${el}` : el;
}
