/**
 * CDS and EDS translation: Istio DestinationRules, ServiceEntries and the registry → Envoy Clusters
 * and ClusterLoadAssignments for one proxy, the way istiod builds them. Pure and deterministic.
 */
import type { Cluster } from '../../envoy/types.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import type { Service } from '../../registry/types.js';
import { buildInboundClusters } from './build-inbound-clusters.js';
import { buildOutboundClusters } from './build-outbound-clusters.js';

export { buildOutboundClusters, buildServicePortClusters, visibleServicesFor } from './build-outbound-clusters.js';
export { buildInboundClusters, inboundTargets, type InboundTarget } from './build-inbound-clusters.js';
export { buildEndpoints, buildClusterLoadAssignment } from './build-endpoints.js';
export { buildBlackHoleCluster, buildInboundPassthroughCluster, buildPassthroughCluster } from './build-special-clusters.js';
export { hashPolicyFor, convertConsistentHash } from './hash-policy.js';
export {
  destinationRuleFor,
  destinationRuleIndex,
  destinationRulesFor,
  selectDestinationRule,
  type ConsolidatedDestinationRule,
} from './destination-rule-index.js';
export { effectiveTrafficPolicy, mergeSubsetTrafficPolicy, portLevelTrafficPolicy, type ResolvedTrafficPolicy } from './traffic-policy-merge.js';
export {
  BLACKHOLE_CLUSTER,
  PASSTHROUGH_CLUSTER,
  inboundClusterName,
  istioMtlsSni,
  outboundClusterName,
  parseClusterName,
  type ParsedClusterName,
} from './cluster-names.js';
export { sdsSecretConfig, SDS_DEFAULT_RESOURCE, SDS_ROOT_RESOURCE } from './sds.js';
export { TRANSPORT_SOCKET_MATCH_KEY } from './apply-upstream-tls.js';
export { UNLIMITED } from './apply-connection-pool.js';

/** All clusters of a proxy (CDS): outbound (with BlackHole/Passthrough), then inbound for sidecars. */
export function buildClusters(snapshot: MeshSnapshot, node: ProxyNode, services?: readonly Service[]): Cluster[] {
  const out = buildOutboundClusters(snapshot, node, services);
  const names = new Set(out.map((c) => c.name));
  for (const c of buildInboundClusters(snapshot, node)) if (!names.has(c.name)) out.push(c);
  return out;
}
