/**
 * A sidecar's `virtualInbound` listener (0.0.0.0:15006, original destination), as istiod's
 * buildInboundListeners: one filter chain per port the workload serves for a service that selects it
 * (matched by destination port = the service's target port), running an HCM with an inline route
 * configuration `inbound|<port>||` (one `inbound|http|<port>` virtual host for every domain, the
 * default route to `inbound|<port>||` without timeout) for HTTP ports, or a TCP proxy to that
 * cluster for TCP ports (after the AuthorizationPolicy network RBAC filters, network-authz-filters.ts);
 * other ports fall through to the inbound passthrough chain. Each port's chains
 * follow its PeerAuthentication mode (STRICT: mTLS only; PERMISSIVE: mTLS and plaintext; DISABLE:
 * plaintext), see inbound-mtls-chains.ts.
 */
import type { Filter, FilterChain, Listener, RouteConfiguration } from '../../envoy/types.js';
import { selectorIsEmpty, selectorMatches } from '../../config/labels.js';
import { isHttpProtocol } from '../../registry/protocol.js';
import type { Protocol, Service, ServicePort, Workload } from '../../registry/types.js';
import { INBOUND_PASSTHROUGH_CLUSTER, inboundClusterName } from '../cluster/cluster-names.js';
import type { ProxyScope } from '../proxy-scope.js';
import { CATCH_ALL_MATCH } from '../route/route-match.js';
import { traceOperation } from '../route/route-metadata.js';
import { ZERO_DURATION } from '../../envoy/duration.js';
import { securityHttpFilters } from '../security/security-filters.js';
import { networkAuthzFilters } from '../security/network-authz-filters.js';
import { buildHttpConnectionManager, hcmFilter } from './http-connection-manager.js';
import { tcpProxyFilter, tcpProxyToCluster } from './tcp-proxy.js';
import { workloadMtlsMode } from '../cluster/peer-authentication-mode.js';
import { inboundChainsForMode } from './inbound-mtls-chains.js';
import { servicesInNamespace, workloadNamed } from '../registry-index.js';
import { inboundTargets } from '../cluster/build-inbound-clusters.js';
import { sidecarIngressPorts } from '../cluster/sidecar-ingress.js';
import { autoInboundChains, inboundDetectionFields } from './inbound-auto-chains.js';

/** Name and port of the virtual inbound listener. */
export const VIRTUAL_INBOUND = { name: 'virtualInbound', port: 15006 } as const;

/** One port the workload serves: the service port it backs and the port on the workload. */
export interface InboundPort {
  readonly service: Service;
  readonly servicePort: ServicePort;
  readonly targetPort: number;
  readonly protocol: Protocol;
  /** Address the proxy listens on for this port (Sidecar ingress `bind`); the pod IP when unset. */
  readonly bind?: string;
}

/**
 * The ports a sidecar's workload serves, one per target port (the first service by hostname wins a
 * port), from the Services and ServiceEntries in its namespace whose selector matches its labels.
 */
export function inboundPorts(scope: ProxyScope): InboundPort[] {
  const node = scope.node;
  // A Sidecar with ingress listeners defines the inbound ports instead (cluster/sidecar-ingress.ts).
  const ingress = sidecarIngressPorts(scope.snapshot, node, inboundTargets(scope.snapshot, node));
  if (ingress) return ingress.map((p) => ({ service: p.service, servicePort: p.servicePort, targetPort: p.port, protocol: p.protocol, bind: p.bind }));
  const workload = workloadNamed(scope.snapshot.registry, node.namespace, node.podName);
  const byPort = new Map<number, InboundPort>();
  const services = servicesInNamespace(scope.snapshot.registry, node.namespace)
    .filter((s) => !selectorIsEmpty(s.selector) && selectorMatches(s.selector, node.labels))
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  for (const service of services) {
    for (const sp of service.ports) {
      if (sp.protocol === 'UDP') continue;
      const targetPort = resolveTargetPort(sp, workload);
      if (targetPort === undefined || byPort.has(targetPort)) continue;
      byPort.set(targetPort, { service, servicePort: sp, targetPort, protocol: sp.protocol });
    }
  }
  return [...byPort.values()].sort((a, b) => a.targetPort - b.targetPort);
}

