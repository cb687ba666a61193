/**
 * The connection manager's own request-header work, as Envoy's HCM does it before the filters:
 * hop-by-hop headers dropped, `x-request-id` generated when absent (`generateRequestId`, on by
 * default), `x-forwarded-proto` set when absent, and the downstream address appended to
 * `x-forwarded-for` when the HCM sets `useRemoteAddress` (gateways; sidecars leave it alone, as
 * Envoy under Istio does).
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
      if (remote !== undefined) {
        const xff = h['x-forwarded-for'];
        h['x-forwarded-for'] = xff === undefined || xff === '' ? remote : `${xff}, ${remote}`;
      }
    }
    return FilterStatus.Continue;
  }
}
