/**
 * Slow start for ROUND_ROBIN and LEAST_REQUEST, as Envoy documents it
 * (docs/root/intro/arch_overview/upstream/load_balancing/slow_start.rst, `Cluster.SlowStartConfig`):
 * while a host has been in the cluster for less than `slow_start_window`, its load-balancing weight
 * is scaled by
 *
 *     max(MinWeightPercent / 100, TimeFactor ^ (1 / Aggression)),  TimeFactor = max(age, 1 ms) / window
 *
 * (`aggression` defaults to 1.0, a linear ramp; `min_weight_percent` to 10). Hosts older than the
 * window keep their weight. Istio sets this from DestinationRule `loadBalancer.warmup` (or the
 * deprecated `warmupDurationSecs`); see `src/translate/cluster/apply-load-balancer.ts`.
 *
 * Envoy re-weights a host in its EDF schedule each time it is picked, so a host scheduled with a
 * small weight is not re-evaluated until its (far) deadline. Here, while any host is in its window,
 * every pick recomputes the current weight of every candidate and chooses by smooth weighted round
 * robin (each host accrues its weight, the largest is served and pays back the total): shares
 * follow the ramp exactly and interleave smoothly. That costs O(hosts) per pick, only during the
 * window; afterwards the balancer's own O(1) / O(log n) path takes over for good.
 */

import type { Duration } from '../../envoy/types.js';
import { durationMs } from '../../envoy/duration.js';
import { LbError, LbErrorCode } from './errors.js';
import type { Host } from './host.js';

/** Envoy's default `SlowStartConfig.min_weight_percent`. */
export const DEFAULT_MIN_WEIGHT_PERCENT = 10;

/** A resolved `SlowStartConfig`. */
export interface SlowStartOptions {
  /** `slow_start_window` in milliseconds (> 0). */
  readonly windowMs: number;
  /** `aggression` (> 0); default 1.0 (linear). Envoy falls back to 1.0 for values ≤ 0 or NaN. */
  readonly aggression?: number | undefined;
  /** `min_weight_percent` (0–100); default {@link DEFAULT_MIN_WEIGHT_PERCENT}. */
  readonly minWeightPercent?: number | undefined;
  /** Monotonic clock in ms; defaults to `performance.now` (the clock {@link Host.createdAtMs} uses). */
  readonly now?: (() => number) | undefined;
}

/**
 * The weight multiplier of a host `ageMs` old: 1 outside the window, else Envoy's
 * `max(minFraction, (max(age, 1 ms) / window) ^ (1 / aggression))`.
 */
export function slowStartFactor(ageMs: number, windowMs: number, aggression: number, minFraction: number): number {
  if (!(ageMs < windowMs)) return 1;
  const timeFactor = Math.max(ageMs, 1) / windowMs;
  const ramp = aggression === 1 ? timeFactor : Math.pow(timeFactor, 1 / aggression);
  return Math.max(ramp, minFraction);
}

/**
 * Reads Envoy's `slowStartConfig` (as xDS decodes it) into {@link SlowStartOptions}; undefined when
 * absent or without a positive window (Envoy then does no slow start).
 */
export function slowStartFromEnvoy(raw: Readonly<Record<string, unknown>> | undefined): SlowStartOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  const windowMs = durationMs(raw['slowStartWindow'] as Duration | undefined);
  if (windowMs === undefined || windowMs <= 0) return undefined;
  const aggression = (raw['aggression'] as { defaultValue?: unknown } | undefined)?.defaultValue;
  const minWeight = (raw['minWeightPercent'] as { value?: unknown } | undefined)?.value;
  return {
    windowMs,
    aggression: typeof aggression === 'number' ? aggression : undefined,
    minWeightPercent: typeof minWeight === 'number' ? minWeight : undefined,
  };
}

/**
 * Picks among a balancer's candidate hosts by their slow-start-scaled weights while any of them is
 * within its window. `baseWeight` is the balancer's own weight of a host (ROUND_ROBIN: its
 * `loadBalancingWeight`; LEAST_REQUEST: weight over active requests).
 */
export class SlowStartPicker {
  private readonly windowMs: number;
  private readonly aggression: number;
  private readonly minFraction: number;
  private readonly now: () => number;
  /** Instant after which no candidate is in its window any more. */
  private readonly endsAtMs: number;
  /** Smooth weighted round robin credit per host. */
  private readonly credit: Float64Array;

  constructor(private readonly hosts: readonly Host[], options: SlowStartOptions, private readonly baseWeight: (h: Host) => number) {
    const { windowMs } = options;
    if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
      throw new LbError(LbErrorCode.InvalidConfig, `slowStartConfig.slowStartWindow ${String(windowMs)} ms must be a positive duration`);
    }
    const min = options.minWeightPercent ?? DEFAULT_MIN_WEIGHT_PERCENT;
    if (typeof min !== 'number' || !(min >= 0 && min <= 100)) {
      throw new LbError(LbErrorCode.InvalidConfig, `slowStartConfig.minWeightPercent ${String(min)} must be a percentage in 0-100`);
    }
    const a = options.aggression ?? 1;
    // Envoy (load_balancer_impl.cc): an aggression <= 0 or NaN is logged and replaced by 1.0.
    this.aggression = typeof a === 'number' && a > 0 && Number.isFinite(a) ? a : 1;
    this.windowMs = windowMs;
    this.minFraction = min / 100;
    this.now = options.now ?? (() => performance.now());
    let newest = -Infinity;
    for (const h of hosts) newest = Math.max(newest, h.createdAtMs);
    this.endsAtMs = newest + windowMs;
    this.credit = new Float64Array(hosts.length);
  }

  /** True while at least one candidate is within its slow start window. */
  active(): boolean {
    return this.now() < this.endsAtMs;
  }

  /** The current scaled weight of one host (for tests and the admin view). */
  weightOf(h: Host, now = this.now()): number {
    return this.baseWeight(h) * slowStartFactor(now - h.createdAtMs, this.windowMs, this.aggression, this.minFraction);
  }

  /**
   * The next host by scaled weight, skipping `exclude`; undefined once the window is over for every
   * host (the caller then drops this picker) or when every host is excluded.
   */
  pick(exclude: ReadonlySet<Host> | undefined): Host | undefined {
    const now = this.now();
    if (!(now < this.endsAtMs)) return undefined;
    const hosts = this.hosts;
    const credit = this.credit;
    let best = -1;
    let total = 0;
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i]!;
      if (exclude !== undefined && exclude.size !== 0 && exclude.has(h)) continue;
      const w = this.weightOf(h, now);
      credit[i] = credit[i]! + w;
      total += w;
      if (best < 0 || credit[i]! > credit[best]!) best = i;
    }
    if (best < 0) return undefined;
    credit[best] = credit[best]! - total;
    return hosts[best];
  }
}
