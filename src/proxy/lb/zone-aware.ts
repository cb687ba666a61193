/**
 * Envoy's zone-aware routing (source/common/upstream/load_balancer_impl.cc, ZoneAwareLoadBalancerBase;
 * docs: intro/arch_overview/upstream/load_balancing/zone_aware), re-implemented for priority 0 of a
 * cluster whose `commonLbConfig.zoneAwareLbConfig` is set (DestinationRule `zoneAwareLbSetting`).
 *
 * Inputs: the upstream's healthy hosts per locality at priority 0, the caller's own locality, and the
 * caller's workload's hosts per locality (Envoy's local cluster; Weft's control plane sends it in the
 * cluster metadata, src/translate/cluster/zone-aware-lb.ts).
 *
 * No zone routing (the level's healthy hosts, the plain policy) when: the upstream spans fewer than
 * 2 localities; it has no healthy host in the caller's locality; it has fewer healthy hosts than
 * `minClusterSize`; the local cluster is empty; `routingEnabled` (percent, default 100) says no for
 * this pick. Otherwise, with percentages in basis points (×10000) of the upstream's healthy hosts
 * and of the local hosts in each upstream locality:
 * - upstream share of the local locality ≥ the local cluster's share: all traffic stays local
 *   (LocalityDirect);
 * - else (LocalityResidual) `upstream[0] × 10000 / local[0]` of the picks stay local, and the rest go
 *   to the other localities in proportion to their residual capacity `max(0, upstream[i] − local[i])`
 *   (a uniformly random other locality if none has any left).
 * Inside the chosen locality the configured per-host policy picks.
 */
import { HostSet, type Host } from './host.js';
import type { LbContext, LoadBalancer } from './load-balancer.js';

/** The zone-aware settings and the caller's side. */
export interface ZoneAwareConfig {
  /** The caller's locality key (`region/zone/subzone`, trailing empty parts dropped). */
  readonly localLocality: string;
  /** The caller's workload: hosts per locality key (Envoy's local cluster). */
  readonly localHosts: ReadonlyMap<string, number>;
  /** `zoneAwareLbConfig.minClusterSize` (Envoy's default 6). */
  readonly minClusterSize: number;
  /** `zoneAwareLbConfig.routingEnabled`, percent (default 100). */
  readonly routingEnabled: number;
}

/** One upstream locality of priority 0. */
export interface ZoneAwareLocality {
  readonly locality: string;
  readonly hosts: readonly Host[];
}

/** How picks are spread: not zone-aware, all local, or local share plus residual buckets. */
export type ZoneRoutingPlan =
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'direct' }
  | { readonly kind: 'residual'; readonly localPercentToRoute: number; readonly residualCapacity: readonly number[] };

const BASIS = 10000;

/**
 * The plan for `upstream` (healthy host counts per locality, the caller's locality first, as Envoy
 * orders hostsPerLocality with the local locality at index 0).
 */
export function zoneRoutingPlan(upstream: readonly { locality: string; healthy: number }[], cfg: ZoneAwareConfig): ZoneRoutingPlan {
  if (upstream.length < 2) return { kind: 'none', reason: 'fewer than 2 upstream localities' };
  if (upstream[0]!.locality !== cfg.localLocality || upstream[0]!.healthy === 0) return { kind: 'none', reason: 'no healthy upstream host in the local locality' };
  const totalUpstream = upstream.reduce((a, l) => a + l.healthy, 0);
  if (totalUpstream < cfg.minClusterSize) return { kind: 'none', reason: `fewer healthy hosts than minClusterSize ${cfg.minClusterSize}` };
  let totalLocal = 0;
  for (const n of cfg.localHosts.values()) totalLocal += n;
  if (totalLocal === 0) return { kind: 'none', reason: 'empty local cluster' };
  const upstreamPct = upstream.map((l) => Math.floor((l.healthy * BASIS) / totalUpstream));
  const localPct = upstream.map((l) => Math.floor(((cfg.localHosts.get(l.locality) ?? 0) * BASIS) / totalLocal));
  if (upstreamPct[0]! >= localPct[0]!) return { kind: 'direct' };
  const localPercentToRoute = Math.floor((upstreamPct[0]! * BASIS) / localPct[0]!);
  const residualCapacity: number[] = [0];
  for (let i = 1; i < upstream.length; i++) {
    const extra = upstreamPct[i]! > localPct[i]! ? upstreamPct[i]! - localPct[i]! : 0;
    residualCapacity.push(residualCapacity[i - 1]! + extra);
  }
  return { kind: 'residual', localPercentToRoute, residualCapacity };
}

/**
 * The locality index to pick from under `plan` (0 = local), or undefined for no zone routing; two
 * uniform draws in [0, 1), as Envoy's two random() calls.
 */
export function chooseLocality(plan: ZoneRoutingPlan, random: () => number): number | undefined {
  if (plan.kind === 'none') return undefined;
  if (plan.kind === 'direct') return 0;
  if (Math.floor(random() * BASIS) < plan.localPercentToRoute) return 0;
  const residual = plan.residualCapacity;
  const total = residual[residual.length - 1]!;
  // Rounding can leave no residual capacity anywhere: a random other locality then.
  if (total === 0) return 1 + Math.floor(random() * (residual.length - 1));
  const threshold = Math.floor(random() * total);
  let i = 1;
  while (i < residual.length - 1 && threshold >= residual[i]!) i++;
  return i;
}

/**
 * Priority 0 under zone-aware routing: a per-host balancer per locality and one over the level's
 * healthy hosts for picks the plan does not route by zone.
 */
export class ZoneAwareLoadBalancer implements LoadBalancer {
  private readonly localities: readonly LoadBalancer[];
  /** The plan, for tests and admin. */
  readonly plan: ZoneRoutingPlan;

  constructor(
    groups: readonly ZoneAwareLocality[],
    private readonly cfg: ZoneAwareConfig,
    private readonly all: LoadBalancer,
    create: (hostSet: HostSet) => LoadBalancer,
  ) {
    // Healthy hosts per locality, the caller's locality first (Envoy's hostsPerLocality order).
    const byLocality = new Map<string, Host[]>();
    for (const g of groups) {
      const list = byLocality.get(g.locality) ?? [];
      for (const h of g.hosts) if (h.healthy) list.push(h);
      byLocality.set(g.locality, list);
    }
    const keys = [...byLocality.keys()].filter((k) => byLocality.get(k)!.length > 0);
    keys.sort((a, b) => (a === cfg.localLocality ? -1 : b === cfg.localLocality ? 1 : a < b ? -1 : a > b ? 1 : 0));
    this.plan = zoneRoutingPlan(keys.map((k) => ({ locality: k, healthy: byLocality.get(k)?.length ?? 0 })), cfg);
    this.localities = this.plan.kind === 'none' ? [] : keys.map((k) => create(HostSet.of(byLocality.get(k) ?? [])));
  }

  pick(ctx: LbContext): Host | undefined {
    const random = ctx.random ?? Math.random;
    if (this.plan.kind === 'none' || random() * 100 >= this.cfg.routingEnabled) return this.all.pick(ctx);
    const i = chooseLocality(this.plan, random);
    const lb = i === undefined ? undefined : this.localities[i];
    return lb ? (lb.pick(ctx) ?? this.all.pick(ctx)) : this.all.pick(ctx);
  }
}
