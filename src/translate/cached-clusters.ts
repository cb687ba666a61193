/**
 * CDS and EDS through a {@link TranslationCache}: the same results as `buildOutboundClusters` and
 * `buildEndpoints`, but the clusters of a service and each load assignment are reused from earlier
 * snapshots while their inputs are unchanged.
 *
 * Keys (all content keys, see translation-cache.ts):
 * - outbound clusters of one service: proxy role and IP family, the global key (mesh config,
 *   PeerAuthentications, namespaces), the service with its endpoints, and the DestinationRule that
 *   applies to the proxy — everything `buildServicePortClusters` reads;
 * - a load assignment: its cluster name, the global key, the service the proxy resolves the name to
 *   (with endpoints) and the DestinationRule. DNS clusters inline their endpoints, so the IP family
 *   is part of their key too.
 */
import type { Cluster, ClusterLoadAssignment } from '../envoy/types.js';
import type { ProxyNode } from '../model/proxy-node.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { Service } from '../registry/types.js';
import { buildBlackHoleCluster, buildInboundPassthroughCluster, buildPassthroughCluster } from './cluster/build-special-clusters.js';
import { buildClusterLoadAssignment } from './cluster/build-endpoints.js';
import { buildServicePortClusters, visibleServicesFor } from './cluster/build-outbound-clusters.js';
import { parseClusterName } from './cluster/cluster-names.js';
import { destinationRuleFor } from './cluster/destination-rule-index.js';
import { localityCacheKey } from './cluster/locality-lb.js';
import type { TranslationCache } from './translation-cache.js';

/** `buildOutboundClusters(snapshot, node, services)` with per-service reuse; call `cache.begin(snapshot)` first. */
export function cachedOutboundClusters(cache: TranslationCache, snapshot: MeshSnapshot, node: ProxyNode, services?: readonly Service[]): Cluster[] {
  const out: Cluster[] = [];
  const seen = new Set<string>();
  const push = (c: Cluster) => {
    if (c.name !== undefined && seen.has(c.name)) return;
    if (c.name !== undefined) seen.add(c.name);
    out.push(c);
  };
  const proxyKey = `${node.role}|${family(node)}|${cache.globalKey()}`;
  for (const service of services ?? visibleServicesFor(snapshot, node)) {
    const rule = destinationRuleFor(snapshot, node, service, 'outbound');
    // DNS clusters inline their endpoints with locality priorities relative to the proxy.
    const locality = localityCacheKey(node, [rule?.spec, snapshot.meshConfig.localityLbSetting]);
    const key = `cds|${proxyKey}|${cache.serviceKey(service)}|${cache.ruleKey(rule)}|${locality}`;
    const clusters = cache.memo(key, () =>
      service.ports.filter((p) => p.protocol !== 'UDP').flatMap((port) => buildServicePortClusters(snapshot, node, service, port, rule)),
    );
    for (const c of clusters) push(c);
  }
  push(cache.intern('cds', 'blackhole', buildBlackHoleCluster(snapshot.meshConfig)));
  if (node.role === 'sidecar') {
    push(cache.intern('cds', 'passthrough', buildPassthroughCluster(snapshot.meshConfig)));
    push(cache.intern('cds', 'inbound-passthrough', buildInboundPassthroughCluster(snapshot.meshConfig)));
  }
  return out;
}

/** `buildEndpoints(snapshot, node, clusters)` with per-assignment reuse; call `cache.begin(snapshot)` first. */
export function cachedEndpoints(cache: TranslationCache, snapshot: MeshSnapshot, node: ProxyNode, clusters: readonly Cluster[]): ClusterLoadAssignment[] {
  const out: ClusterLoadAssignment[] = [];
  for (const c of clusters) {
    if (c.type !== 'EDS') continue;
    const name = c.edsClusterConfig?.serviceName || c.name;
    if (name) out.push(cachedLoadAssignment(cache, snapshot, node, name));
  }
  return out;
}

function cachedLoadAssignment(cache: TranslationCache, snapshot: MeshSnapshot, node: ProxyNode, clusterName: string): ClusterLoadAssignment {
  const parsed = parseClusterName(clusterName);
  const service = parsed && parsed.direction === 'outbound' ? snapshot.visibleServices(parsed.host, node.namespace)[0] : undefined;
  if (!parsed || !service || !service.ports.some((p) => p.port === parsed.port)) {
    return cache.memo(`eds|${clusterName}|-`, () => buildClusterLoadAssignment(snapshot, node, clusterName));
  }
  const rule = destinationRuleFor(snapshot, node, service, 'outbound');
  const locality = localityCacheKey(node, [rule?.spec, snapshot.meshConfig.localityLbSetting]);
  const key = `eds|${clusterName}|${cache.globalKey()}|${cache.serviceKey(service)}|${cache.ruleKey(rule)}|${locality}`;
  return cache.memo(key, () => buildClusterLoadAssignment(snapshot, node, clusterName));
}

function family(node: ProxyNode): string {
  return node.ip.includes(':') ? '6' : '4';
}
