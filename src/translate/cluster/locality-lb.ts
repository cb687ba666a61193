/**
 * Locality-aware load balancing of one load assignment, relative to the calling proxy, as istiod's
 * `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` computes it (re-implemented here):
 *
 * - the setting in force ({@link localityLbSettingFor}): the DestinationRule's `localityLbSetting`
 *   (none when it says `enabled: false`), else the mesh's (none when `enabled: false`);
 * - `distribute` (applyLocalityWeights): for the first rule whose `from` matches the proxy's
 *   locality (`*` wildcards), each `to` pattern's weight is split over the localities it matches in
 *   proportion to their endpoint weight (rounded up); localities no pattern matches lose their
 *   endpoints. Works without outlier detection;
 * - failover needs outlier detection (`enableFailover`): without it Envoy would never leave
 *   priority 0, so istiod applies none (and `weft analyze`/load warn, as Istio's validation does);
 * - `failoverPriority` (applyFailoverPriorities): each locality group is split by how many of the
 *   listed labels (in order, `label=value` overriding the proxy's value) the endpoint shares with the
 *   proxy: all match → 0, the first mismatch at index j → n − j;
 * - `failover` / default (applyLocalityFailover): region+zone+subzone equal → 0, region+zone → 1,
 *   region → 2, else 3, or 4 when a `failover` rule from the proxy's region names another region;
 *   combined with a failoverPriority priority p as p·5 + that;
 * - priorities are then renumbered 0…N without gaps.
 */
import type { LocalityLoadBalancerSetting } from '../../config/schema/destination-rule.js';
import type { LocalityLbEndpoints } from '../../envoy/types.js';
import type { Labels } from '../../config/labels.js';
import { augmentLabels, splitLocality, type LocalityParts } from '../../registry/locality.js';
import type { LocalityGroup } from './build-lb-endpoints.js';

/** istiod's GetLocalityLbSetting (without Service trafficDistribution, which Weft's registry does not read). */
export function localityLbSettingFor(
  mesh: LocalityLoadBalancerSetting | undefined,
  rule: LocalityLoadBalancerSetting | undefined,
): LocalityLoadBalancerSetting | undefined {
  if (rule) return rule.enabled === false ? undefined : rule;
  if (mesh?.enabled === false) return undefined;
  return mesh;
}

/** What a proxy contributes to locality load balancing. */
export interface LocalityCaller {
  /** `region/zone/subzone`, undefined when unknown. */
  readonly locality?: string | undefined;
  readonly labels: Labels;
}

/**
 * The groups with priorities and weights for `caller` (istiod's ApplyLocalityLoadBalancer); the
 * input is not modified. Returns the plain groups when the setting changes nothing.
 */
export function applyLocalityLoadBalancer(
  groups: readonly LocalityGroup[],
  caller: LocalityCaller,
  setting: LocalityLoadBalancerSetting | undefined,
  enableFailover: boolean,
): LocalityLbEndpoints[] {
  const plain = groups.map((g) => g.group);
  if (!setting) return plain;
  const proxy = splitLocality(caller.locality);
  if (setting.distribute !== undefined) return applyLocalityWeights(proxy, plain, setting.distribute);
  if (!enableFailover) return plain;
  let out: Prioritized[] = plain.map((g) => ({ ...g, priority: 0 }));
  if ((setting.failoverPriority ?? []).length > 0) {
    out = applyFailoverPriorities(groups, augmentLabels(caller.labels, caller.locality), setting.failoverPriority!) ?? out;
    if ((setting.failover ?? []).length > 0) out = applyLocalityFailover(proxy, out, setting.failover!);
  } else {
    out = applyLocalityFailover(proxy, out, setting.failover ?? []);
  }
  return out.map(({ priority, ...g }) => (priority > 0 ? { ...g, priority } : g));
}

type Prioritized = LocalityLbEndpoints & { priority: number };

/** istiod's util.LocalityMatch: a `region/zone/subzone` pattern, `*` or empty parts matching anything (region: `*` only). */
export function localityMatch(locality: LocalityParts, pattern: string | undefined): boolean {
  const rule = splitLocality(pattern);
  const region = rule.region === '*' || locality.region === rule.region;
  const zone = rule.zone === '*' || rule.zone === '' || locality.zone === rule.zone;
  const subZone = rule.subZone === '*' || rule.subZone === '' || locality.subZone === rule.subZone;
  return region && zone && subZone;
}

/** istiod's util.LbPriority: 0 same subzone, 1 same zone, 2 same region, 3 otherwise. */
export function lbPriority(proxy: LocalityParts, endpoint: LocalityParts): number {
  if (proxy.region !== endpoint.region) return 3;
  if (proxy.zone !== endpoint.zone) return 2;
  return proxy.subZone === endpoint.subZone ? 0 : 1;
}

