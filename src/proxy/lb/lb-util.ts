/**
 * Small helpers every balancer shares: option validation, the panic-aware candidate list, and the
 * slow path that honours `LbContext.exclude` when the fast pick landed on an excluded host.
 */

import { LbError, LbErrorCode } from './errors.js';
import type { Host, HostSet } from './host.js';

/** Envoy's default `commonLbConfig.healthyPanicThreshold`, in percent. */
export const DEFAULT_HEALTHY_PANIC_THRESHOLD = 50;

/** Options every balancer accepts (a subset of `LoadBalancerOptions`). */
export interface CommonLbOptions {
  /**
   * Percent (0–100) of healthy hosts under which the balancer ignores health and spreads load over
   * all hosts. Envoy's default is 50; Istio sets it from `outlierDetection.minHealthPercent`; 0
   * disables panic mode.
   */
  readonly healthyPanicThreshold?: number | undefined;
  /**
   * Randomness used while *building* the balancer (e.g. round robin's starting point, so proxies
   * restarted together do not all start on the first host). Defaults to Math.random.
   */
  readonly random?: (() => number) | undefined;
}

/** Validates the panic threshold and returns the hosts the balancer should use. */
export function candidateHosts(hostSet: HostSet, options: CommonLbOptions): readonly Host[] {
  const threshold = options.healthyPanicThreshold ?? DEFAULT_HEALTHY_PANIC_THRESHOLD;
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 100)) {
    throw new LbError(LbErrorCode.InvalidConfig, `healthyPanicThreshold ${String(threshold)} must be a percentage in 0-100`);
  }
  return hostSet.candidates(threshold);
}

/**
 * Reads an integer option, applying `fallback` when absent and throwing an
 * {@link LbErrorCode.InvalidConfig} error when outside [min, max].
 */
export function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new LbError(LbErrorCode.InvalidConfig, `${name} ${String(v)} must be an integer in ${min}-${max}`);
  }
  return v;
}

/** True when `exclude` is present, non-empty and contains `host`. */
export function isExcluded(host: Host, exclude: ReadonlySet<Host> | undefined): boolean {
  return exclude !== undefined && exclude.size !== 0 && exclude.has(host);
}

/**
 * The first host of `hosts`, scanning circularly from `start`, that is not in `exclude`; undefined
 * when every host is excluded. O(n): only used on retries after the fast path failed.
 */
export function firstNotExcluded(hosts: readonly Host[], exclude: ReadonlySet<Host>, start = 0): Host | undefined {
  const n = hosts.length;
  for (let i = 0; i < n; i++) {
    let j = start + i;
    if (j >= n) j -= n;
    const h = hosts[j]!;
    if (!exclude.has(h)) return h;
  }
  return undefined;
}

/** True when all hosts carry the same weight (Envoy then uses its unweighted algorithms). */
export function allWeightsEqual(hosts: readonly Host[]): boolean {
  for (let i = 1; i < hosts.length; i++) if (hosts[i]!.weight !== hosts[0]!.weight) return false;
  return true;
}
