/**
 * Edge sanitization at gateways (HCMs with `useRemoteAddress`), as Envoy's edge configuration does
 * for requests from outside the mesh: `x-envoy-*` request headers from an external peer (not
 * RFC 1918 / loopback / ULA, Envoy's internal-address test) are dropped (callers outside must not
 * steer retries, timeouts, decorators or internal markers); for every peer `x-forwarded-proto` is the
 * scheme of the connection (a client cannot claim https on a plaintext listener),
 * `x-forwarded-client-cert`, `x-forwarded-host`, `x-forwarded-port` and `x-forwarded-prefix`
 * from the client are removed (`forwardClientCertDetails: SANITIZE_SET`; untrusted host/prefix
 * claims), and `x-forwarded-for` keeps the client's entries with the connection's address appended
 * (done by the request-headers filter), so policies use the right-most, trusted hop.
 */
import type { ProxyStream } from '../proxy-stream.js';
import { isInternalAddress } from '../request-headers-filter.js';

const DROP = ['x-forwarded-client-cert', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-prefix'];

/** Sanitizes a request that entered the mesh at an edge. */
export function sanitizeEdgeRequest(s: ProxyStream): void {
  const h = s.headers as Record<string, string | string[] | undefined>;
  const peer = s.req.socket?.remoteAddress;
  if (peer === undefined || !isInternalAddress(peer)) for (const name of Object.keys(h)) if (name.startsWith('x-envoy-')) delete h[name];
  for (const name of DROP) if (h[name] !== undefined) delete h[name];
  h['x-forwarded-proto'] = s.scheme;
}
