/**
 * ROUND_ROBIN: each candidate host in turn. With equal weights a plain rotating index (O(1));
 * with unequal `loadBalancingWeight`s an earliest-deadline-first schedule (O(log n)), so a host of
 * weight 3 next to one of weight 1 is picked A A B A A A B … interleaved, not in bursts — the same
 * approach Envoy documents for its weighted round robin. With `slowStart`, hosts within their slow
 * start window are picked by their ramped weight (see slow-start.ts) until the window is over.
 */

import { EdfScheduler } from './edf.js';
import type { Host, HostSet } from './host.js';
import { allWeightsEqual, candidateHosts, firstNotExcluded, isExcluded, type CommonLbOptions } from './lb-util.js';
import type { LbContext, LoadBalancer } from './load-balancer.js';
import { SlowStartPicker, type SlowStartOptions } from './slow-start.js';

/** Options of the round robin balancer: the common ones and `roundRobinLbConfig.slowStartConfig`. */
export interface RoundRobinOptions extends CommonLbOptions {
  /** Envoy `slow_start_config` (Istio `loadBalancer.warmup`). */
  readonly slowStart?: SlowStartOptions | undefined;
}

/** Weighted, smooth round robin over a {@link HostSet} snapshot. */
export class RoundRobinLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  private readonly weights: Float64Array;
  private readonly edf: EdfScheduler | undefined;
  private index: number;
  private slow: SlowStartPicker | undefined;

  constructor(hostSet: HostSet, options: RoundRobinOptions = {}) {
    this.hosts = candidateHosts(hostSet, options);
    const n = this.hosts.length;
    this.weights = new Float64Array(n);
    for (let i = 0; i < n; i++) this.weights[i] = this.hosts[i]!.weight;
    this.edf = allWeightsEqual(this.hosts) ? undefined : new EdfScheduler(this.weights);
    // Start somewhere random so a fleet of proxies does not hit the first host in lock step.
    const random = options.random ?? Math.random;
    const skip = n === 0 ? 0 : Math.floor(random() * n) % n;
    this.index = 0;
    if (this.edf === undefined) this.index = skip;
    else for (let i = 0; i < skip; i++) this.edf.next(this.weights);
    if (options.slowStart !== undefined) {
      const slow = new SlowStartPicker(this.hosts, options.slowStart, (h) => h.weight);
      if (slow.active()) this.slow = slow;
    }
  }

  /** Next host in the schedule, skipping hosts in `ctx.exclude` while others remain. */
  pick(ctx: LbContext): Host | undefined {
    const n = this.hosts.length;
    if (n === 0) return undefined;
    const exclude = ctx.exclude;
    if (this.slow !== undefined) {
      const h = this.slow.pick(exclude);
      if (h !== undefined) return h;
      if (!this.slow.active()) this.slow = undefined;
    }
    const first = this.advance();
    if (!isExcluded(first, exclude)) return first;
    // Retry path: walk the schedule a full cycle's worth, then scan.
    for (let i = 1; i < n; i++) {
      const h = this.advance();
      if (!exclude!.has(h)) return h;
    }
    return firstNotExcluded(this.hosts, exclude!) ?? first;
  }

  private advance(): Host {
    if (this.edf !== undefined) return this.hosts[this.edf.next(this.weights)]!;
    const i = this.index;
    this.index = i + 1 === this.hosts.length ? 0 : i + 1;
    return this.hosts[i]!;
  }
}
