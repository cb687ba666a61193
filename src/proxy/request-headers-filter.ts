/**
 * The connection manager's own request-header work, as Envoy's HCM does it before the filters:
 * hop-by-hop headers dropped, `x-request-id` generated when absent (`generateRequestId`, on by
 * default), `x-forwarded-proto` set when absent, and the downstream address appended to
 * `x-forwarded-for` when the HCM sets `useRemoteAddress` (gateways; sidecars leave it alone, as
 * Envoy under Istio does). At such an edge, a request from an external (non-private) address loses
 * the `x-envoy-*` control headers (retry, timeout overrides), as Envoy cleans internal headers of
 * external requests; sidecars and internal callers keep them.
 */
import { randomUUID } from 'node:crypto';
import { FilterStatus, type HttpFilter } from './http-filter.js';
import type { ProxyStream } from './proxy-stream.js';

/** Connection-level headers that never cross a proxy. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'upgrade', 'te'] as const;

/** Removes hop-by-hop headers, including those named by `Connection`, from a Node header object. */
export function stripHopByHop(headers: Record<string, unknown>): void {
  const conn = headers['connection'];
  if (typeof conn === 'string' && conn !== 'keep-alive' && conn !== 'close') {
    for (const name of conn.split(',')) {
      const n = name.trim().toLowerCase();
      if (n !== '' && n !== 'host' && n !== 'content-length' && n !== 'transfer-encoding') delete headers[n];
    }
  }
  for (const h of HOP_BY_HOP) if (headers[h] !== undefined) delete headers[h];
}

/** Request headers Envoy only honours from internal callers. */
const ENVOY_CONTROL_HEADERS = [
  'x-envoy-retry-on', 'x-envoy-retry-grpc-on', 'x-envoy-max-retries', 'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-rq-per-try-timeout-ms', 'x-envoy-retriable-status-codes', 'x-envoy-retriable-header-names',
  'x-envoy-hedge-on-per-try-timeout', 'x-envoy-expected-rq-timeout-ms',
] as const;

/** Envoy's internal address test: RFC 1918, loopback, link-local-free IPv6 ULA / loopback. */
export function isInternalAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  const l = ip.toLowerCase();
  return l === '::1' || l.startsWith('fd') || l.startsWith('fc');
}

/** The HCM request-header filter; stateless, shared by all requests. */
export class RequestHeadersFilter implements HttpFilter {
  readonly name = 'weft.request_headers';

  decodeHeaders(s: ProxyStream): FilterStatus {
    const h = s.headers;
    stripHopByHop(h as Record<string, unknown>);
    if (s.hcm.generateRequestId && h['x-request-id'] === undefined) h['x-request-id'] = randomUUID();
    if (h['x-forwarded-proto'] === undefined) h['x-forwarded-proto'] = s.scheme;
    if (s.hcm.useRemoteAddress) {
      const remote = s.req.socket.remoteAddress;
      if (remote !== undefined && !isInternalAddress(remote)) for (const n of ENVOY_CONTROL_HEADERS) if (h[n] !== undefined) delete h[n];
      if (remote !== undefined) {
        const xff = h['x-forwarded-for'];
        h['x-forwarded-for'] = xff === undefined || xff === '' ? remote : `${xff}, ${remote}`;
      }
    }
    return FilterStatus.Continue;
  }
}
