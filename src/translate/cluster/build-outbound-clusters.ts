/**
 * Outbound clusters (CDS), as istiod's buildOutboundClusters / applyDestinationRule / buildSubsetCluster:
 * for every service port the proxy can see, `outbound|<port>||<host>` plus one
 * `outbound|<port>|<subset>|<host>` per subset of the DestinationRule that applies, then
 * `BlackHoleCluster` and (sidecars) `PassthroughCluster`.
 *
 * Discovery type follows the service's resolution: registry services (STATIC) → EDS over ADS;
 * ServiceEntry DNS → STRICT_DNS, DNS_ROUND_ROBIN → LOGICAL_DNS, both with an inline load assignment
 * (skipped, as istiod does, when there are no endpoints); NONE → ORIGINAL_DST (EDS on gateways).
 * UDP ports get no cluster. The first cluster of a name wins.
 */
import { applyZoneAware } from './zone-aware-lb.js';
import { toProtoDuration } from '../../envoy/duration.js';
import type { Cluster } from '../../envoy/types.js';
import { isVisible } from '../../config/hosts.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import type { Service, ServicePort } from '../../registry/types.js';
import { applyUpstreamProtocol } from './apply-connection-pool.js';
import { applyTrafficPolicy } from './apply-traffic-policy.js';
import type { UpstreamTlsOptions } from './apply-upstream-tls.js';
import { localityLbEndpointsFor } from './build-endpoints.js';
import { buildBlackHoleCluster, buildInboundPassthroughCluster, buildPassthroughCluster } from './build-special-clusters.js';
import { finishCluster, newDraft, type ClusterDraft } from './cluster-draft.js';
import { buildClusterMetadata } from './cluster-metadata.js';
import { istioMtlsSni, outboundClusterName } from './cluster-names.js';
import { destinationRuleFor, type ConsolidatedDestinationRule } from './destination-rule-index.js';
import { serviceAccountsFor } from './endpoint-identity.js';
import { inferServiceMtlsMode } from './infer-service-mtls-mode.js';
import { effectiveTrafficPolicy } from './traffic-policy-merge.js';

/** Istio's default DNS refresh rate for DNS clusters (mesh config `dnsRefreshRate`). */
export const DNS_REFRESH_RATE_MS = 60_000;

/** Services visible to the proxy (exportTo), ordered by hostname then namespace: the default scope. */
export function visibleServicesFor(snapshot: MeshSnapshot, node: ProxyNode): readonly Service[] {
  return snapshot.registry.services
    .filter((s) => s.namespace === node.namespace || isVisible(s.exportTo, node.namespace))
    .slice()
    .sort((a, b) => cmp(a.hostname, b.hostname) || cmp(a.namespace, b.namespace));
}

/**
 * Builds the outbound clusters of `node` for `services` (default: every service visible from its
 * namespace), followed by BlackHoleCluster and, for sidecars, PassthroughCluster.
 */
export function buildOutboundClusters(snapshot: MeshSnapshot, node: ProxyNode, services?: readonly Service[]): Cluster[] {
  const out: Cluster[] = [];
  const seen = new Set<string>();
  const push = (c: Cluster) => {
    if (c.name !== undefined && seen.has(c.name)) return;
    if (c.name !== undefined) seen.add(c.name);
    out.push(c);
  };
  for (const service of services ?? visibleServicesFor(snapshot, node)) {
    const rule = destinationRuleFor(snapshot, node, service, 'outbound');
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      for (const c of buildServicePortClusters(snapshot, node, service, port, rule)) push(c);
    }
  }
  push(buildBlackHoleCluster(snapshot.meshConfig));
  if (node.role === 'sidecar') {
    push(buildPassthroughCluster(snapshot.meshConfig));
    push(buildInboundPassthroughCluster(snapshot.meshConfig));
  }
  return out;
}

