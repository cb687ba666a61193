/**
 * The contract every {@link LoadBalancer} must honour, as one node:test suite that each policy runs
 * (see all-balancers.test.ts). Randomness comes from a seeded generator, so every run sees the same
 * picks; statistical checks use 5-sigma binomial bounds, which a correct balancer passes with
 * overwhelming margin and a broken one (wrong weights, ignored health) fails by far.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Host, HostSet } from '../host.js';
import type { LbContext, LoadBalancer } from '../load-balancer.js';
import { randomHash, seededRandom } from './seeded-random.js';

/** How the suite builds the balancer under test. */
export interface BalancerUnderTest {
  /** Policy name, used in test titles. */
  readonly name: string;
  /** Builds a balancer over `hostSet` with the given panic threshold (undefined = default 50). */
  create(hostSet: HostSet, healthyPanicThreshold?: number): LoadBalancer;
  /**
   * Extra relative tolerance on each host's share, for balancers whose structure is only
   * approximately proportional to weights (a hash ring's arcs vary in length). 0 for exact ones.
   */
  readonly weightSlack: number;
}

/** Hosts 10.0.0.1…n on port 8080 with the given weights and health. */
export function makeHosts(weights: readonly number[], healthy: readonly boolean[] = []): Host[] {
  return weights.map((weight, i) => new Host({ address: `10.0.0.${i + 1}`, port: 8080, weight, healthy: healthy[i] ?? true }));
}

/** Picks `count` times with a seeded random source and a fresh random hash per pick. */
export function countPicks(lb: LoadBalancer, count: number, seed: number, exclude?: ReadonlySet<Host>): Map<Host | undefined, number> {
  const random = seededRandom(seed);
  const counts = new Map<Host | undefined, number>();
  const ctx: LbContext = { random, exclude };
  for (let i = 0; i < count; i++) {
    ctx.hash = randomHash(random);
    const h = lb.pick(ctx);
    counts.set(h, (counts.get(h) ?? 0) + 1);
  }
  return counts;
}

/**
 * Asserts `observed` is within 5 standard deviations of a Binomial(n, p) mean, widened by
 * `slack · n · p` for structural imbalance.
 */
export function assertBinomial(observed: number, n: number, p: number, slack: number, label: string): void {
  const mean = n * p;
  const bound = 5 * Math.sqrt(n * p * (1 - p)) + slack * mean;
  assert.ok(Math.abs(observed - mean) <= bound, `${label}: observed ${observed}, expected ${mean.toFixed(1)} ± ${bound.toFixed(1)}`);
}

/** Registers the shared load-balancer contract tests for one implementation. */
export function runLoadBalancerSuite(subject: BalancerUnderTest): void {
  describe(`LoadBalancer contract: ${subject.name}`, () => {
    it('returns undefined for an empty host set', () => {
      const lb = subject.create(HostSet.empty());
      assert.equal(lb.pick({ random: seededRandom(1), hash: 42 }), undefined);
      assert.equal(lb.pick({}), undefined);
    });

    it('returns undefined when no host is healthy and panic mode is off', () => {
      const lb = subject.create(HostSet.of(makeHosts([1, 1, 1], [false, false, false])), 0);
      assert.equal(lb.pick({ random: seededRandom(2), hash: 7 }), undefined);
    });

    it('a single host always wins', () => {
      const [only] = makeHosts([3]);
      const lb = subject.create(HostSet.of([only!]));
      const counts = countPicks(lb, 500, 3);
      assert.deepEqual([...counts], [[only, 500]]);
      assert.equal(lb.pick({}), only);
    });

    it('never returns an unhealthy host while healthy ones exist and panic is off', () => {
      const hosts = makeHosts([1, 2, 1, 3, 1, 1], [true, false, true, false, true, true]);
      for (const threshold of [0, 50]) {
        const lb = subject.create(HostSet.of(hosts), threshold); // 4/6 healthy ≥ 50 %: no panic
        const counts = countPicks(lb, 3000, 4);
        for (const [h, c] of counts) {
          assert.ok(h !== undefined && h.healthy, `threshold ${threshold}: picked ${String(h)} ${c} times`);
        }
        assert.equal(counts.size, 4, 'every healthy host is used');
      }
    });

    it('keeps to healthy hosts exactly at the threshold (panic is strictly below)', () => {
      const hosts = makeHosts([1, 1, 1, 1], [true, false, true, false]); // 50 %
      const counts = countPicks(subject.create(HostSet.of(hosts), 50), 2000, 5);
      for (const h of counts.keys()) assert.ok(h?.healthy);
    });

    it('panic mode below the threshold balances across all hosts', () => {
      const hosts = makeHosts([1, 1, 1, 1], [true, false, false, false]); // 25 % < 50 %
      const n = 8000;
      const counts = countPicks(subject.create(HostSet.of(hosts)), n, 6);
      for (const h of hosts) assertBinomial(counts.get(h) ?? 0, n, 1 / 4, subject.weightSlack, `panic share of ${h}`);
      // With the threshold disabled the lone healthy host takes everything.
      const calm = countPicks(subject.create(HostSet.of(hosts), 0), 500, 6);
      assert.deepEqual([...calm], [[hosts[0], 500]]);
    });

    it('honours exclude while alternatives exist', () => {
      const hosts = makeHosts([1, 2, 3, 1, 1]);
      const lb = subject.create(HostSet.of(hosts));
      const allButLast = new Set(hosts.slice(0, 4));
      const counts = countPicks(lb, 500, 7, allButLast);
      assert.deepEqual([...counts], [[hosts[4], 500]]);
      const two = new Set([hosts[1]!, hosts[2]!]);
      for (const h of countPicks(lb, 2000, 8, two).keys()) assert.ok(h !== undefined && !two.has(h), `picked excluded ${String(h)}`);
    });

    it('falls back to an excluded host when only excluded hosts remain', () => {
      const hosts = makeHosts([1, 1, 1]);
      const lb = subject.create(HostSet.of(hosts));
      const counts = countPicks(lb, 300, 9, new Set(hosts));
      assert.equal(counts.get(undefined), undefined);
      let total = 0;
      for (const [h, c] of counts) {
        assert.ok(hosts.includes(h!));
        total += c;
      }
      assert.equal(total, 300);
    });

    it('respects weights within statistical tolerance', () => {
      const weights = [1, 2, 3, 4, 10];
      const hosts = makeHosts(weights);
      const sum = weights.reduce((a, b) => a + b, 0);
      const n = 40000;
      const counts = countPicks(subject.create(HostSet.of(hosts)), n, 10);
      hosts.forEach((h, i) => assertBinomial(counts.get(h) ?? 0, n, weights[i]! / sum, subject.weightSlack, `weight ${weights[i]} host ${h}`));
    });

    it('spreads evenly over equal weights', () => {
      const hosts = makeHosts([1, 1, 1, 1, 1, 1, 1]);
      const n = 21000;
      const counts = countPicks(subject.create(HostSet.of(hosts)), n, 11);
      for (const h of hosts) assertBinomial(counts.get(h) ?? 0, n, 1 / 7, subject.weightSlack, `share of ${h}`);
    });
  });
}
