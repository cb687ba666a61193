/**
 * RANDOM: a random candidate host, weighted by `loadBalancingWeight` (O(1) when weights are equal,
 * otherwise a binary search over cumulative weights, O(log n)). Envoy's own RANDOM ignores weights;
 * with equal weights (the common case) the two agree, and honouring weights is what EDS users expect.
 */

import type { Host, HostSet } from './host.js';
import { allWeightsEqual, candidateHosts, isExcluded, type CommonLbOptions } from './lb-util.js';
import type { LbContext, LoadBalancer } from './load-balancer.js';

/** Options of the random balancer (only the common ones). */
export type RandomOptions = CommonLbOptions;

/** Weighted random balancer over a {@link HostSet} snapshot. */
export class RandomLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  /** cumulative[i] = sum of weights of hosts 0..i; undefined when all weights are equal. */
  private readonly cumulative: Float64Array | undefined;
  private readonly total: number;

  constructor(hostSet: HostSet, options: RandomOptions = {}) {
    this.hosts = candidateHosts(hostSet, options);
    const n = this.hosts.length;
    if (allWeightsEqual(this.hosts)) {
      this.cumulative = undefined;
      this.total = n;
    } else {
      const c = new Float64Array(n);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        sum += this.hosts[i]!.weight;
        c[i] = sum;
      }
      this.cumulative = c;
      this.total = sum;
    }
  }

  /** A weighted-random host, re-drawn among non-excluded hosts when the draw hit `ctx.exclude`. */
  pick(ctx: LbContext): Host | undefined {
    const n = this.hosts.length;
    if (n === 0) return undefined;
    const random = ctx.random ?? Math.random;
    const h = this.hosts[this.draw(random())]!;
    const exclude = ctx.exclude;
    if (!isExcluded(h, exclude)) return h;
    // Retry path, O(n): draw among the hosts not excluded, by weight.
    let allowed = 0;
    for (const c of this.hosts) if (!exclude!.has(c)) allowed += c.weight;
    if (allowed === 0) return h;
    let target = random() * allowed;
    let last: Host = h;
    for (const c of this.hosts) {
      if (exclude!.has(c)) continue;
      last = c;
      target -= c.weight;
      if (target < 0) return c;
    }
    return last; // floating-point slack: the last allowed host
  }

  /** Index of the host owning point `u·total` of the weight line, u in [0, 1). */
  private draw(u: number): number {
    const n = this.hosts.length;
    const c = this.cumulative;
    if (c === undefined) {
      const i = Math.floor(u * n);
      return i < n ? i : n - 1;
    }
    const x = u * this.total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
