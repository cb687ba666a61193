/**
 * RING_HASH: consistent hashing on a ring ("ketama"). Every candidate host is placed on the ring at
 * a number of pseudo-random positions proportional to its weight; a request goes to the first host
 * at or after its hash, clockwise. Removing a host only moves the keys that were on its arcs.
 *
 * Ring size: as in Envoy, the lightest host gets its weight's share of `minimumRingSize` (default
 * 1024) and every host gets entries in proportion to its weight, never more than `maximumRingSize`
 * in total (default and cap 8M = 8,388,608). Unlike Envoy, the lightest host's count is rounded up
 * to a power of two, so the ring holds between 1× and 2× Envoy's entries and — the point — a host
 * joining or leaving does not change the other hosts' entry counts (Envoy's exact sizing re-spreads
 * entries and moves ~7 % of unrelated keys when one host of ten leaves). Entry positions are derived
 * from the host's `hashKey` hashed once, then mixed with the entry number (no string building).
 *
 * Storage: one sorted Float64Array. Each entry is a 53-bit position whose lowest `k` bits are
 * replaced by the host index (k = bits needed to number the hosts), so the native numeric sort
 * orders positions and carries the host along; lookup is a binary search, O(log ring size), with no
 * allocation. Positions keep 53 − k bits of precision (43 bits with 1,000 hosts), far more than
 * the ring needs.
 */

import { LbError, LbErrorCode } from './errors.js';
import { hashString, mixHash, normalizeRequestHash } from './hash.js';
import type { Host, HostSet } from './host.js';
import { candidateHosts, firstNotExcluded, integerOption, isExcluded, type CommonLbOptions } from './lb-util.js';
import type { LbContext, LoadBalancer } from './load-balancer.js';

/** Envoy's hard limit on both ring sizes. */
export const MAX_RING_SIZE = 8 * 1024 * 1024;

const TWO53 = 9007199254740992;

/** Envoy `ringHashLbConfig` settings (Istio: `consistentHash.ringHash.minimumRingSize`). */
export interface RingHashOptions extends CommonLbOptions {
  /** Lower bound on ring entries; default 1024, at most 8M. */
  readonly minimumRingSize?: number | undefined;
  /** Upper bound on ring entries; default 8M, at most 8M, and ≥ minimumRingSize. */
  readonly maximumRingSize?: number | undefined;
}

/** Consistent-hash ring balancer over a {@link HostSet} snapshot. */
export class RingHashLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  /** Sorted entries: position with the host index in the low `hostBits` bits. */
  private readonly ring: Float64Array;
  /** 2^hostBits. */
  private readonly hostSlot: number;

  constructor(hostSet: HostSet, options: RingHashOptions = {}) {
    const min = integerOption('ringHash.minimumRingSize', options.minimumRingSize, 1024, 1, MAX_RING_SIZE);
    const max = integerOption('ringHash.maximumRingSize', options.maximumRingSize, MAX_RING_SIZE, 1, MAX_RING_SIZE);
    if (min > max) {
      throw new LbError(LbErrorCode.InvalidConfig, `ringHash.minimumRingSize ${min} exceeds maximumRingSize ${max}`);
    }
    this.hosts = candidateHosts(hostSet, options);
    const n = this.hosts.length;
    let bits = 1;
    while (2 ** bits < n) bits++;
    this.hostSlot = 2 ** bits;
    this.ring = n === 0 ? new Float64Array(0) : this.build(min, max);
  }

  /** Number of entries on the ring (for tests and the admin /clusters view). */
  get ringSize(): number {
    return this.ring.length;
  }

  /**
   * The host owning `ctx.hash` on the ring (a random point when the request has no hash, as Envoy
   * does). With `ctx.exclude`, walks clockwise to the next host not excluded.
   */
  pick(ctx: LbContext): Host | undefined {
    const ring = this.ring;
    const len = ring.length;
    if (len === 0) return undefined;
    const h = ctx.hash === undefined ? Math.floor((ctx.random ?? Math.random)() * TWO53) : normalizeRequestHash(ctx.hash);
    // First entry with position >= h, wrapping to 0 past the end.
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ring[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const start = lo === len ? 0 : lo;
    const first = this.hosts[ring[start]! % this.hostSlot]!;
    const exclude = ctx.exclude;
    if (!isExcluded(first, exclude)) return first;
    // Retry path: the next distinct host clockwise that is not excluded.
    for (let i = 1; i < len; i++) {
      let j = start + i;
      if (j >= len) j -= len;
      const host = this.hosts[ring[j]! % this.hostSlot]!;
      if (!exclude!.has(host)) return host;
    }
    return firstNotExcluded(this.hosts, exclude!) ?? first;
  }

  private build(minRing: number, maxRing: number): Float64Array {
    const hosts = this.hosts;
    const n = hosts.length;
    let totalWeight = 0;
    let minWeight = Infinity;
    for (const h of hosts) {
      totalWeight += h.weight;
      minWeight = Math.min(minWeight, h.weight);
    }
    // Envoy: the lightest host gets its weight's share of minRing. Rounding that up to a power of
    // two keeps per-host entry counts unchanged when hosts join or leave (unless the count crosses
    // a power of two), so other hosts' keys stay put.
    const lightest = Math.max(1, Math.ceil((minWeight / totalWeight) * minRing - 1e-9));
    let perMinWeight = 1;
    while (perMinWeight < lightest) perMinWeight *= 2;
    const counts = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      counts[i] = Math.max(1, Math.round((perMinWeight * hosts[i]!.weight) / minWeight));
      total += counts[i]!;
    }
    let placed = total;
    if (total > maxRing) {
      // Cap: scale every host down, distributing rounding so the ring has exactly maxRing entries.
      let target = 0;
      placed = 0;
      for (let i = 0; i < n; i++) {
        target += (maxRing * counts[i]!) / total;
        const upTo = Math.min(maxRing, Math.ceil(target - 1e-7));
        counts[i] = Math.max(0, upTo - placed);
        placed += counts[i]!;
      }
    }
    const ring = new Float64Array(placed);
    const slot = this.hostSlot;
    let p = 0;
    for (let i = 0; i < n; i++) {
      const base = hashString(hosts[i]!.hashKey);
      for (let j = 0; j < counts[i]!; j++) {
        const position = mixHash(base, j + 1);
        ring[p++] = position - (position % slot) + i;
      }
    }
    ring.sort();
    return ring;
  }
}
