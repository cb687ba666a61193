/**
 * The TCP proxy network filter and the choice of its upstream from VirtualService `tcp` and `tls`
 * routes, as istiod's buildOutboundNetworkFilters / buildSidecarOutboundTLSFilterChainOpts: the first
 * rule of the oldest VirtualService for the host whose match applies (port, sourceLabels,
 * sourceNamespace, gateways; no match = always) decides; one destination → `cluster`, several →
 * `weightedClusters` (weight 0 left out); no applicable rule → the service's own cluster.
 */
import type { L4MatchAttributes, RouteDestination, TLSMatchAttributes } from '../../config/schema/virtual-service.js';
import type { Filter, Metadata, TcpProxy } from '../../envoy/types.js';
import { selectorMatches } from '../../config/labels.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { RouteContext } from '../route/route-context.js';
import { resolveDestination } from '../route/destination.js';
import { buildRouteMetadata } from '../route/route-metadata.js';
import type { IndexedVirtualService } from '../virtual-services.js';
import { normalizeGatewayName } from '../virtual-services.js';

/** Name of the TCP proxy network filter. */
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';

/** Where a TCP connection goes, and which VirtualService rule said so. */
export interface TcpTarget {
  readonly proxy: TcpProxy;
  /** Route metadata naming the VirtualService rule (absent for the default). */
  readonly metadata?: Metadata;
}

/** Wraps a TcpProxy config as a network filter. */
export function tcpProxyFilter(proxy: TcpProxy): Filter {
  return { name: TCP_PROXY_FILTER, typedConfig: { '@type': TypeUrl.TcpProxy, ...proxy } };
}

/** A TCP proxy to one cluster, with the cluster name as stat prefix (istiod's convention). */
export function tcpProxyToCluster(cluster: string): TcpProxy {
  return { statPrefix: cluster, cluster };
}

/** True when an L4/TLS match block applies to this proxy and port. */
export function l4MatchApplies(m: L4MatchAttributes | TLSMatchAttributes, vsNamespace: string, ctx: RouteContext): boolean {
  if (m.port !== undefined && m.port !== 0 && m.port !== ctx.port) return false;
  if (m.gateways && m.gateways.length > 0) return m.gateways.some((g) => ctx.gatewayNames.has(normalizeGatewayName(g, vsNamespace)));
  if (!selectorMatches(m.sourceLabels, ctx.scope.node.labels)) return false;
  return !m.sourceNamespace || m.sourceNamespace === ctx.scope.node.namespace;
}

/** Converts route destinations to a TcpProxy (statPrefix: the single cluster, or `fallbackStat`). */
export function tcpProxyForDestinations(dsts: readonly RouteDestination[], vsNamespace: string, ctx: RouteContext, fallbackStat: string): TcpProxy | undefined {
  if (dsts.length === 0) return undefined;
  if (dsts.length === 1) return tcpProxyToCluster(resolveDestination(dsts[0]!.destination, vsNamespace, ctx).cluster);
  const clusters = dsts
    .filter((d) => (d.weight ?? 0) > 0)
    .map((d) => ({ name: resolveDestination(d.destination, vsNamespace, ctx).cluster, weight: d.weight! }));
  if (clusters.length === 0) return undefined;
  if (clusters.length === 1) return tcpProxyToCluster(clusters[0]!.name);
  return { statPrefix: fallbackStat, weightedClusters: { clusters } };
}

/** The first applicable `tcp` rule among `vses` (oldest first); undefined when none applies. */
export function selectTcpRoute(vses: readonly IndexedVirtualService[], ctx: RouteContext, stat: string): TcpTarget | undefined {
  for (const vs of vses) {
    const rules = vs.spec.tcp ?? [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const matchIndex = !rule.match || rule.match.length === 0 ? -1 : rule.match.findIndex((m) => l4MatchApplies(m, vs.namespace, ctx));
      if (rule.match && rule.match.length > 0 && matchIndex < 0) continue;
      const proxy = tcpProxyForDestinations(rule.route ?? [], vs.namespace, ctx, stat);
      if (proxy) return { proxy, metadata: buildRouteMetadata(vs.namespace, vs.name, i, matchIndex) };
    }
  }
  return undefined;
}

/** One SNI route: the server names it matches and where it goes. */
export interface TlsRouteTarget extends TcpTarget {
  readonly sniHosts: readonly string[];
  /** The match block's `destinationSubnets` (its chain's prefix ranges; istiod prefers them to the VIP). */
  readonly destinationSubnets?: readonly string[];
}

/** The applicable `tls` rules of `vses`, one entry per match block (sniHosts), in order. */
export function selectTlsRoutes(vses: readonly IndexedVirtualService[], ctx: RouteContext, stat: string): TlsRouteTarget[] {
  const out: TlsRouteTarget[] = [];
  const seen = new Set<string>();
  for (const vs of vses) {
    (vs.spec.tls ?? []).forEach((rule, i) => {
      (rule.match ?? []).forEach((m, j) => {
        if (!l4MatchApplies(m, vs.namespace, ctx)) return;
        const subnets = m.destinationSubnets ?? [];
        const scope = subnets.length > 0 ? `|${[...subnets].sort().join(',')}` : '';
        const sni = (m.sniHosts ?? []).filter((h) => !seen.has(h + scope));
        if (sni.length === 0) return;
        const proxy = tcpProxyForDestinations(rule.route ?? [], vs.namespace, ctx, stat);
        if (!proxy) return;
        sni.forEach((h) => seen.add(h + scope));
        out.push({ sniHosts: sni, proxy, metadata: buildRouteMetadata(vs.namespace, vs.name, i, j), ...(subnets.length > 0 ? { destinationSubnets: subnets } : {}) });
      });
    });
  }
  return out;
}
