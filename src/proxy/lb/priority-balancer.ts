/**
 * A load balancer over Envoy priority levels and localities, above the per-host balancers: the
 * layer Envoy's `LoadBalancerBase` (choosePriority, hostSourceToUse) and `HostSetImpl`
 * (chooseHealthyLocality) add to every policy. Per pick:
 *
 * 1. a level by the per-priority load ({@link computePriorityLoad}: overprovisioning 1.4, health
 *    spill-over, panic), with the levels the retry excludes (`LbContext.excludePriorities`) taken
 *    as unavailable, as Envoy's previous_priorities plugin computes it;
 * 2. in panic: the level's per-host balancer over all its hosts; else, with locality-weighted load
 *    balancing (`commonLbConfig.localityWeightedLbConfig`), a locality by effective weight
 *    (locality weight × min(1, 1.4 × healthy share)), falling back to all healthy hosts of the
 *    level when no locality has any; without it, the level's healthy hosts;
 * 3. the configured per-host policy (round robin, least request, …) inside that set.
 *
 * Built from one immutable snapshot of hosts and health, like every balancer; the cluster manager
 * rebuilds it when health changes.
 */
import { Host, HostSet } from './host.js';
import type { LbContext, LoadBalancer } from './load-balancer.js';
import { ZoneAwareLoadBalancer, type ZoneAwareConfig } from './zone-aware.js';
import { computePriorityLoad, DEFAULT_OVERPROVISIONING_FACTOR, effectiveLocalityWeight, loadExcluding, type PriorityLevelCounts } from './priority-load.js';

/** One locality group of a ClusterLoadAssignment, as the proxy received it. */
export interface LocalityGroupInit {
  /** `LocalityLbEndpoints.priority` (0 = highest). */
  readonly priority: number;
  /** `LocalityLbEndpoints.loadBalancingWeight` (locality weight). */
  readonly weight: number;
  readonly hosts: readonly Host[];
  /** `region/zone/subzone` of the group (trailing empty parts dropped), for zone-aware routing. */
  readonly locality?: string;
}

/** How the per-host balancers of each set are built. */
export interface PriorityBalancerOptions {
  /** Cluster panic threshold, percent (0 disables panic). */
  readonly healthyPanicThreshold: number;
  /** `localityWeightedLbConfig` is set on the cluster. */
  readonly localityWeighted: boolean;
  /** Overprovisioning factor, percent (Envoy's default 140). */
  readonly overprovisioningFactor?: number;
  /** `commonLbConfig.zoneAwareLbConfig` with the caller's side: zone-aware routing at priority 0 (zone-aware.ts). */
  readonly zoneAware?: ZoneAwareConfig;
  /** Builds the configured per-host balancer over a set; `panicThreshold` 0 = healthy hosts only, 100 = all hosts. */
  create(hostSet: HostSet, panicThreshold: number): LoadBalancer;
}

interface LocalityChoice {
  readonly weight: number;
  readonly lb: LoadBalancer;
}

interface Level {
  readonly counts: PriorityLevelCounts;
  /** Balancer over the level's hosts (all hosts in panic, healthy ones otherwise). */
  readonly lb: LoadBalancer;
  /** Localities with effective weight > 0 (locality-weighted, not in panic), and their sum. */
  readonly localities: readonly LocalityChoice[];
  readonly localityWeightSum: number;
}

/** True when groups need more than a plain per-host balancer (several levels, or locality weights). */
export function needsPriorityBalancer(groups: readonly LocalityGroupInit[], localityWeighted: boolean, zoneAware = false): boolean {
  return localityWeighted || zoneAware || groups.some((g) => g.priority > 0);
}

/** See the module comment. */
export class PriorityLoadBalancer implements LoadBalancer {
  private readonly levels: Level[] = [];
  private readonly cumulative: readonly number[];
  private readonly priorities = new Map<Host, number>();
  private readonly opf: number;
  private readonly excludedLoads = new Map<string, readonly number[] | null>();

