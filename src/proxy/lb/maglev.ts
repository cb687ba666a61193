/**
 * MAGLEV: consistent hashing with a lookup table (Eisenbud et al., "Maglev: A Fast and Reliable
 * Software Network Load Balancer", NSDI 2016). The table has a prime number M of slots (default
 * 65537, at most 5,000,011 as Envoy validates). Each host derives from its `hashKey` an `offset` in
 * [0, M) and a `skip` in [1, M); its preference list is offset, offset+skip, offset+2·skip, … mod M,
 * which visits every slot because M is prime. Hosts take turns claiming their next unclaimed
 * preferred slot until the table is full. Lookup is `table[hash mod M]`: O(1), no allocation.
 *
 * Weights: in each round every host earns credit equal to its weight and claims a slot each time its
 * credit reaches the largest weight, so slot counts are proportional to weights (the heaviest host
 * claims one slot per round). Removing a host disturbs little beyond that host's own slots.
 */

import { LbError, LbErrorCode } from './errors.js';
import { hashString, mixHash, normalizeRequestHash } from './hash.js';
import type { Host, HostSet } from './host.js';
import { candidateHosts, firstNotExcluded, isExcluded, type CommonLbOptions } from './lb-util.js';
import type { LbContext, LoadBalancer } from './load-balancer.js';

/** Envoy's default Maglev table size. */
export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;
/** Envoy's upper limit on `maglevLbConfig.tableSize`. */
export const MAX_MAGLEV_TABLE_SIZE = 5000011;

const TWO53 = 9007199254740992;
const OFFSET_SALT = 0x6f6666;
const SKIP_SALT = 0x736b70;

/** Envoy `maglevLbConfig` settings (Istio: `consistentHash.maglev.tableSize`). */
export interface MaglevOptions extends CommonLbOptions {
  /** Number of slots; must be prime and ≤ 5,000,011. Default 65537. */
  readonly tableSize?: number | undefined;
}

/** True when `n` is a prime number (trial division; n ≤ 5,000,011 needs < 1,200 divisions). */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** Maglev lookup-table balancer over a {@link HostSet} snapshot. */
export class MaglevLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  /** Slot → host index; empty when there are no candidate hosts. */
  private readonly table: Int32Array;
  private readonly tableSize: number;

  constructor(hostSet: HostSet, options: MaglevOptions = {}) {
    const size = options.tableSize ?? DEFAULT_MAGLEV_TABLE_SIZE;
    if (!Number.isInteger(size) || size < 2 || size > MAX_MAGLEV_TABLE_SIZE) {
      throw new LbError(LbErrorCode.InvalidConfig, `maglev.tableSize ${String(size)} must be an integer in 2-${MAX_MAGLEV_TABLE_SIZE}`);
    }
    if (!isPrime(size)) {
      throw new LbError(LbErrorCode.MaglevTableSizeNotPrime, `maglev.tableSize ${size} is not a prime number`);
    }
    this.tableSize = size;
    this.hosts = candidateHosts(hostSet, options);
    this.table = this.hosts.length === 0 ? new Int32Array(0) : this.build();
  }

  /** Slot counts per candidate host, in candidate order (for tests and diagnostics). */
  slotCounts(): Map<Host, number> {
    const counts = new Map<Host, number>();
    for (const h of this.hosts) counts.set(h, 0);
    for (let i = 0; i < this.table.length; i++) {
      const h = this.hosts[this.table[i]!]!;
      counts.set(h, counts.get(h)! + 1);
    }
    return counts;
  }

  /**
   * The host in slot `hash mod M` (a random slot when the request has no hash). With
   * `ctx.exclude`, walks forward through the table to the next host not excluded.
   */
  pick(ctx: LbContext): Host | undefined {
    const table = this.table;
    const m = table.length;
    if (m === 0) return undefined;
    const h = ctx.hash === undefined ? Math.floor((ctx.random ?? Math.random)() * TWO53) : normalizeRequestHash(ctx.hash);
    const start = h % m;
    const first = this.hosts[table[start]!]!;
    const exclude = ctx.exclude;
    if (!isExcluded(first, exclude)) return first;
    for (let i = 1; i < m; i++) {
      let j = start + i;
      if (j >= m) j -= m;
      const host = this.hosts[table[j]!]!;
      if (!exclude!.has(host)) return host;
    }
    return firstNotExcluded(this.hosts, exclude!) ?? first;
  }

  private build(): Int32Array {
    const m = this.tableSize;
    const hosts = this.hosts;
    const n = hosts.length;
    const position = new Float64Array(n);
    const skip = new Float64Array(n);
    const credit = new Float64Array(n);
    let maxWeight = 0;
    for (let i = 0; i < n; i++) {
      const base = hashString(hosts[i]!.hashKey);
      position[i] = mixHash(base, OFFSET_SALT) % m;
      skip[i] = (mixHash(base, SKIP_SALT) % (m - 1)) + 1;
      maxWeight = Math.max(maxWeight, hosts[i]!.weight);
    }
    const table = new Int32Array(m).fill(-1);
    let filled = 0;
    while (filled < m) {
      for (let i = 0; i < n && filled < m; i++) {
        credit[i] = credit[i]! + hosts[i]!.weight;
        if (credit[i]! < maxWeight) continue;
        credit[i] = credit[i]! - maxWeight;
        // Claim this host's next preferred slot that is still free.
        let p = position[i]!;
        while (table[p] !== -1) {
          p += skip[i]!;
          if (p >= m) p -= m;
        }
        table[p] = i;
        filled++;
        p += skip[i]!;
        position[i] = p >= m ? p - m : p;
      }
    }
    return table;
  }
}
