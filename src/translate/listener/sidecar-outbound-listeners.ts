/**
 * A sidecar's outbound listeners, as istiod's buildSidecarOutboundListeners: `virtualOutbound`
 * (0.0.0.0:15001, original destination) whose default chain passes unknown traffic through
 * (ALLOW_ANY) or drops it (REGISTRY_ONLY), and one `0.0.0.0_<port>` listener per service port, not
 * bound (traffic arrives through the virtual listener or, under `weft up`, the HTTP proxy). HTTP
 * ports run an HCM with RDS `<port>`; TCP ports a TCP proxy per service (matched by VIP when several
 * services share the port) using the VirtualService `tcp` rules; TLS/HTTPS ports add SNI chains
 * from VirtualService `tls` rules. When HTTP and TCP services share a port, HTTP wins. Ports whose
 * protocol is not declared (UNKNOWN) detect it per connection, as istiod's auto-protocol listeners
 * (protocol-sniffing.ts): HTTP/1.1 and h2c reach the HCM, anything else the TCP proxy.
 */
import type { FilterChain, Listener } from '../../envoy/types.js';
import { hostMatches } from '../../config/hosts.js';
import { isHttpProtocol } from '../../registry/protocol.js';
import type { Service } from '../../registry/types.js';
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER, outboundClusterName } from '../cluster/cluster-names.js';
import type { ProxyScope } from '../proxy-scope.js';
import { NO_HASH_POLICY, type RouteContext } from '../route/route-context.js';
import { MESH_GATEWAY } from '../virtual-services.js';
import { buildHttpConnectionManager, hcmFilter } from './http-connection-manager.js';
import { cidrRangeOf, destinationKey, hasCidrAddress, serviceRanges, tcpChainsForService } from './tcp-destination-chains.js';
import { autoProtocolChains, protocolDetectionFilters, type AutoTcpTarget } from './protocol-sniffing.js';
import { protocolDetectionTimeout } from './inbound-auto-chains.js';
import { selectTcpRoute, selectTlsRoutes, tcpProxyFilter, tcpProxyToCluster } from './tcp-proxy.js';
import { withTcpDestinationPolicy } from './tcp-destination-policy.js';
import { buildEgressBindListeners } from './sidecar-egress-bind.js';

/** Name and port of the virtual outbound listener. */
export const VIRTUAL_OUTBOUND = { name: 'virtualOutbound', port: 15001 } as const;

/** Builds every outbound listener of a sidecar (virtualOutbound first, then by port). */
export function buildSidecarOutboundListeners(scope: ProxyScope): Listener[] {
  const ports = new Map<number, { http: boolean; tls: boolean; auto: boolean }>();
  for (const svc of scope.services) {
    for (const p of svc.ports) {
      if (p.protocol === 'UDP') continue;
      const cur = ports.get(p.port) ?? { http: false, tls: false, auto: false };
      ports.set(p.port, { http: cur.http || isHttpProtocol(p.protocol), tls: cur.tls || p.protocol === 'TLS' || p.protocol === 'HTTPS', auto: cur.auto || p.protocol === 'UNKNOWN' });
    }
  }
  const listeners: Listener[] = [buildVirtualOutbound(scope)];
  for (const port of [...ports.keys()].sort((a, b) => a - b)) {
    const declared = egressProtocol(scope, port);
    const kind = declared ?? ports.get(port)!;
    const l = kind.auto ? buildAutoListener(scope, port) : kind.http ? buildHttpListener(scope, port) : buildTcpListener(scope, port, kind.tls, declared !== undefined);
    if (l) listeners.push(l);
  }
  // Sidecar egress `bind` (sidecar-egress-bind.ts): `<bind>_<port>` listeners bound to their port.
  listeners.push(...buildEgressBindListeners(scope, listeners));
  return listeners;
}

/** The chain unknown destinations fall into: PassthroughCluster (or the Sidecar's egressProxy) or BlackHoleCluster. */
export function passthroughChain(scope: ProxyScope): FilterChain {
  const allow = scope.outboundTrafficPolicy === 'ALLOW_ANY';
  const cluster = allow ? (scope.egressProxyCluster ?? PASSTHROUGH_CLUSTER) : BLACKHOLE_CLUSTER;
  return { name: allow ? 'PassthroughFilterChain' : 'BlackHoleFilterChain', filters: [tcpProxyFilter(tcpProxyToCluster(cluster))] };
}