  constructor(groups: readonly LocalityGroupInit[], private readonly options: PriorityBalancerOptions) {
    this.opf = options.overprovisioningFactor ?? DEFAULT_OVERPROVISIONING_FACTOR;
    const maxPriority = groups.reduce((m, g) => Math.max(m, g.priority), 0);
    const byLevel: LocalityGroupInit[][] = Array.from({ length: maxPriority + 1 }, () => []);
    for (const g of groups) byLevel[g.priority]!.push(g);
    const counts = byLevel.map((gs) => countOf(gs.flatMap((g) => g.hosts)));
    const { load, panic } = computePriorityLoad(counts, options.healthyPanicThreshold, this.opf);
    for (let p = 0; p < byLevel.length; p++) {
      const gs = byLevel[p]!;
      const hosts = gs.flatMap((g) => g.hosts);
      for (const h of hosts) if (!this.priorities.has(h)) this.priorities.set(h, p);
      const localities: LocalityChoice[] = [];
      if (options.localityWeighted && !panic[p]) {
        for (const g of gs) {
          const weight = effectiveLocalityWeight(g.weight, countOf(g.hosts), this.opf);
          if (weight > 0) localities.push({ weight, lb: options.create(HostSet.of(g.hosts), 0) });
        }
      }
      let lb = options.create(HostSet.of(hosts), panic[p] ? 100 : 0);
      // Envoy routes by zone at priority 0 only, never in panic nor with locality weights.
      if (p === 0 && options.zoneAware && !panic[p] && !options.localityWeighted) {
        lb = new ZoneAwareLoadBalancer(gs.map((g) => ({ locality: g.locality ?? '', hosts: g.hosts })), options.zoneAware, lb, (set) => options.create(set, 0));
      }
      this.levels.push({
        counts: counts[p]!,
        lb,
        localities,
        localityWeightSum: localities.reduce((a, l) => a + l.weight, 0),
      });
    }
    this.cumulative = cumulate(load);
  }

  /** The level's share of requests, percent, per level (tests and admin). */
  get load(): readonly number[] {
    return this.cumulative.map((c, i) => c - (i === 0 ? 0 : this.cumulative[i - 1]!));
  }

  pick(ctx: LbContext): Host | undefined {
    const random = ctx.random ?? Math.random;
    let cumulative: readonly number[] = this.cumulative;
    const excluded = ctx.excludePriorities;
    if (excluded !== undefined && excluded.size > 0) cumulative = this.cumulativeExcluding(excluded) ?? cumulative;
    // Hashing policies pick the level from the request hash too (Envoy's choosePriority(hash)), so a
    // key stays on one level while loads are stable; others draw at random.
    const hash = ctx.hash;
    const x = hash === undefined ? random() * 100 : Number((typeof hash === 'bigint' ? BigInt.asUintN(32, hash) : BigInt(Math.abs(Math.trunc(hash)))) % 100n);
    let p = 0;
    while (p < cumulative.length - 1 && x >= cumulative[p]!) p++;
    const level = this.levels[p]!;
    if (level.localityWeightSum > 0) {
      let y = random() * level.localityWeightSum;
      for (const l of level.localities) {
        y -= l.weight;
        if (y < 0) return l.lb.pick(ctx);
      }
      return level.localities[level.localities.length - 1]!.lb.pick(ctx);
    }
    return level.lb.pick(ctx);
  }

  priorityOf(host: Host): number {
    return this.priorities.get(host) ?? 0;
  }

  availableExcluding(excluded: ReadonlySet<number>): boolean {
    return this.cumulativeExcluding(excluded) !== undefined;
  }

  private cumulativeExcluding(excluded: ReadonlySet<number>): readonly number[] | undefined {
    const key = [...excluded].sort((a, b) => a - b).join(',');
    let hit = this.excludedLoads.get(key);
    if (hit === undefined) {
      const load = loadExcluding(this.levels.map((l) => l.counts), excluded, this.opf);
      hit = load === undefined ? null : cumulate(load);
      this.excludedLoads.set(key, hit);
    }
    return hit ?? undefined;
  }
}

function countOf(hosts: readonly Host[]): PriorityLevelCounts {
  let healthy = 0;
  for (const h of hosts) if (h.healthy) healthy++;
  return { hosts: hosts.length, healthy };
}

function cumulate(load: readonly number[]): number[] {
  let sum = 0;
  return load.map((l) => (sum += l));
}
