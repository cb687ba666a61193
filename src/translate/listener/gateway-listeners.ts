/**
 * A gateway proxy's listeners, as istiod's buildGatewayListeners: one `0.0.0.0_<listenerPort>`
 * listener per listener port (Gateway server ports mapped by `gatewayPortMap`). Plain HTTP servers
 * share one chain with an HCM on RDS `http.<listenerPort>`; TLS-based servers get one chain each,
 * selected by SNI (`serverNames` from the server hosts, none for `*`): HTTPS with termination runs an
 * HCM on RDS `https.<port>.<portName>.<gw>.<ns>` behind a DownstreamTlsContext; TLS with
 * termination and TCP servers run a TCP proxy from the VirtualService `tcp` rules bound to the
 * Gateway; PASSTHROUGH servers get one chain per VirtualService `tls` rule, selected by its SNI hosts.
 */
import type { FilterChain, Listener } from '../../envoy/types.js';
import { BLACKHOLE_CLUSTER } from '../cluster/cluster-names.js';
import { isHttpServerProtocol, type GatewayServer } from '../gateway-servers.js';
import type { ProxyScope } from '../proxy-scope.js';
import { securityHttpFilters } from '../security/security-filters.js';
import { networkAuthzFilters } from '../security/network-authz-filters.js';
import { intersectHosts } from '../route/gateway-routes.js';
import { NO_HASH_POLICY, type RouteContext } from '../route/route-context.js';
import { buildHttpConnectionManager, hcmFilter } from './http-connection-manager.js';
import { selectTcpRoute, selectTlsRoutes, tcpProxyFilter, tcpProxyToCluster } from './tcp-proxy.js';
import { withTcpDestinationPolicy } from './tcp-destination-policy.js';
import { buildDownstreamTlsContext, tlsTransportSocket } from './tls-context.js';

const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } };

/** Builds the gateway's listeners, sorted by port. */
export function buildGatewayListeners(scope: ProxyScope, servers: readonly GatewayServer[]): Listener[] {
  // One listener per (bind, port), as istiod keys gateway listeners: `servers.bind` listens on that
  // address (named `<bind>_<port>`), other servers on the wildcard.
  const byKey = new Map<string, { bind: string; port: number; group: GatewayServer[] }>();
  for (const s of servers) {
    const bind = s.server.bind || '0.0.0.0';
    const key = `${bind}_${s.listenerPort}`;
    const entry = byKey.get(key);
    if (entry) entry.group.push(s);
    else byKey.set(key, { bind, port: s.listenerPort, group: [s] });
  }
  const out: Listener[] = [];
  const keys = [...byKey.values()].sort((a, b) => a.port - b.port || (a.bind < b.bind ? -1 : a.bind > b.bind ? 1 : 0));
  for (const { bind, port, group } of keys) {
    const http = isHttpServerProtocol(group[0]!.protocol);
    const chains = http ? [httpChain(scope, group[0]!)] : group.flatMap((s) => tlsChains(scope, s));
    if (chains.length === 0) continue;
    out.push({
      name: `${bind}_${port}`,
      // A unix-socket bind becomes a pipe address; Weft's gateway does not listen on sockets (registry note).
      address: bind.startsWith('unix://') ? { pipe: { path: bind.slice('unix://'.length) } } : { socketAddress: { address: bind, portValue: port } },
      trafficDirection: 'OUTBOUND',
      filterChains: chains,
      ...(http ? {} : { listenerFilters: [TLS_INSPECTOR] }),
    });
  }
  return out;
}

function gatewayHcm(scope: ProxyScope, s: GatewayServer, statPrefix: string) {
  const topology = scope.snapshot.meshConfig.gatewayTopology;
  return hcmFilter(
    buildHttpConnectionManager({
      statPrefix,
      rds: s.routeName!,
      useRemoteAddress: true,
      pathNormalization: scope.snapshot.meshConfig.pathNormalization,
      // istiod buildGatewayConnectionManager: SANITIZE_SET unless gatewayTopology says otherwise,
      // xff_num_trusted_hops = gatewayTopology.numTrustedProxies; no internal_address_config, so
      // every downstream request is external (its x-envoy-* headers are stripped).
      forwardClientCertDetails: topology.forwardClientCertDetails ?? 'SANITIZE_SET',
      xffNumTrustedHops: topology.numTrustedProxies,
      preserveExternalRequestId: scope.snapshot.meshConfig.preserveExternalRequestId,
      serverName: 'istio-envoy',
      securityFilters: securityHttpFilters(scope.snapshot, scope.node).filters,
    }),
  );
}

function httpChain(scope: ProxyScope, s: GatewayServer): FilterChain {
  return { filters: [gatewayHcm(scope, s, `outbound_0.0.0.0_${s.listenerPort}`)] };
}

/** SNI names of a server: its hosts, none when a host is `*` (then the chain matches any SNI). */
function serverNames(s: GatewayServer): string[] {
  const hosts = s.hosts.map((h) => h.host);
  return hosts.includes('*') ? [] : [...new Set(hosts)];
}

function tlsChains(scope: ProxyScope, s: GatewayServer): FilterChain[] {
  const ctx: RouteContext = { scope, port: s.port, gatewayNames: new Set([s.gateway.ref]), isTls: true, hashPolicy: NO_HASH_POLICY };
  const names = serverNames(s);
  const match = names.length > 0 ? { filterChainMatch: { serverNames: names } } : {};
  const vses = scope.virtualServicesForGateway(s.gateway.ref).filter((vs) => intersectHosts(s.hosts.map((h) => h.host), vs.hosts).length > 0);
  const chainName = `${s.gateway.ref}/${s.server.name ?? s.index}`;
  if (s.protocol === 'HTTPS' && s.terminatesTls && s.routeName) {
    return [{ name: chainName, ...match, transportSocket: tlsTransportSocket(buildDownstreamTlsContext(s.server.tls!, true)), filters: [gatewayHcm(scope, s, s.server.name || `outbound_0.0.0.0_${s.listenerPort}`)] }];
  }
  // Every TCP chain of a gateway (plain TCP, TLS-terminating TCP and PASSTHROUGH) runs the gateway's
  // AuthorizationPolicies as network RBAC before tcp_proxy, as istiod's BuildTCP does for gateways.
  const authz = networkAuthzFilters(scope.snapshot, { namespace: scope.node.namespace, labels: scope.node.labels }).filters;
  if (!s.terminatesTls && s.server.tls) {
    // PASSTHROUGH: route by SNI with the VirtualServices' tls rules.
    return selectTlsRoutes(vses, ctx, `outbound_0.0.0.0_${s.listenerPort}`).map((t) => ({
      name: `${chainName}/${t.sniHosts.join(',')}`,
      filterChainMatch: { serverNames: [...t.sniHosts] },
      filters: [...authz, tcpProxyFilter(withTcpDestinationPolicy(t.proxy, scope))],
      ...(t.metadata ? { metadata: t.metadata } : {}),
    }));
  }
  const target = selectTcpRoute(vses, ctx, `outbound_0.0.0.0_${s.listenerPort}`);
  return [
    {
      name: chainName,
      ...match,
      ...(s.terminatesTls ? { transportSocket: tlsTransportSocket(buildDownstreamTlsContext(s.server.tls!, false)) } : {}),
      filters: [...authz, tcpProxyFilter(withTcpDestinationPolicy(target?.proxy ?? tcpProxyToCluster(BLACKHOLE_CLUSTER), scope))],
      ...(target?.metadata ? { metadata: target.metadata } : {}),
    },
  ];
}
