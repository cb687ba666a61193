/**
 * Outbound listeners for ports whose protocol is not declared (Service port without a protocol
 * prefix or appProtocol, ServiceEntry port without `protocol`): Istio detects the protocol per
 * connection instead of assuming HTTP. As istiod does (pilot/pkg/networking/core/listener.go,
 * `buildSidecarOutboundListener` with `ListenerProtocolAuto`; listener_test.go
 * `verifyHTTPFilterChainMatch`), such a listener carries the `tls_inspector` and `http_inspector`
 * listener filters, an HTTP filter chain matched by `transport_protocol: raw_buffer` and
 * `application_protocols: [http/1.1, h2c]` (istiod's `plaintextHTTPALPNs`; `http/1.0` only with
 * its HTTP10 feature flag), and sends everything else (raw TCP, TLS, server-first protocols once
 * the client speaks) to the service's TCP proxy. `listener_filters_timeout` follows mesh config
 * `protocolDetectionTimeout`, whose default is 0s: no timeout, so a server-first protocol waits
 * for the client's first bytes, as in Istio; `continue_on_listener_filters_timeout` is true.
 *
 * istiod puts each TCP service of an auto port on its own `<VIP>_<port>` listener whose default
 * chain is the TCP proxy. Weft keeps one `0.0.0.0_<port>` listener per port, so each service's
 * chains repeat that listener's decision under its VIP's `prefix_ranges` (Envoy matches the
 * destination IP before the transport and ALPN and never backtracks): HTTP
 * (raw_buffer + HTTP ALPN), then TCP for other plaintext (raw_buffer), then TCP for any transport.
 */
import type { CidrRange, Filter, FilterChain, FilterChainMatch, ListenerFilter } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';

/** ALPN values http_inspector reports that istiod routes to the HCM (`plaintextHTTPALPNs`). */
export const PLAINTEXT_HTTP_ALPNS: readonly string[] = Object.freeze(['http/1.1', 'h2c']);

/** Envoy's name of the TLS inspector listener filter. */
export const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
/** Envoy's name of the HTTP inspector listener filter. */
export const HTTP_INSPECTOR = 'envoy.filters.listener.http_inspector';

/** The tls_inspector listener filter. */
export function tlsInspectorFilter(): ListenerFilter {
  return { name: TLS_INSPECTOR, typedConfig: { '@type': TypeUrl.TlsInspector } };
}

/** The listener filters of an auto-protocol outbound listener (istiod's order: TLS, then HTTP). */
export function protocolDetectionFilters(): ListenerFilter[] {
  return [tlsInspectorFilter(), { name: HTTP_INSPECTOR, typedConfig: { '@type': TypeUrl.HttpInspector } }];
}

/** One TCP destination of an auto port: its chain name, TCP proxy filters and (several services) VIP ranges. */
export interface AutoTcpTarget {
  readonly name: string;
  readonly filters: readonly Filter[];
  readonly prefixRanges?: readonly CidrRange[];
  readonly metadata?: FilterChain['metadata'];
}

/**
 * The filter chains of an auto-protocol port: per TCP target (or once, with no ranges, when the
 * port has no TCP target), HTTP for plaintext HTTP/1.1 and h2c, then the target's TCP proxy for
 * every other connection. `httpFilter` is the port's HCM network filter.
 */
export function autoProtocolChains(httpFilter: Filter, targets: readonly AutoTcpTarget[]): FilterChain[] {
  const chains: FilterChain[] = [];
  const withRanges = (m: FilterChainMatch, ranges: readonly CidrRange[] | undefined): FilterChainMatch => (ranges && ranges.length > 0 ? { prefixRanges: ranges, ...m } : m);
  const groups = targets.length > 0 ? targets : [undefined];
  for (const t of groups) {
    chains.push({
      name: t ? `http:${t.name}` : 'http',
      filterChainMatch: withRanges({ transportProtocol: 'raw_buffer', applicationProtocols: PLAINTEXT_HTTP_ALPNS }, t?.prefixRanges),
      filters: [httpFilter],
    });
    if (!t) continue;
    const meta = t.metadata ? { metadata: t.metadata } : {};
    chains.push({ name: t.name, filterChainMatch: withRanges({ transportProtocol: 'raw_buffer' }, t.prefixRanges), filters: t.filters, ...meta });
    const anyTransport = withRanges({}, t.prefixRanges);
    chains.push({ name: t.name, ...(Object.keys(anyTransport).length > 0 ? { filterChainMatch: anyTransport } : {}), filters: t.filters, ...meta });
  }
  return chains;
}