function resolveTargetPort(sp: ServicePort, w: Workload | undefined): number | undefined {
  const t = sp.targetPort ?? sp.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(t)) return Number(t);
  return w?.namedPorts[t];
}

/** istiod's inbound route configuration for one port: every host to `inbound|<port>||`. */
export function buildInboundRouteConfig(p: InboundPort): RouteConfiguration {
  const cluster = inboundClusterName(p.targetPort);
  return {
    name: cluster,
    virtualHosts: [
      {
        name: `inbound|http|${p.targetPort}`,
        domains: ['*'],
        routes: [
          {
            name: 'default',
            match: CATCH_ALL_MATCH,
            decorator: { operation: traceOperation(p.service.hostname, p.servicePort.port) },
            route: {
              cluster,
              timeout: ZERO_DURATION,
              maxStreamDuration: { maxStreamDuration: ZERO_DURATION, grpcTimeoutHeaderMax: ZERO_DURATION },
            },
          },
        ],
      },
    ],
    validateClusters: { value: false },
  };
}

/** Builds the virtual inbound listener. */
export function buildSidecarInboundListener(scope: ProxyScope): Listener {
  const pathNormalization = scope.snapshot.meshConfig.pathNormalization;
  const securityFilters = securityHttpFilters(scope.snapshot, scope.node).filters;
  const { snapshot, node } = scope;
  // TCP ports: AuthorizationPolicy as network RBAC before tcp_proxy (istiod's BuildTCP).
  const tcpAuthz = networkAuthzFilters(snapshot, { namespace: node.namespace, labels: node.labels }).filters;
  const chains: FilterChain[] = inboundPorts(scope).flatMap((p) => {
    const cluster = inboundClusterName(p.targetPort);
    const statPrefix = `inbound_${p.bind ?? '0.0.0.0'}_${p.targetPort}`;
    const mode = workloadMtlsMode(snapshot, node.namespace, node.labels, p.targetPort);
    const tcpFilters = [...tcpAuthz, tcpProxyFilter(tcpProxyToCluster(cluster))];
    const filter = isHttpProtocol(p.protocol)
      ? hcmFilter(
          buildHttpConnectionManager({
            statPrefix,
            routeConfig: buildInboundRouteConfig(p),
            useRemoteAddress: false,
            pathNormalization,
            forwardClientCertDetails: 'APPEND_FORWARD',
            serverName: 'istio-envoy',
            securityFilters,
          }),
        )
      : tcpFilters;
    // No declared protocol: detected per connection, HTTP and TCP chains (inbound-auto-chains.ts).
    if (p.protocol === 'UNKNOWN') return autoInboundChains(p.targetPort, mode, filter as Filter, tcpFilters, snapshot.meshConfig.trustDomain, p.bind);
    // PeerAuthentication decides which transports the port accepts (inbound-mtls-chains.ts).
    return inboundChainsForMode(p.targetPort, mode, filter, snapshot.meshConfig.trustDomain, isHttpProtocol(p.protocol), p.bind);
  });
  chains.push({ name: 'virtualInbound-blackhole', filterChainMatch: { destinationPort: { value: VIRTUAL_INBOUND.port } }, filters: [tcpProxyFilter(tcpProxyToCluster('BlackHoleCluster'))] });
  return {
    name: VIRTUAL_INBOUND.name,
    address: { socketAddress: { address: '0.0.0.0', portValue: VIRTUAL_INBOUND.port } },
    useOriginalDst: { value: true },
    trafficDirection: 'INBOUND',
    filterChains: chains,
    ...(chains.some((c) => (c.filterChainMatch?.applicationProtocols?.length ?? 0) > 0) ? inboundDetectionFields(snapshot.meshConfig) : {}),
    defaultFilterChain: { name: 'InboundPassthroughFilterChain', filters: [tcpProxyFilter(tcpProxyToCluster(INBOUND_PASSTHROUGH_CLUSTER))] },
  };
}
