/**
 * EDS: one ClusterLoadAssignment per EDS cluster of a proxy, named by the cluster's EDS service name.
 * The cluster name says which service port and subset it stands for; the service is the one with that
 * hostname visible from the proxy's namespace, the subset's labels come from the DestinationRule that
 * applies to the proxy (`build-lb-endpoints.ts` does the rest). A cluster whose service is gone gets
 * an empty assignment, so the proxy drops its endpoints.
 */
import type { Cluster, ClusterLoadAssignment, LocalityLbEndpoints } from '../../envoy/types.js';
import type { Service } from '../../registry/types.js';
import type { ConsolidatedDestinationRule } from './destination-rule-index.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import { buildLocalityGroups } from './build-lb-endpoints.js';
import { applyLocalityLoadBalancer, localityLbSettingFor } from './locality-lb.js';
import { applyZoneAwarePriorities, zoneAwareSettingFor } from './zone-aware-lb.js';
import { effectiveTrafficPolicy } from './traffic-policy-merge.js';
import { parseClusterName } from './cluster-names.js';
import { destinationRuleFor } from './destination-rule-index.js';

/** Builds the ClusterLoadAssignments for the EDS clusters among `clusters`, in their order. */
export function buildEndpoints(snapshot: MeshSnapshot, node: ProxyNode, clusters: readonly Cluster[]): ClusterLoadAssignment[] {
  const out: ClusterLoadAssignment[] = [];
  for (const c of clusters) {
    if (c.type !== 'EDS') continue;
    const name = c.edsClusterConfig?.serviceName || c.name;
    if (name) out.push(buildClusterLoadAssignment(snapshot, node, name));
  }
  return out;
}

/** The ClusterLoadAssignment for one `outbound|port|subset|host` name (empty when unknown). */
export function buildClusterLoadAssignment(snapshot: MeshSnapshot, node: ProxyNode, clusterName: string): ClusterLoadAssignment {
  const parsed = parseClusterName(clusterName);
  if (!parsed || parsed.direction !== 'outbound') return { clusterName };
  const service = snapshot.visibleServices(parsed.host, node.namespace)[0];
  if (!service || !service.ports.some((p) => p.port === parsed.port)) return { clusterName };
  const rule = destinationRuleFor(snapshot, node, service, 'outbound');
  const endpoints = localityLbEndpointsFor(snapshot, node, service, parsed.port, rule, parsed.subset);
  return endpoints.length > 0 ? { clusterName, endpoints } : { clusterName };
}

/**
 * The locality groups of a service port (and subset) with priorities and weights relative to this
 * proxy (istiod's EndpointBuilder with ApplyLocalityLoadBalancer, and the same for the inline
 * assignments of DNS clusters): failover only where the cluster's policy has outlier detection.
 */
export function localityLbEndpointsFor(
  snapshot: MeshSnapshot,
  node: ProxyNode,
  service: Service,
  port: number,
  rule: ConsolidatedDestinationRule | undefined,
  subsetName: string,
): LocalityLbEndpoints[] {
  const groups = buildLocalityGroups(snapshot, service, port, rule, subsetName);
  const subset = subsetName ? rule?.spec.subsets?.find((s) => s.name === subsetName) : undefined;
  const policy = rule ? effectiveTrafficPolicy(rule.spec.trafficPolicy, port, subset) : undefined;
  // zoneAwareLbSetting replaces locality load balancing: regions as priorities (zone-aware-lb.ts).
  const zoneAware = node.role === 'sidecar' ? zoneAwareSettingFor(policy?.loadBalancer) : undefined;
  if (zoneAware) return applyZoneAwarePriorities(groups.map((g) => g.group), node.locality, zoneAware);
  const setting = localityLbSettingFor(snapshot.meshConfig.localityLbSetting, policy?.loadBalancer?.localityLbSetting);
  return applyLocalityLoadBalancer(groups, node, setting, policy?.outlierDetection !== undefined);
}
