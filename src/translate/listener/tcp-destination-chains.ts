/**
 * Destination-address matching of outbound TCP filter chains, as istiod builds it
 * (pilot/pkg/networking/core/listener.go, `buildSidecarOutboundTCPFilterChainOpts` and
 * `buildSidecarOutboundTLSFilterChainOpts`):
 * - a service's addresses become `prefix_ranges`: a VIP as /32 (IPv4) or /128 (IPv6), a CIDR
 *   address (ServiceEntry `addresses: [10.0.0.0/24]`) as itself;
 * - VirtualService `tcp` rules are walked in order: a rule without match, or with an applicable
 *   match block without `destinationSubnets`, is the service's terminal chain (its addresses);
 *   applicable match blocks that all carry `destinationSubnets` give the rule its own chain
 *   matched by those subnets, and the walk goes on to the next rule; when no terminal rule was
 *   found, the service's own cluster is the terminal chain;
 * - `tls` rules: a match block's `destinationSubnets` replace the service address in its SNI chain.
 */
import type { L4MatchAttributes } from '../../config/schema/virtual-service.js';
import type { CidrRange, FilterChain } from '../../envoy/types.js';
import { buildRouteMetadata } from '../route/route-metadata.js';
import type { RouteContext } from '../route/route-context.js';
import type { IndexedVirtualService } from '../virtual-services.js';
import { withTcpDestinationPolicy } from './tcp-destination-policy.js';
import { l4MatchApplies, tcpProxyFilter, tcpProxyForDestinations, tcpProxyToCluster } from './tcp-proxy.js';

/** `a.b.c.d`, `a.b.c.d/n`, `::1`, `fd00::/8` as an Envoy CidrRange (host addresses: full length). */
export function cidrRangeOf(text: string): CidrRange {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const len = slash >= 0 ? Number(text.slice(slash + 1)) : addr.includes(':') ? 128 : 32;
  return { addressPrefix: addr, prefixLen: { value: len } };
}

/** A service's addresses as prefix ranges (VIPs of both families and CIDRs; 0.0.0.0 and empty skipped). */
export function serviceRanges(addresses: readonly string[]): CidrRange[] {
  return addresses.filter((a) => a && a !== '0.0.0.0' && a !== '::').map(cidrRangeOf);
}

/** True when some address is a CIDR (matched even when the service is alone on its port). */
export function hasCidrAddress(addresses: readonly string[]): boolean {
  return addresses.some((a) => a.includes('/'));
}

/**
 * The TCP chains of one service: subnet-only rules first (own chains), then the terminal chain.
 * `ranges` are the service's destination ranges (undefined = any destination); `cluster` names
 * the terminal chain, so connections for the service by name still find it.
 */
export function tcpChainsForService(vses: readonly IndexedVirtualService[], ctx: RouteContext, cluster: string, ranges: readonly CidrRange[] | undefined): FilterChain[] {
  const out: FilterChain[] = [];
  const withRanges = (r: readonly CidrRange[] | undefined) => (r && r.length > 0 ? { filterChainMatch: { prefixRanges: r } } : {});
  for (const vs of vses) {
    const rules = vs.spec.tcp ?? [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const proxy = tcpProxyForDestinations(rule.route ?? [], vs.namespace, ctx, cluster);
      if (!proxy) continue;
      if (!rule.match || rule.match.length === 0) {
        out.push({ name: cluster, ...withRanges(ranges), filters: [tcpProxyFilter(withTcpDestinationPolicy(proxy, ctx.scope))], metadata: buildRouteMetadata(vs.namespace, vs.name, i, -1) });
        return out;
      }
      const subnets: string[] = [];
      for (let j = 0; j < rule.match.length; j++) {
        const m: L4MatchAttributes = rule.match[j]!;
        if (!l4MatchApplies(m, vs.namespace, ctx)) continue;
        if (!m.destinationSubnets || m.destinationSubnets.length === 0) {
          out.push({ name: cluster, ...withRanges(ranges), filters: [tcpProxyFilter(withTcpDestinationPolicy(proxy, ctx.scope))], metadata: buildRouteMetadata(vs.namespace, vs.name, i, j) });
          return out;
        }
        subnets.push(...m.destinationSubnets);
      }
      if (subnets.length > 0) {
        out.push({ name: `subnet:${vs.namespace}/${vs.name}/${i}:${cluster}`, filterChainMatch: { prefixRanges: subnets.map(cidrRangeOf) }, filters: [tcpProxyFilter(withTcpDestinationPolicy(proxy, ctx.scope))], metadata: buildRouteMetadata(vs.namespace, vs.name, i, -1) });
      }
    }
  }
  out.push({ name: cluster, ...withRanges(ranges), filters: [tcpProxyFilter(withTcpDestinationPolicy(tcpProxyToCluster(cluster), ctx.scope))] });
  return out;
}

/** Canonical key of a chain's destination match (to drop chains Envoy would reject as identical). */
export function destinationKey(fc: FilterChain): string {
  const m = fc.filterChainMatch ?? {};
  const ranges = (m.prefixRanges ?? []).map((r) => `${r.addressPrefix}/${r.prefixLen?.value ?? 0}`).sort().join(',');
  return `${ranges}|${(m.serverNames ?? []).join(',')}|${m.transportProtocol ?? ''}|${(m.applicationProtocols ?? []).join(',')}`;
}
