/**
 * Envoy's priority-level arithmetic (source/common/upstream/load_balancer_impl.cc,
 * `recalculatePerPriorityState` / `distributeLoad` / `recalculatePerPriorityPanic` /
 * `recalculateLoadInTotalPanic`; docs: arch_overview/upstream/load_balancing/priority,
 * overprovisioning, panic_threshold), re-implemented:
 *
 * - a priority's health is `min(100, overprovisioning × healthy hosts / hosts)` in whole percent,
 *   with the overprovisioning factor 140 (1.4) by default: a level keeps all its traffic until fewer
 *   than 1/1.4 ≈ 71.4 % of its hosts are healthy;
 * - the normalized total availability is `min(100, Σ health)`; each level in order takes
 *   `health × 100 / total` of the load while load remains (so when the total is below 100 the
 *   loads are scaled up to sum to 100), the rounding remainder going to the first level with
 *   health;
 * - panic (per level): only when the total availability is below 100, a level whose healthy
 *   percentage is below the panic threshold is in panic (uses all its hosts); a threshold of 0
 *   disables panic, and then with nothing available level 0 takes all the load (and finds no
 *   host); when every level is in panic, load is split by host count instead ("total panic").
 *
 * Health here counts hosts, not weights (Envoy's default, `weighted_priority_health` false).
 */

/** Envoy's default overprovisioning factor, in percent (1.4). */
export const DEFAULT_OVERPROVISIONING_FACTOR = 140;

/** One priority level as the arithmetic sees it. */
export interface PriorityLevelCounts {
  readonly hosts: number;
  readonly healthy: number;
}

/** The outcome for a set of levels: load per level (sums to 100) and which levels are in panic. */
export interface PriorityLoad {
  readonly load: readonly number[];
  readonly panic: readonly boolean[];
}

/** A level's health in percent (0–100), with overprovisioning. */
export function priorityHealth(level: PriorityLevelCounts, overprovisioningFactor = DEFAULT_OVERPROVISIONING_FACTOR): number {
  if (level.hosts === 0) return 0;
  return Math.min(100, Math.floor((overprovisioningFactor * level.healthy) / level.hosts));
}

/**
 * Distributes 100 % over levels by their health (Envoy's distributeLoad plus the remainder rule);
 * undefined when no level has any health.
 */
export function distributeLoad(health: readonly number[]): number[] | undefined {
  const total = Math.min(100, health.reduce((a, b) => a + b, 0));
  if (total === 0) return undefined;
  const load = health.map(() => 0);
  let remaining = 100;
  let firstAvailable = -1;
  for (let i = 0; i < health.length; i++) {
    const delta = Math.min(remaining, Math.floor((health[i]! * 100) / total));
    load[i] = delta;
    remaining -= delta;
    if (firstAvailable < 0 && health[i]! > 0) firstAvailable = i;
  }
  if (remaining > 0) load[firstAvailable]! += remaining;
  return load;
}

/** Envoy's per-priority load and panic state for `levels` with the cluster's panic threshold (percent). */
export function computePriorityLoad(
  levels: readonly PriorityLevelCounts[],
  panicThreshold: number,
  overprovisioningFactor = DEFAULT_OVERPROVISIONING_FACTOR,
): PriorityLoad {
  if (levels.length === 0) return { load: [100], panic: [false] };
  const health = levels.map((l) => priorityHealth(l, overprovisioningFactor));
  const totalAvailability = Math.min(100, health.reduce((a, b) => a + b, 0));
  const noPanic = levels.map(() => false);
  if (panicThreshold <= 0 && totalAvailability === 0) return { load: levels.map((_, i) => (i === 0 ? 100 : 0)), panic: noPanic };
  const panic = levels.map((l) => {
    if (panicThreshold <= 0 || totalAvailability === 100) return false;
    const healthyPercent = l.hosts === 0 ? 0 : (100 * l.healthy) / l.hosts;
    return healthyPercent < panicThreshold;
  });
  if (panic.every(Boolean)) return { load: totalPanicLoad(levels), panic };
  return { load: distributeLoad(health) ?? levels.map((_, i) => (i === 0 ? 100 : 0)), panic };
}

/** Total panic: load in proportion to each level's host count, the remainder to the first level with hosts. */
export function totalPanicLoad(levels: readonly PriorityLevelCounts[]): number[] {
  const total = levels.reduce((a, l) => a + l.hosts, 0);
  if (total === 0) return levels.map((_, i) => (i === 0 ? 100 : 0));
  const load = levels.map((l) => Math.floor((100 * l.hosts) / total));
  const rest = 100 - load.reduce((a, b) => a + b, 0);
  const first = levels.findIndex((l) => l.hosts > 0);
  load[first]! += rest;
  return load;
}

/**
 * Envoy's previous_priorities plugin (`adjustForAttemptedPriorities`): the load with the excluded
 * levels' health taken as 0; undefined when nothing would be left (the caller then keeps the
 * original load and forgets the attempted levels, as Envoy does).
 */
export function loadExcluding(
  levels: readonly PriorityLevelCounts[],
  excluded: ReadonlySet<number>,
  overprovisioningFactor = DEFAULT_OVERPROVISIONING_FACTOR,
): number[] | undefined {
  return distributeLoad(levels.map((l, i) => (excluded.has(i) ? 0 : priorityHealth(l, overprovisioningFactor))));
}

/**
 * A locality's effective weight inside its level (Envoy's `effectiveLocalityWeight`): its weight
 * times `min(1, overprovisioning × healthy / hosts)`; 0 for an empty locality.
 */
export function effectiveLocalityWeight(weight: number, level: PriorityLevelCounts, overprovisioningFactor = DEFAULT_OVERPROVISIONING_FACTOR): number {
  if (level.hosts === 0) return 0;
  return weight * Math.min(1, ((overprovisioningFactor / 100) * level.healthy) / level.hosts);
}
