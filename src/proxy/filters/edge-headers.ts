/**
 * Edge sanitization at gateways (HCMs with `useRemoteAddress`) that the security layer adds to
 * Envoy's connection-manager work: `x-forwarded-proto` is the scheme of the connection (a client
 * cannot claim https on a plaintext listener), and the untrusted `x-forwarded-host`,
 * `x-forwarded-port` and `x-forwarded-prefix` claims from the client are removed. The `x-envoy-*`
 * headers of external requests, `x-forwarded-for` and `x-forwarded-client-cert` are the
 * request-headers filter's (src/proxy/filters/request-headers-filter.ts, edge-policy.ts, tls/xfcc.ts),
 * which runs first.
 */
import type { StreamInfo } from '../http/stream-info.js';

const DROP = ['x-forwarded-host', 'x-forwarded-port', 'x-forwarded-prefix'];

/** Sanitizes a request that entered the mesh at an edge. */
export function sanitizeEdgeRequest(s: StreamInfo): void {
  const h = s.headers as Record<string, string | string[] | undefined>;
  for (const name of DROP) if (h[name] !== undefined) delete h[name];
  h['x-forwarded-proto'] = s.scheme;
}
