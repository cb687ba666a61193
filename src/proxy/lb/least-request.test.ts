/** Least-request specifics: P2C prefers the less-loaded sampled host; weighted mode uses load. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { HostSet } from './host.js';
import { LeastRequestLoadBalancer } from './least-request.js';
import { assertBinomial, countPicks, makeHosts } from './testing/shared-suite.js';
import { seededRandom } from './testing/seeded-random.js';

function withLoad(weights: number[], loads: number[]) {
  const hosts = makeHosts(weights);
  hosts.forEach((h, i) => (h.stats.activeRequests = loads[i]!));
  return hosts;
}

describe('LeastRequestLoadBalancer (equal weights: N random choices)', () => {
  it('of two hosts always picks the less loaded one (both are sampled)', () => {
    const hosts = withLoad([1, 1], [5, 0]);
    const counts = countPicks(new LeastRequestLoadBalancer(HostSet.of(hosts)), 1000, 1);
    assert.deepEqual([...counts], [[hosts[1], 1000]]);
  });

  it('picks the less loaded of the two distinct hosts it samples', () => {
    // Distinct loads, ranks 0 (least) … 3. A host wins exactly when sampled with a busier one, so
    // with pairs drawn uniformly from C(4,2) = 6: P(rank r) = (3 - r) / 6; the busiest never wins.
    const hosts = withLoad([1, 1, 1, 1], [0, 2, 5, 9]);
    const n = 30000;
    const counts = countPicks(new LeastRequestLoadBalancer(HostSet.of(hosts)), n, 2);
    assert.equal(counts.get(hosts[3]), undefined, 'the busiest host is never picked');
    [3 / 6, 2 / 6, 1 / 6].forEach((p, r) => assertBinomial(counts.get(hosts[r]) ?? 0, n, p, 0, `rank ${r}`));
  });

  it('honours choiceCount: with 3 choices of 4, P(rank r) = C(3 - r, 2) / C(4, 3)', () => {
    const hosts = withLoad([1, 1, 1, 1], [1, 4, 6, 8]);
    const n = 20000;
    const counts = countPicks(new LeastRequestLoadBalancer(HostSet.of(hosts), { choiceCount: 3 }), n, 3);
    assertBinomial(counts.get(hosts[0]) ?? 0, n, 3 / 4, 0, 'rank 0');
    assertBinomial(counts.get(hosts[1]) ?? 0, n, 1 / 4, 0, 'rank 1');
    assert.equal((counts.get(hosts[2]) ?? 0) + (counts.get(hosts[3]) ?? 0), 0);
  });

  it('breaks ties randomly (equal loads spread evenly)', () => {
    const hosts = withLoad([1, 1, 1], [4, 4, 4]);
    const n = 9000;
    const counts = countPicks(new LeastRequestLoadBalancer(HostSet.of(hosts)), n, 4);
    for (const h of hosts) assertBinomial(counts.get(h) ?? 0, n, 1 / 3, 0, String(h));
  });

  it('samples only non-excluded hosts when some are excluded', () => {
    const hosts = withLoad([1, 1, 1, 1], [0, 9, 9, 9]);
    const counts = countPicks(new LeastRequestLoadBalancer(HostSet.of(hosts)), 600, 5, new Set([hosts[0]!]));
    assert.equal(counts.get(hosts[0]), undefined);
    assert.equal(counts.size, 3);
  });

  it('reads active requests live, without rebuilding', () => {
    const hosts = withLoad([1, 1], [0, 0]);
    const lb = new LeastRequestLoadBalancer(HostSet.of(hosts));
    const random = seededRandom(6);
    hosts[0]!.stats.activeRequests = 3;
    assert.equal(lb.pick({ random }), hosts[1]);
    hosts[1]!.stats.activeRequests = 7;
    assert.equal(lb.pick({ random }), hosts[0]);
  });

  it('rejects choiceCount < 2 and a negative bias', () => {
    const hs = HostSet.of(makeHosts([1, 1]));
    assert.throws(() => new LeastRequestLoadBalancer(hs, { choiceCount: 1 }), { code: 'LB_INVALID_CONFIG' });
    assert.throws(() => new LeastRequestLoadBalancer(hs, { activeRequestBias: -0.5 }), { code: 'LB_INVALID_CONFIG' });
  });
});

describe('LeastRequestLoadBalancer (unequal weights: weight / (active + 1) ^ bias)', () => {
  it('follows the static weights when idle', () => {
    const hosts = withLoad([1, 3], [0, 0]);
    const counts = countPicks(new LeastRequestLoadBalancer(HostSet.of(hosts)), 4000, 7);
    assert.equal(counts.get(hosts[0]), 1000);
    assert.equal(counts.get(hosts[1]), 3000);
  });

  it('shifts load away from a busy heavy host (bias 1: 3 / (5 + 1) = 0.5 vs 1)', () => {
    const hosts = withLoad([1, 3], [0, 5]);
    const n = 3000;
    const counts = countPicks(new LeastRequestLoadBalancer(HostSet.of(hosts)), n, 8);
    // Effective weights 1 : 0.5 once every host has been rescheduled once.
    assert.ok(Math.abs((counts.get(hosts[0]) ?? 0) - (2 * n) / 3) <= 2, `light host got ${counts.get(hosts[0])}`);
  });

  it('applies the bias exponent (bias 2: 3 / 6^2 = 1/12 vs 1)', () => {
    const hosts = withLoad([1, 3], [0, 5]);
    const n = 13000;
    const counts = countPicks(new LeastRequestLoadBalancer(HostSet.of(hosts), { activeRequestBias: 2 }), n, 9);
    assert.ok(Math.abs((counts.get(hosts[1]) ?? 0) - n / 13) <= 2, `heavy host got ${counts.get(hosts[1])}`);
  });

  it('ignores load with bias 0 (weighted round robin)', () => {
    const hosts = withLoad([1, 3], [0, 50]);
    const counts = countPicks(new LeastRequestLoadBalancer(HostSet.of(hosts), { activeRequestBias: 0 }), 4000, 10);
    assert.equal(counts.get(hosts[1]), 3000);
  });
});
