/**
 * The DestinationRule settings istiod writes on a TCP proxy filter (not on the cluster), as its
 * buildOutboundNetworkFiltersWithSingleDestination / maybeSetHashPolicy do for sidecar and gateway
 * TCP routes (pilot/pkg/networking/core/networkfilter.go, tcp.go):
 *
 * - `connectionPool.tcp.idleTimeout` of the rule's top-level policy → `idleTimeout` (subsets are
 *   ignored, as istiod ignores them; with weighted destinations the first one's rule decides, as
 *   Istio's API documents);
 * - `connectionPool.tcp.maxConnectionDuration` → `maxDownstreamConnectionDuration`;
 * - `loadBalancer.consistentHash.useSourceIp` → `hashPolicy: [{sourceIp: {}}]`, the subset's load
 *   balancer overriding the top level (a subset load balancer without consistent hash turns it off).
 */
import type { TcpProxy } from '../../envoy/types.js';
import { parseClusterName } from '../cluster/cluster-names.js';
import { destinationRuleFor } from '../cluster/destination-rule-index.js';
import { durationFromIstio } from '../cluster/struct-values.js';
import type { ProxyScope } from '../proxy-scope.js';

/** `proxy` with the settings of the DestinationRule of its (first) destination applied. */
export function withTcpDestinationPolicy(proxy: TcpProxy, scope: ProxyScope): TcpProxy {
  const clusterName = proxy.cluster ?? proxy.weightedClusters?.clusters?.[0]?.name;
  const parsed = clusterName === undefined ? undefined : parseClusterName(clusterName);
  if (parsed === undefined || parsed.direction !== 'outbound') return proxy;
  const svc = scope.lookupService(parsed.host);
  const rule = svc ? destinationRuleFor(scope.snapshot, scope.node, svc) : undefined;
  if (rule === undefined) return proxy;
  const tcp = rule.spec.trafficPolicy?.connectionPool?.tcp;
  const idle = durationFromIstio(tcp?.idleTimeout);
  const maxDuration = durationFromIstio(tcp?.maxConnectionDuration);
  let useSourceIp = rule.spec.trafficPolicy?.loadBalancer?.consistentHash?.useSourceIp === true;
  const subsetLb = parsed.subset ? rule.spec.subsets?.find((s) => s.name === parsed.subset)?.trafficPolicy?.loadBalancer : undefined;
  if (subsetLb !== undefined) useSourceIp = subsetLb.consistentHash?.useSourceIp === true;
  // A weighted TCP route has no single cluster to hash onto; istiod sets the hash policy for single destinations only.
  const hash = useSourceIp && proxy.cluster !== undefined;
  if (!idle && !maxDuration && !hash) return proxy;
  return {
    ...proxy,
    ...(idle ? { idleTimeout: idle } : {}),
    ...(maxDuration ? { maxDownstreamConnectionDuration: maxDuration } : {}),
    ...(hash ? { hashPolicy: [{ sourceIp: {} }] } : {}),
  };
}
