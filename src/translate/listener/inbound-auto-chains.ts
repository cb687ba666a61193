/**
 * Inbound filter chains of a port with no declared protocol (Service port without a protocol
 * prefix or appProtocol, Sidecar ingress port without `protocol`): as istiod does for
 * `ListenerProtocolAuto` on the `virtualInbound` listener (pilot/pkg/networking/core
 * listener_inbound.go `buildInboundFilterChains`, filterchain_options.go), each transport the
 * port's PeerAuthentication mode accepts gets an HTTP chain and a TCP chain, chosen per connection
 * by the tls_inspector and http_inspector listener filters:
 * - PERMISSIVE: tls + ALPN `istio-http/1.0|1.1|istio-h2` → HTTP over mTLS; raw_buffer + ALPN
 *   `http/1.1|h2c` → plaintext HTTP; tls + ALPN `istio-peer-exchange|istio` → TCP over mTLS;
 *   raw_buffer → plaintext TCP; any other TLS (the app's own, one-way TLS from a client without a
 *   sidecar) → TCP proxied as is, not terminated;
 * - STRICT: tls + the mTLS HTTP ALPNs → HTTP over mTLS; other tls → TCP over mTLS;
 * - DISABLE: raw_buffer + the plaintext HTTP ALPNs → HTTP; raw_buffer → TCP.
 * The caller's sidecar says what it detected through ALPN (Istio's `istio.alpn` filter:
 * `istio-http/1.1` for HTTP/1.1, `istio-h2` for HTTP/2, plain `istio` for TCP).
 * The listener waits for the first bytes at most mesh config `protocolDetectionTimeout` (default
 * 0s: no limit, as in Istio), then goes on as opaque TCP (`continue_on_listener_filters_timeout`).
 */
import type { Filter, FilterChain, FilterChainMatch, Listener } from '../../envoy/types.js';
import type { MeshConfig } from '../../config/mesh-config.js';
import { toProtoDuration } from '../../envoy/duration.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { MtlsMode } from '../cluster/peer-authentication-mode.js';
import { inboundMtlsContext } from './inbound-mtls-chains.js';
import { PLAINTEXT_HTTP_ALPNS, protocolDetectionFilters } from './protocol-sniffing.js';

/** ALPN values a caller's sidecar offers for HTTP over mTLS (istiod's `mtlsHTTPALPNs`). */
export const MTLS_HTTP_ALPNS: readonly string[] = Object.freeze(['istio-http/1.0', 'istio-http/1.1', 'istio-h2']);
/** ALPN values a caller's sidecar offers for TCP over mTLS (istiod's `mtlsTCPWithMxcALPNs`). */
export const MTLS_TCP_ALPNS: readonly string[] = Object.freeze(['istio-peer-exchange', 'istio']);

/**
 * The chains of one auto-protocol inbound port: `http` is the port's HCM filter, `tcp` its network
 * filters (RBAC then tcp_proxy). Every chain is named `<bind>_<port>` as istiod names them (Weft's
 * mTLS chains add `_mtls`, as inbound-mtls-chains.ts does).
 */
export function autoInboundChains(port: number, mode: MtlsMode, http: Filter, tcp: readonly Filter[], trustDomain: string, bind = '0.0.0.0'): FilterChain[] {
  const base = `${bind}_${port}`;
  const m = (extra: Omit<FilterChainMatch, 'destinationPort'>): FilterChainMatch => ({ destinationPort: { value: port }, ...extra });
  const mtls = (isHttp: boolean): FilterChain['transportSocket'] => ({
    name: 'envoy.transport_sockets.tls',
    typedConfig: { '@type': TypeUrl.DownstreamTlsContext, ...inboundMtlsContext(trustDomain, isHttp) },
  });
  const httpMtls: FilterChain = { name: `${base}_mtls`, filterChainMatch: m({ transportProtocol: 'tls', applicationProtocols: MTLS_HTTP_ALPNS }), filters: [http], transportSocket: mtls(true) };
  const httpPlain: FilterChain = { name: base, filterChainMatch: m({ transportProtocol: 'raw_buffer', applicationProtocols: PLAINTEXT_HTTP_ALPNS }), filters: [http] };
  const tcpPlain: FilterChain = { name: base, filterChainMatch: m({ transportProtocol: 'raw_buffer' }), filters: [...tcp] };
  switch (mode) {
    case 'DISABLE':
      return [httpPlain, tcpPlain];
    case 'STRICT':
      return [httpMtls, { name: `${base}_mtls`, filterChainMatch: m({ transportProtocol: 'tls' }), filters: [...tcp], transportSocket: mtls(false) }];
    default:
      return [
        httpMtls,
        httpPlain,
        { name: `${base}_mtls`, filterChainMatch: m({ transportProtocol: 'tls', applicationProtocols: MTLS_TCP_ALPNS }), filters: [...tcp], transportSocket: mtls(false) },
        tcpPlain,
        // The app's own TLS (or one-way TLS from outside the mesh): proxied as TCP, not terminated.
        { name: base, filterChainMatch: m({ transportProtocol: 'tls' }), filters: [...tcp] },
      ];
  }
}

/**
 * The listener fields `virtualInbound` carries when a port is detected: istiod's tls_inspector and
 * http_inspector, `listener_filters_timeout` from mesh config `protocolDetectionTimeout` (0s when
 * unset: no limit) and `continue_on_listener_filters_timeout: true`.
 */
export function inboundDetectionFields(mesh: MeshConfig): Pick<Listener, 'listenerFilters' | 'listenerFiltersTimeout' | 'continueOnListenerFiltersTimeout'> {
  return {
    listenerFilters: protocolDetectionFilters(),
    listenerFiltersTimeout: protocolDetectionTimeout(mesh),
    continueOnListenerFiltersTimeout: true,
  };
}

/** Envoy's `listener_filters_timeout` for detecting listeners: mesh config `protocolDetectionTimeout` (default 0s, no limit). */
export function protocolDetectionTimeout(mesh: MeshConfig): NonNullable<Listener['listenerFiltersTimeout']> {
  return toProtoDuration(mesh.protocolDetectionTimeoutMs ?? 0);
}
