/**
 * DestinationRule `loadBalancer.zoneAwareLbSetting` (istio/api 1.31, issue 12): Envoy's zone-aware
 * routing within the caller's region.
 *
 * What istiod does (ZoneAwareLoadBalancerSetting docs, tests/integration zone-aware test):
 * - the cluster gets `commonLbConfig.zoneAwareLbConfig` with `minClusterSize` (Envoy's default 6)
 *   instead of locality-weighted load balancing;
 * - endpoints are partitioned by region: the proxy's own region is priority 0 (where Envoy balances
 *   zones automatically), other regions lower tiers, a `failover` rule from the proxy's region
 *   putting its `to` region first among them;
 * - Envoy needs the caller's own distribution over zones (its `local_cluster`, which istiod adds
 *   with ISTIO_META_ENABLE_SELF_DISCOVERY). Weft's control plane knows the caller's workload, so it
 *   sends that distribution with the cluster instead: metadata `weft.zone_aware` carries the proxy's
 *   locality and the number of instances of the caller's workload (same namespace and canonical
 *   service name: `service.istio.io/canonical-name`, `app.kubernetes.io/name`, `app`) per locality.
 *   The proxy's balancer (src/proxy/lb/zone-aware.ts) runs Envoy's algorithm over it.
 */
import type { LoadBalancerSettings } from '../../config/schema/destination-rule.js';
import type { LocalityLbEndpoints } from '../../envoy/types.js';
import type { Labels } from '../../config/labels.js';
import { joinLocality, splitLocality, workloadLocality } from '../../registry/locality.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import type { ClusterDraft } from './cluster-draft.js';

/** Envoy's default `zone_aware_lb_config.min_cluster_size`. */
export const DEFAULT_MIN_CLUSTER_SIZE = 6;
/** Cluster metadata filter carrying the caller's locality and its workload's distribution. */
export const ZONE_AWARE_METADATA = 'weft.zone_aware';

/** The zone-aware setting in force: the rule's when `enabled: true`. */
export function zoneAwareSettingFor(lb: LoadBalancerSettings | undefined): NonNullable<LoadBalancerSettings['zoneAwareLbSetting']> | undefined {
  const s = lb?.zoneAwareLbSetting;
  return s?.enabled === true ? s : undefined;
}

/** The caller's canonical service name (Istio's canonical-name label precedence). */
export function canonicalName(labels: Labels): string | undefined {
  return labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels['app'];
}

/**
 * Instances of the caller's workload per locality (`region/zone/subzone`): the workloads with an
 * address in the caller's namespace that share its canonical name; when the registry lists none,
 * the caller alone in its own locality. Depends on the namespace, labels and locality only (the
 * translation caches key clusters on those when zone-aware load balancing is configured).
 */
export function localDistribution(snapshot: MeshSnapshot, node: ProxyNode): Map<string, number> {
  const name = canonicalName(node.labels);
  const out = new Map<string, number>();
  if (name !== undefined) {
    for (const w of snapshot.registry.workloads) {
      if (w.namespace !== node.namespace || w.address === undefined || canonicalName(w.labels) !== name) continue;
      const key = normalize(workloadLocality(w.locality, w.labels));
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  if (out.size === 0) out.set(normalize(node.locality), 1);
  return out;
}

/** `region/zone/subzone` with trailing empty parts dropped ('' when unknown). */
export function normalize(locality: string | undefined): string {
  return joinLocality(splitLocality(locality));
}

/** Sets `zoneAwareLbConfig` and the caller's distribution on an outbound cluster when the setting is on. */
export function applyZoneAware(draft: ClusterDraft, lb: LoadBalancerSettings | undefined, snapshot: MeshSnapshot, node: ProxyNode): void {
  const setting = zoneAwareSettingFor(lb);
  const c = draft.cluster;
  if (!setting || c.type === 'ORIGINAL_DST' || node.role !== 'sidecar') return;
  const { localityWeightedLbConfig: _weighted, ...common } = c.commonLbConfig ?? {};
  c.commonLbConfig = { ...common, zoneAwareLbConfig: { minClusterSize: { value: setting.minClusterSize ?? DEFAULT_MIN_CLUSTER_SIZE } } };
  const local = localDistribution(snapshot, node);
  const fields = Object.fromEntries([...local].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, n]) => [k, { numberValue: n }]));
  c.metadata = {
    ...c.metadata,
    filterMetadata: {
      ...c.metadata?.filterMetadata,
      [ZONE_AWARE_METADATA]: { fields: { locality: { stringValue: normalize(node.locality) }, local_hosts: { structValue: { fields } } } },
    },
  };
}

/**
 * Priorities under zone-aware load balancing: the caller's region 0, other regions after it (the
 * `failover` rule's `to` region first), renumbered without gaps.
 */
export function applyZoneAwarePriorities(
  groups: readonly LocalityLbEndpoints[],
  callerLocality: string | undefined,
  setting: NonNullable<LoadBalancerSettings['zoneAwareLbSetting']>,
): LocalityLbEndpoints[] {
  const proxy = splitLocality(callerLocality);
  const rule = (setting.failover ?? []).find((f) => f.from === proxy.region);
  const raw = groups.map((g) => {
    const region = g.locality?.region ?? '';
    return region === proxy.region ? 0 : rule && region === rule.to ? 1 : 2;
  });
  const rank = new Map([...new Set(raw)].sort((a, b) => a - b).map((p, i) => [p, i]));
  return groups.map((g, i) => {
    const { priority: _p, ...rest } = g;
    const p = rank.get(raw[i]!)!;
    return p > 0 ? { ...rest, priority: p } : rest;
  });
}
