/**
 * The connection manager's own request-header work, as Envoy's HCM does it before the filters:
 * hop-by-hop headers dropped; at an edge (`useRemoteAddress`: gateways) the downstream address
 * appended to `x-forwarded-for`, the trusted client address found (`xffNumTrustedHops`), and an
 * external request (not in `internalAddressConfig`; by default every request) stripped of every
 * `x-envoy-*` header and given `x-envoy-external-address` (see edge-policy.ts); `x-forwarded-client-cert`
 * handled per `forwardClientCertDetails` (xfcc.ts); `x-request-id` generated when absent, and
 * replaced on external requests unless `preserveExternalRequestId` (`generateRequestId`, on by
 * default); `x-forwarded-proto` set when absent. Sidecars (no `useRemoteAddress`) keep their
 * callers' `x-envoy-*` headers (design.md §5).
 */
import { randomUUID } from 'node:crypto';
import { edgePolicyOf, isInternalAddress, PEER_METADATA_HEADERS, setClientAddress, stripEnvoyHeaders, trustedClientAddress } from './edge-policy.js';
import { unmapIpv4 } from '../../envoy/cidr.js';
import { FilterStatus, type HttpFilter } from '../http/filter.js';
import { stripHopByHop } from '../http/hop-by-hop.js';
import type { StreamInfo } from '../http/stream-info.js';
import { downstreamPeer } from '../tls/downstream-peer.js';
import { applyXfcc } from '../tls/xfcc.js';

/** The HCM request-header filter; stateless, shared by all requests. */
export class RequestHeadersFilter implements HttpFilter {
  readonly name = 'weft.request_headers';

  decodeHeaders(s: StreamInfo): FilterStatus {
    const h = s.headers as Record<string, string | string[] | undefined>;
    stripHopByHop(h);
    const edge = edgePolicyOf(s.connectionManager.config);
    let external = false;
    if (edge.useRemoteAddress) {
      const raw = s.request.socket?.remoteAddress;
      const remote = raw === undefined ? undefined : unmapIpv4(raw);
      const client = trustedClientAddress(h['x-forwarded-for'], remote, edge.xffNumTrustedHops);
      if (remote !== undefined && !edge.skipXffAppend) {
        const xff = h['x-forwarded-for'];
        const prior = Array.isArray(xff) ? xff.join(', ') : xff;
        h['x-forwarded-for'] = prior === undefined || prior === '' ? remote : `${prior}, ${remote}`;
      }
      if (client !== undefined) setClientAddress(s.request, client);
      // Envoy always drops a client's x-envoy-internal and sets it only for internal requests.
      external = !isInternalAddress(client, edge.internalRanges);
      if (external) {
        stripEnvoyHeaders(h);
        if (client !== undefined) h['x-envoy-external-address'] = client;
      } else h['x-envoy-internal'] = 'true';
    }
    // The server side's metadata exchange consumes the peer-metadata headers (istio/proxy
    // peer_metadata filter); Weft reads peers from endpoint metadata, so it only drops them.
    if (s.connectionManager.direction === 'inbound') for (const n of PEER_METADATA_HEADERS) if (h[n] !== undefined) delete h[n];
    // Inbound connections had their XFCC policy applied at dispatch (listener/inbound-listener-support.ts).
    if (s.connectionManager.direction !== 'inbound') applyXfcc(s.headers, s.connectionManager.config.forwardClientCertDetails, downstreamPeer(s.request.socket));
    // Envoy: "force_set = !preserve_external_request_id && edge_request", else set only when absent.
    if (s.connectionManager.generateRequestId && (h['x-request-id'] === undefined || (external && !edge.preserveExternalRequestId))) h['x-request-id'] = randomUUID();
    if (h['x-forwarded-proto'] === undefined) h['x-forwarded-proto'] = s.scheme;
    return FilterStatus.Continue;
  }
}

/** Re-exported from its leaf home (src/proxy/http/hop-by-hop.ts) for existing importers. */
export { stripHopByHop };
