/** Runs the shared load-balancer contract against every policy, plus the factory's own checks. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LbError } from './errors.js';
import { HostSet } from './host.js';
import { LeastRequestLoadBalancer } from './least-request.js';
import { createLoadBalancer, isHashPolicy, type LbPolicy, type LoadBalancerOptions } from './load-balancer.js';
import { MaglevLoadBalancer } from './maglev.js';
import { RandomLoadBalancer } from './random.js';
import { RingHashLoadBalancer } from './ring-hash.js';
import { RoundRobinLoadBalancer } from './round-robin.js';
import { makeHosts, runLoadBalancerSuite } from './testing/shared-suite.js';
import { seededRandom } from './testing/seeded-random.js';

const subjects: ReadonlyArray<{ policy: LbPolicy; options: LoadBalancerOptions; weightSlack: number }> = [
  { policy: 'ROUND_ROBIN', options: {}, weightSlack: 0 },
  { policy: 'LEAST_REQUEST', options: {}, weightSlack: 0 },
  { policy: 'RANDOM', options: {}, weightSlack: 0 },
  // A ring's arcs vary in length: with ~6,500 entries for the lightest host its share is within a
  // few percent of its weight; 8 % slack keeps the check meaningful without depending on luck.
  { policy: 'RING_HASH', options: { ringHash: { minimumRingSize: 131072 } }, weightSlack: 0.08 },
  // Maglev's table is proportional to weights up to one slot per host per round.
  { policy: 'MAGLEV', options: {}, weightSlack: 0.01 },
];

for (const s of subjects) {
  runLoadBalancerSuite({
    name: s.policy,
    weightSlack: s.weightSlack,
    create: (hostSet, healthyPanicThreshold) =>
      createLoadBalancer(s.policy, hostSet, { ...s.options, healthyPanicThreshold, random: seededRandom(99) }),
  });
}

describe('createLoadBalancer', () => {
  const hostSet = HostSet.of(makeHosts([1, 1]));

  it('maps Envoy LbPolicy names and numbers to implementations', () => {
    const expected = [
      ['ROUND_ROBIN', 0, RoundRobinLoadBalancer],
      ['LEAST_REQUEST', 1, LeastRequestLoadBalancer],
      ['RING_HASH', 2, RingHashLoadBalancer],
      ['RANDOM', 3, RandomLoadBalancer],
      ['MAGLEV', 5, MaglevLoadBalancer],
    ] as const;
    for (const [name, number, cls] of expected) {
      assert.ok(createLoadBalancer(name, hostSet) instanceof cls, name);
      assert.ok(createLoadBalancer(number, hostSet) instanceof cls, String(number));
    }
  });

  it('rejects policies it does not implement with LB_UNSUPPORTED_POLICY', () => {
    for (const p of ['CLUSTER_PROVIDED', 'LOAD_BALANCING_POLICY_CONFIG', 'round_robin', 6, 4]) {
      assert.throws(() => createLoadBalancer(p, hostSet), (e: unknown) => e instanceof LbError && e.code === 'LB_UNSUPPORTED_POLICY', String(p));
    }
  });

  it('rejects an out-of-range panic threshold with LB_INVALID_CONFIG', () => {
    for (const t of [-1, 101, Number.NaN]) {
      assert.throws(() => createLoadBalancer('RANDOM', hostSet, { healthyPanicThreshold: t }), { code: 'LB_INVALID_CONFIG' });
    }
  });

  it('passes policy-specific options through', () => {
    assert.throws(() => createLoadBalancer('MAGLEV', hostSet, { maglev: { tableSize: 100 } }), { code: 'LB_MAGLEV_TABLE_SIZE_NOT_PRIME' });
    assert.throws(() => createLoadBalancer('LEAST_REQUEST', hostSet, { leastRequest: { choiceCount: 1 } }), { code: 'LB_INVALID_CONFIG' });
    const ring = createLoadBalancer('RING_HASH', hostSet, { ringHash: { minimumRingSize: 4096 } });
    assert.equal((ring as RingHashLoadBalancer).ringSize, 4096);
  });

  it('tells which policies consume a request hash', () => {
    assert.deepEqual(
      (['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV'] as const).map((p) => isHashPolicy(p)),
      [false, false, false, true, true],
    );
    assert.equal(isHashPolicy(2), true);
  });
});
