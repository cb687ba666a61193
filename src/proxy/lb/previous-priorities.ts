/**
 * Envoy's `envoy.retry_priorities.previous_priorities` retry plugin
 * (source/extensions/retry/priority/previous_priorities), re-implemented: the priority levels of
 * attempted hosts are recorded; once `updateFrequency` attempts have been made, and then every
 * `updateFrequency` attempts, the levels attempted so far are excluded from the priority load of the
 * next picks (istiod sets `updateFrequency: 2` for `retryRemoteLocalities`, so the first retry stays
 * in the level and the second moves on). When excluding would leave nothing, the attempts are
 * forgotten and the original load is used again.
 */
import type { LoadBalancer } from './load-balancer.js';

/** One request's priority bookkeeping. */
export class PreviousPriorities {
  private readonly attempted: number[] = [];
  private excluded: Set<number> | undefined;

  constructor(private readonly updateFrequency: number) {}

  /** Records the level of an attempted host. */
  onAttempt(priority: number): void {
    this.attempted.push(priority);
  }

  /** The levels the next pick must avoid, or undefined for the original load. */
  exclusion(lb: LoadBalancer): ReadonlySet<number> | undefined {
    const n = this.attempted.length;
    const f = Math.max(1, this.updateFrequency);
    if (n < f) return undefined;
    if (n % f === 0) {
      const next = new Set(this.excluded ?? []);
      for (const p of this.attempted) next.add(p);
      if (lb.availableExcluding !== undefined && !lb.availableExcluding(next)) {
        this.attempted.length = 0;
        this.excluded = undefined;
        return undefined;
      }
      this.excluded = next;
    }
    return this.excluded;
  }
}