function buildVirtualOutbound(scope: ProxyScope): Listener {
  return {
    name: VIRTUAL_OUTBOUND.name,
    address: { socketAddress: { address: '0.0.0.0', portValue: VIRTUAL_OUTBOUND.port } },
    useOriginalDst: { value: true },
    trafficDirection: 'OUTBOUND',
    filterChains: [
      {
        name: 'virtualOutbound-blackhole',
        filterChainMatch: { destinationPort: { value: VIRTUAL_OUTBOUND.port } },
        filters: [tcpProxyFilter(tcpProxyToCluster(BLACKHOLE_CLUSTER))],
      },
    ],
    defaultFilterChain: passthroughChain(scope),
  };
}

function portListener(port: number, filterChains: FilterChain[], extra: Partial<Listener> = {}): Listener {
  return {
    name: `0.0.0.0_${port}`,
    address: { socketAddress: { address: '0.0.0.0', portValue: port } },
    bindToPort: { value: false },
    trafficDirection: 'OUTBOUND',
    filterChains,
    ...extra,
  };
}

function outboundHcmFilter(scope: ProxyScope, port: number) {
  return hcmFilter(buildHttpConnectionManager({
    statPrefix: `outbound_0.0.0.0_${port}`,
    rds: String(port),
    useRemoteAddress: false,
    pathNormalization: scope.snapshot.meshConfig.pathNormalization,
    forwardClientCertDetails: 'APPEND_FORWARD',
  }));
}

function buildHttpListener(scope: ProxyScope, port: number): Listener {
  return portListener(port, [{ filters: [outboundHcmFilter(scope, port)] }]);
}

/** An auto-protocol port (protocol-sniffing.ts): the HCM for detected HTTP, TCP proxies for the rest. */
function buildAutoListener(scope: ProxyScope, port: number): Listener {
  const services = scope.servicesForPort(port).filter((s) => s.ports.some((p) => p.port === port && (p.protocol === 'UNKNOWN' || !isHttpProtocol(p.protocol)) && p.protocol !== 'UDP'));
  const targets: AutoTcpTarget[] = tcpServiceChains(scope, port, services).map((c) => ({
    name: c.name ?? '', filters: c.filters ?? [], ...(c.filterChainMatch?.prefixRanges ? { prefixRanges: c.filterChainMatch.prefixRanges } : {}), ...(c.metadata ? { metadata: c.metadata } : {}),
  }));
  return portListener(port, autoProtocolChains(outboundHcmFilter(scope, port), targets), {
    defaultFilterChain: passthroughChain(scope),
    listenerFilters: protocolDetectionFilters(),
    // Mesh config `protocolDetectionTimeout` defaults to 0s (no timeout), as in Istio.
    listenerFiltersTimeout: protocolDetectionTimeout(scope.snapshot.meshConfig),
    continueOnListenerFiltersTimeout: true,
  });
}

/**
 * The protocol a Sidecar egress listener declares for `port` (`egress[].port.protocol`): istiod
 * builds that port's listener with the declared protocol instead of the services' (listener.go,
 * `listenPort.Protocol`). HTTP-family → HTTP listener, TLS/HTTPS → TLS, others → opaque TCP.
 */
function egressProtocol(scope: ProxyScope, port: number): { http: boolean; tls: boolean; auto: boolean } | undefined {
  const p = scope.egress.find((e) => e.port === port)?.protocol;
  if (p === undefined || p === 'UNKNOWN' || p === 'UDP') return undefined;
  if (p === 'TLS' || p === 'HTTPS') return { http: false, tls: true, auto: false };
  return { http: isHttpProtocol(p), tls: false, auto: false };
}