function partsOf(g: LocalityLbEndpoints): LocalityParts {
  return { region: g.locality?.region ?? '', zone: g.locality?.zone ?? '', subZone: g.locality?.subZone ?? '' };
}

function applyLocalityWeights(
  proxy: LocalityParts,
  groups: LocalityLbEndpoints[],
  distribute: NonNullable<LocalityLoadBalancerSetting['distribute']>,
): LocalityLbEndpoints[] {
  const rule = distribute.find((d) => localityMatch(proxy, d.from));
  if (!rule) return groups;
  const out = groups.map((g) => ({ ...g }));
  const unmatched = new Set(out.map((_, i) => i));
  for (const [pattern, weight] of Object.entries(rule.to ?? {})) {
    const matched = new Map<number, number>();
    let total = 0;
    out.forEach((g, i) => {
      if (!unmatched.has(i) || !localityMatch(partsOf(g), pattern)) return;
      unmatched.delete(i);
      const w = g.loadBalancingWeight?.value ?? 1;
      matched.set(i, w);
      total += w;
    });
    for (const [i, w] of matched) {
      const share = (w * weight) / total;
      if (share > 0) out[i] = { ...out[i]!, loadBalancingWeight: { value: Math.ceil(share) } };
    }
  }
  for (const i of unmatched) out[i] = { ...out[i]!, lbEndpoints: [] };
  return out;
}

function applyLocalityFailover(
  proxy: LocalityParts,
  groups: readonly Prioritized[],
  failover: NonNullable<LocalityLoadBalancerSetting['failover']>,
): Prioritized[] {
  const out = groups.map((g) => {
    const ep = partsOf(g);
    let p = lbPriority(proxy, ep);
    if (p === 3) {
      const rule = failover.find((f) => f.from === proxy.region);
      if (rule && (g.locality === undefined || ep.region !== rule.to)) p = 4;
    }
    return { ...g, priority: g.priority * 5 + p };
  });
  return renumber(out);
}

function applyFailoverPriorities(groups: readonly LocalityGroup[], proxyLabels: Labels, failoverPriority: readonly string[]): Prioritized[] | undefined {
  if (Object.keys(proxyLabels).length === 0 || groups.length === 0) return undefined;
  const names: string[] = [];
  const overrides = new Map<string, string>();
  for (const entry of failoverPriority) {
    const parts = entry.split('=');
    names.push(parts[0]!);
    if (parts.length === 2) overrides.set(parts[0]!, parts[1]!);
  }
  const lowest = names.length;
  const out: Prioritized[] = [];
  for (const { group, endpoints } of groups) {
    const byPriority = new Map<number, number[]>();
    endpoints.forEach((ep, i) => {
      const labels = augmentLabels(ep.labels, ep.locality);
      let priority = 0;
      for (let j = 0; j < names.length; j++) {
        const name = names[j]!;
        const want = overrides.has(name) ? overrides.get(name) : proxyLabels[name];
        if (want !== labels[name]) {
          priority = lowest - j;
          break;
        }
      }
      const list = byPriority.get(priority) ?? [];
      list.push(i);
      byPriority.set(priority, list);
    });
    for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
      const lbEndpoints = byPriority.get(priority)!.map((i) => group.lbEndpoints![i]!);
      const weight = lbEndpoints.reduce((sum, e) => sum + (e.loadBalancingWeight?.value ?? 0), 0);
      out.push({ ...group, lbEndpoints, loadBalancingWeight: { value: weight }, priority });
    }
  }
  return renumber(out);
}

/** Priorities 0…N in the same order, without gaps. */
function renumber(groups: Prioritized[]): Prioritized[] {
  const used = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  const rank = new Map(used.map((p, i) => [p, i]));
  return groups.map((g) => ({ ...g, priority: rank.get(g.priority)! }));
}

/**
 * What of a proxy its load assignments depend on besides the snapshot, for translation caches: its
 * locality, plus its labels when `failoverPriority` (which matches them) is set anywhere in `specs`.
 */
export function localityCacheKey(caller: LocalityCaller, specs: readonly unknown[]): string {
  // zoneAwareLbSetting: clusters carry the caller's workload distribution, found by its labels (zone-aware-lb.ts).
  const labels = specs.some((s) => usesFailoverPriority(s) || usesZoneAware(s)) ? JSON.stringify(Object.entries(caller.labels).sort()) : '';
  return `${caller.locality ?? ''}|${labels}`;
}

function usesZoneAware(spec: unknown): boolean {
  return spec !== undefined && JSON.stringify(spec).includes('"zoneAwareLbSetting"');
}

function usesFailoverPriority(spec: unknown): boolean {
  return spec !== undefined && JSON.stringify(spec).includes('"failoverPriority"');
}
