/**
 * LEAST_REQUEST, as Envoy documents it:
 * - all weights equal: "N choices" — sample `choiceCount` (default 2) distinct random candidates
 *   and take the one with the fewest active requests (P2C, O(choiceCount)). Ties go to the first
 *   sampled, which is random. The most loaded host is never picked while others are sampled with it.
 * - unequal weights: an earliest-deadline-first schedule whose weights are recomputed whenever a
 *   host is served, as `weight / (activeRequests + 1) ^ activeRequestBias` (bias default 1.0;
 *   0 turns it into plain weighted round robin). O(log n).
 *
 * Active requests are read from `host.stats.activeRequests`, which the connection pool maintains.
 * With `slowStart`, while a host is within its slow start window every host is picked by
 * `weight / (active + 1) ^ bias` scaled by its slow start factor, as Envoy's `hostWeight` does
 * whenever a host is in slow start (see slow-start.ts).
 */

import { EdfScheduler } from './edf.js';
import { LbError, LbErrorCode } from './errors.js';
import type { Host, HostSet } from './host.js';
import { allWeightsEqual, candidateHosts, integerOption, isExcluded, type CommonLbOptions } from './lb-util.js';
import type { LbContext, LoadBalancer } from './load-balancer.js';
import { SlowStartPicker, type SlowStartOptions } from './slow-start.js';

/** Envoy `leastRequestLbConfig` settings. */
export interface LeastRequestOptions extends CommonLbOptions {
  /** Hosts sampled per pick when weights are equal; default 2, at least 2 (Envoy's validation). */
  readonly choiceCount?: number | undefined;
  /** Exponent applied to (active + 1) when weights differ; default 1.0, must be ≥ 0. */
  readonly activeRequestBias?: number | undefined;
  /** Envoy `slow_start_config` (Istio `loadBalancer.warmup`). */
  readonly slowStart?: SlowStartOptions | undefined;
}

/** Least-request balancer over a {@link HostSet} snapshot. */
export class LeastRequestLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  private readonly choiceCount: number;
  private readonly bias: number;
  /** Scratch permutation for distinct sampling (partial Fisher–Yates; any order is a valid start). */
  private readonly perm: Int32Array;
  private readonly edf: EdfScheduler | undefined;
  private slow: SlowStartPicker | undefined;

  constructor(hostSet: HostSet, options: LeastRequestOptions = {}) {
    this.hosts = candidateHosts(hostSet, options);
    this.choiceCount = integerOption('leastRequest.choiceCount', options.choiceCount, 2, 2, 0xffffffff);
    const bias = options.activeRequestBias ?? 1;
    if (typeof bias !== 'number' || !Number.isFinite(bias) || bias < 0) {
      throw new LbError(LbErrorCode.InvalidConfig, `leastRequest.activeRequestBias ${String(bias)} must be a finite number >= 0`);
    }
    this.bias = bias;
    const n = this.hosts.length;
    this.perm = new Int32Array(n);
    for (let i = 0; i < n; i++) this.perm[i] = i;
    if (allWeightsEqual(this.hosts)) {
      this.edf = undefined;
    } else {
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) w[i] = this.effectiveWeight(this.hosts[i]!);
      this.edf = new EdfScheduler(w);
    }
    if (options.slowStart !== undefined) {
      const slow = new SlowStartPicker(this.hosts, options.slowStart, (h) => this.effectiveWeight(h));
      if (slow.active()) this.slow = slow;
    }
  }

  /** Least-loaded of the sampled hosts (or next in the load-adjusted schedule), avoiding `exclude`. */
  pick(ctx: LbContext): Host | undefined {
    const n = this.hosts.length;
    if (n === 0) return undefined;
    if (n === 1) return this.hosts[0];
    const exclude = ctx.exclude;
    if (this.slow !== undefined) {
      const h = this.slow.pick(exclude);
      if (h !== undefined) return h;
      if (!this.slow.active()) this.slow = undefined;
    }
    if (this.edf !== undefined) return this.pickWeighted(exclude);
    const random = ctx.random ?? Math.random;
    if (exclude === undefined || exclude.size === 0) {
      if (this.choiceCount === 2) {
        // P2C fast path: two distinct indices without touching the permutation.
        const i = Math.floor(random() * n) % n;
        let j = Math.floor(random() * (n - 1)) % (n - 1);
        if (j >= i) j++;
        const a = this.hosts[i]!;
        const b = this.hosts[j]!;
        return b.stats.activeRequests < a.stats.activeRequests ? b : a;
      }
      return this.sample(random, undefined)!;
    }
    return this.sample(random, exclude) ?? this.sample(random, undefined)!;
  }

  /**
   * Samples up to `choiceCount` distinct hosts not in `exclude` and returns the least loaded one;
   * undefined if every host is excluded. O(choiceCount + |excluded hosts met|).
   */
  private sample(random: () => number, exclude: ReadonlySet<Host> | undefined): Host | undefined {
    const n = this.hosts.length;
    const perm = this.perm;
    let best: Host | undefined;
    let taken = 0;
    for (let c = 0; c < n && taken < this.choiceCount; c++) {
      const r = c + (Math.floor(random() * (n - c)) % (n - c));
      const picked = perm[r]!;
      perm[r] = perm[c]!;
      perm[c] = picked;
      const h = this.hosts[picked]!;
      if (exclude !== undefined && exclude.has(h)) continue;
      taken++;
      if (best === undefined || h.stats.activeRequests < best.stats.activeRequests) best = h;
    }
    return best;
  }

  private pickWeighted(exclude: ReadonlySet<Host> | undefined): Host {
    const edf = this.edf!;
    const n = this.hosts.length;
    let first: Host | undefined;
    for (let attempt = 0; attempt < n; attempt++) {
      const h = this.hosts[edf.peek()]!;
      edf.reschedule(this.effectiveWeight(h));
      if (!isExcluded(h, exclude)) return h;
      first ??= h;
    }
    // Retry path: every scheduled pick was excluded; take the best remaining host by effective weight.
    let best: Host | undefined;
    let bestWeight = -1;
    for (const h of this.hosts) {
      if (exclude!.has(h)) continue;
      const w = this.effectiveWeight(h);
      if (w > bestWeight) {
        best = h;
        bestWeight = w;
      }
    }
    return best ?? first!;
  }

  /** `weight / (active + 1) ^ bias`, with the common biases computed without Math.pow. */
  private effectiveWeight(h: Host): number {
    const bias = this.bias;
    if (bias === 0) return h.weight;
    const load = h.stats.activeRequests + 1;
    if (bias === 1) return h.weight / load;
    return h.weight / Math.pow(load, bias);
  }
}