function buildTcpListener(scope: ProxyScope, port: number, tls: boolean, declared = false): Listener | undefined {
  // A declared egress protocol makes every service of the port opaque TCP (or TLS) on it.
  const services = scope.servicesForPort(port).filter((s) => s.ports.some((p) => p.port === port && (declared || !isHttpProtocol(p.protocol)) && p.protocol !== 'UDP'));
  if (services.length === 0) return undefined;
  const ctx: RouteContext = { scope, port, gatewayNames: new Set([MESH_GATEWAY]), isTls: false, hashPolicy: NO_HASH_POLICY };
  const vsFor = (svc: Service) => scope.virtualServicesForPort(port).filter((vs) => vs.hosts.some((h) => hostMatches(h, svc.hostname)));
  const chains: FilterChain[] = [];
  const withTlsRoute = new Set<Service>();
  if (tls) {
    const seen = new Set<string>();
    for (const svc of services) {
      for (const t of selectTlsRoutes(vsFor(svc), ctx, svc.hostname)) {
        withTlsRoute.add(svc);
        const subnetKey = t.destinationSubnets ? `|${[...t.destinationSubnets].sort().join(',')}` : '';
        const names = t.sniHosts.filter((h) => !seen.has(h + subnetKey));
        if (names.length === 0) continue;
        names.forEach((h) => seen.add(h + subnetKey));
        const prefixRanges = t.destinationSubnets?.map(cidrRangeOf);
        chains.push({ name: `tls:${names.join(',')}`, filterChainMatch: { serverNames: names, ...(prefixRanges ? { prefixRanges } : {}) }, filters: [tcpProxyFilter(withTcpDestinationPolicy(t.proxy, scope))], ...(t.metadata ? { metadata: t.metadata } : {}) });
      }
    }
  }
  // TLS/HTTPS services no `tls` rule matched: opaque TCP to their own cluster, matched by SNI =
  // the hostname when the service has no VIP (istiod buildSidecarOutboundTLSFilterChainOpts).
  chains.push(...tcpServiceChains(scope, port, services, tls ? (svc) => !withTlsRoute.has(svc) : undefined));
  return portListener(port, chains, {
    defaultFilterChain: passthroughChain(scope),
    ...(tls ? { listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } }] } : {}),
  });
}

/**
 * One TCP proxy chain per service of the port (matched by VIP when several services share it).
 * `sniByHost` (TLS/HTTPS ports): services it accepts that have no VIP match their hostname as
 * SNI instead, as istiod does for TLS services without a TLS route.
 */
function tcpServiceChains(scope: ProxyScope, port: number, services: readonly Service[], sniByHost?: (svc: Service) => boolean): FilterChain[] {
  const ctx: RouteContext = { scope, port, gatewayNames: new Set([MESH_GATEWAY]), isTls: false, hashPolicy: NO_HASH_POLICY };
  const vsFor = (svc: Service) => scope.virtualServicesForPort(port).filter((vs) => vs.hosts.some((h) => hostMatches(h, svc.hostname)));
  const chains: FilterChain[] = [];
  const single = services.length === 1;
  const seen = new Set<string>();
  const push = (fc: FilterChain): void => {
    const key = destinationKey(fc);
    if (seen.has(key)) return;
    seen.add(key);
    chains.push(fc);
  };
  for (const svc of services) {
    // VIPs (IPv4 /32, IPv6 /128) and CIDR addresses as prefix ranges (tcp-destination-chains.ts).
    const ranges = serviceRanges(svc.addresses);
    const cidr = hasCidrAddress(svc.addresses);
    const cluster = outboundClusterName(port, '', svc.hostname);
    if (sniByHost?.(svc) && (ranges.length === 0 || cidr)) {
      push({ name: cluster, filterChainMatch: { serverNames: [svc.hostname], ...(cidr ? { prefixRanges: ranges } : {}) }, filters: [tcpProxyFilter(tcpProxyToCluster(cluster))] });
      continue;
    }
    if (!single && ranges.length === 0) continue;
    // istiod applies `tcp` rules on TCP ports only; a TLS service without a tls route is opaque TCP.
    for (const fc of tcpChainsForService(sniByHost ? [] : vsFor(svc), ctx, cluster, single && !cidr ? undefined : ranges)) push(fc);
  }
  return chains;
}