/** The default cluster and the subset clusters of one service port. */
export function buildServicePortClusters(
  snapshot: MeshSnapshot,
  node: ProxyNode,
  service: Service,
  port: ServicePort,
  rule: ConsolidatedDestinationRule | undefined,
): Cluster[] {
  const out: Cluster[] = [];
  const baseType = discoveryType(node, service);
  const serviceAccounts = serviceAccountsFor(snapshot, service);
  const topPolicy = rule?.spec.trafficPolicy;

  const main = startCluster(snapshot, node, service, port, rule, outboundClusterName(port.port, '', service.hostname), baseType, '');
  if (main) {
    applyTrafficPolicy(main, effectiveTrafficPolicy(topPolicy, port.port), snapshot.meshConfig, {
      direction: 'outbound',
      tls: tlsOptions(snapshot, node, service, port, rule, serviceAccounts, istioMtlsSni(port.port, '', service.hostname), topPolicy?.loadBalancer?.simple),
    });
    applyEdsConfig(main);
    main.cluster.metadata = buildClusterMetadata({ services: [service], rule, external: service.meshExternal });
    applyZoneAware(main, effectiveTrafficPolicy(topPolicy, port.port)?.loadBalancer, snapshot, node);
    out.push(finishCluster(main));
  }
  if (!main) return out;
  for (const subset of rule?.spec.subsets ?? []) {
    const passthrough = subset.trafficPolicy?.loadBalancer?.simple === 'PASSTHROUGH';
    const type = passthrough ? 'ORIGINAL_DST' : baseType;
    const name = outboundClusterName(port.port, subset.name, service.hostname);
    const draft = startCluster(snapshot, node, service, port, rule, name, type, subset.name);
    if (!draft) continue;
    applyTrafficPolicy(draft, effectiveTrafficPolicy(topPolicy, port.port, subset), snapshot.meshConfig, {
      direction: 'outbound',
      tls: tlsOptions(snapshot, node, service, port, rule, serviceAccounts, istioMtlsSni(port.port, subset.name, service.hostname), subset.trafficPolicy?.loadBalancer?.simple),
    });
    applyEdsConfig(draft);
    draft.cluster.metadata = buildClusterMetadata({ services: [service], rule, subset: subset.name, external: service.meshExternal });
    applyZoneAware(draft, effectiveTrafficPolicy(topPolicy, port.port, subset)?.loadBalancer, snapshot, node);
    out.push(finishCluster(draft));
  }
  return out;
}

/** istiod's buildCluster for outbound: type, endpoints of DNS clusters, upstream protocol. Undefined for a DNS cluster without endpoints. */
function startCluster(
  snapshot: MeshSnapshot,
  node: ProxyNode,
  service: Service,
  port: ServicePort,
  rule: ConsolidatedDestinationRule | undefined,
  name: string,
  type: NonNullable<Cluster['type']>,
  subset: string,
): ClusterDraft | undefined {
  const draft = newDraft({ name, type, commonLbConfig: {} });
  if (type === 'STRICT_DNS' || type === 'LOGICAL_DNS') {
    let localities = localityLbEndpointsFor(snapshot, node, service, port.port, rule, subset);
    if (localities.length === 0) return undefined;
    if (type === 'LOGICAL_DNS') localities = [{ ...localities[0]!, lbEndpoints: localities[0]!.lbEndpoints!.slice(0, 1) }];
    draft.cluster.dnsLookupFamily = node.ip.includes(':') ? 'V6_ONLY' : 'V4_ONLY';
    draft.cluster.dnsRefreshRate = toProtoDuration(DNS_REFRESH_RATE_MS);
    draft.cluster.respectDnsTtl = true;
    draft.cluster.loadAssignment = { clusterName: name, endpoints: localities };
  }
  applyUpstreamProtocol(draft, port.protocol, node.role === 'sidecar');
  return draft;
}

/** EDS over ADS with no initial fetch timeout (istiod's maybeApplyEdsConfig), after the policy may have changed the type. */
function applyEdsConfig(draft: ClusterDraft): void {
  if (draft.cluster.type !== 'EDS') return;
  draft.cluster.edsClusterConfig = {
    serviceName: draft.cluster.name,
    edsConfig: { ads: {}, initialFetchTimeout: toProtoDuration(0), resourceApiVersion: 'V3' },
  };
}

/** istiod's convertResolution. */
function discoveryType(node: ProxyNode, service: Service): NonNullable<Cluster['type']> {
  switch (service.resolution) {
    case 'DNS':
      return 'STRICT_DNS';
    case 'DNS_ROUND_ROBIN':
      return 'LOGICAL_DNS';
    case 'NONE':
      return node.role === 'router' ? 'EDS' : 'ORIGINAL_DST';
    default:
      return 'EDS';
  }
}

function tlsOptions(
  snapshot: MeshSnapshot,
  node: ProxyNode,
  service: Service,
  port: ServicePort,
  rule: ConsolidatedDestinationRule | undefined,
  serviceAccounts: readonly string[],
  sni: string,
  simpleLb: string | undefined,
): UpstreamTlsOptions {
  return {
    serviceAccounts,
    istioMtlsSni: sni,
    autoMtlsEnabled: snapshot.meshConfig.enableAutoMtls,
    meshExternal: service.meshExternal,
    serviceMtlsMode: inferServiceMtlsMode(snapshot, service, port.port, simpleLb === 'PASSTHROUGH'),
    fromServiceEntry: service.origin.kind === 'ServiceEntry',
    ruleHasWorkloadSelector: rule?.spec.workloadSelector !== undefined,
    sidecar: node.role === 'sidecar',
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
