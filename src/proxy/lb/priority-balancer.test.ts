/**
 * The priority/locality layer: the shared LoadBalancer contract over one level (with and without
 * locality weighting), then what it adds: priority spill-over, locality weights, panic per level,
 * retries that exclude attempted levels (previous_priorities).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Host, HostSet } from './host.js';
import { createLoadBalancer } from './load-balancer.js';
import { PreviousPriorities } from './previous-priorities.js';
import { needsPriorityBalancer, PriorityLoadBalancer, type LocalityGroupInit } from './priority-balancer.js';
import { assertBinomial, countPicks, makeHosts, runLoadBalancerSuite } from './testing/shared-suite.js';
import { seededRandom } from './testing/seeded-random.js';

function balancer(groups: readonly LocalityGroupInit[], localityWeighted: boolean, healthyPanicThreshold = 0): PriorityLoadBalancer {
  return new PriorityLoadBalancer(groups, {
    healthyPanicThreshold,
    localityWeighted,
    create: (set, panic) => createLoadBalancer('ROUND_ROBIN', set, { healthyPanicThreshold: panic, random: seededRandom(7) }),
  });
}

for (const localityWeighted of [false, true]) {
  runLoadBalancerSuite({
    name: `PRIORITY over ROUND_ROBIN (one level${localityWeighted ? ', locality weighted' : ''})`,
    weightSlack: 0,
    create: (hostSet, threshold) => balancer([{ priority: 0, weight: 1, hosts: hostSet.hosts }], localityWeighted, threshold ?? 50),
  });
}

const hostsAt = (first: number, healthy: readonly boolean[]): Host[] =>
  healthy.map((h, i) => new Host({ address: `10.1.0.${first + i}`, port: 80, healthy: h }));

describe('PriorityLoadBalancer', () => {
  it('is only needed for several priorities or locality weights', () => {
    const g = [{ priority: 0, weight: 1, hosts: makeHosts([1]) }];
    assert.equal(needsPriorityBalancer(g, false), false);
    assert.equal(needsPriorityBalancer(g, true), true);
    assert.equal(needsPriorityBalancer([...g, { priority: 1, weight: 1, hosts: makeHosts([1]) }], false), true);
  });

  it('sends everything to P0 while it is healthy enough, and spills by Envoy’s load when not', () => {
    const p0 = hostsAt(1, [true, true, true, true]);
    const p1 = hostsAt(11, [true, true]);
    const lb = balancer([{ priority: 0, weight: 4, hosts: p0 }, { priority: 1, weight: 2, hosts: p1 }], false);
    assert.deepEqual(lb.load, [100, 0]);
    const counts = countPicks(lb, 2000, 1);
    for (const h of p1) assert.equal(counts.get(h), undefined);
    assert.equal(lb.priorityOf(p1[0]!), 1);

    // Half of P0 healthy: health 70 → 70 % P0, 30 % P1, only healthy hosts.
    const half = hostsAt(1, [true, true, false, false]);
    const spill = balancer([{ priority: 0, weight: 4, hosts: half }, { priority: 1, weight: 2, hosts: p1 }], false);
    assert.deepEqual(spill.load, [70, 30]);
    const n = 20000;
    const c = countPicks(spill, n, 2);
    assertBinomial((c.get(half[0]!) ?? 0) + (c.get(half[1]!) ?? 0), n, 0.7, 0, 'P0 share');
    assert.equal(c.get(half[2]!), undefined);
    assert.equal(c.get(undefined), undefined);
  });

  it('weights localities of a level by locality weight × availability', () => {
    const a = hostsAt(1, [true, true]);
    const b = hostsAt(11, [true, true]);
    const n = 20000;
    const lb = balancer([{ priority: 0, weight: 80, hosts: a }, { priority: 0, weight: 20, hosts: b }], true);
    const c = countPicks(lb, n, 3);
    assertBinomial((c.get(a[0]!) ?? 0) + (c.get(a[1]!) ?? 0), n, 0.8, 0, 'locality a');
    // Without locality weighting the level is one pool of hosts (50 % each locality here).
    const flat = countPicks(balancer([{ priority: 0, weight: 80, hosts: a }, { priority: 0, weight: 20, hosts: b }], false), n, 4);
    assertBinomial((flat.get(a[0]!) ?? 0) + (flat.get(a[1]!) ?? 0), n, 0.5, 0, 'no locality weighting');
    // A locality with no healthy host gets nothing.
    const down = hostsAt(1, [false, false]);
    const d = countPicks(balancer([{ priority: 0, weight: 80, hosts: down }, { priority: 0, weight: 20, hosts: b }], true), 1000, 5);
    assert.equal((d.get(b[0]!) ?? 0) + (d.get(b[1]!) ?? 0), 1000);
  });

  it('a level in panic uses all its hosts', () => {
    const p0 = hostsAt(1, [true, false, false, false]);
    const p1 = hostsAt(11, [true, false, false, false]);
    const lb = balancer([{ priority: 0, weight: 1, hosts: p0 }, { priority: 1, weight: 1, hosts: p1 }], false, 50);
    const c = countPicks(lb, 4000, 6);
    for (const h of [...p0, ...p1]) assert.ok((c.get(h) ?? 0) > 0, `${h} used in panic`);
  });

  it('retries with previous_priorities leave the attempted level after updateFrequency attempts', () => {
    const p0 = hostsAt(1, [true]);
    const p1 = hostsAt(11, [true]);
    const lb = balancer([{ priority: 0, weight: 1, hosts: p0 }, { priority: 1, weight: 1, hosts: p1 }], false);
    const pp = new PreviousPriorities(2);
    const random = seededRandom(8);
    const attempt = () => {
      const host = lb.pick({ random, excludePriorities: pp.exclusion(lb) })!;
      pp.onAttempt(lb.priorityOf(host));
      return host;
    };
    assert.equal(attempt(), p0[0]);
    assert.equal(attempt(), p0[0], 'the first retry keeps the original load');
    assert.equal(attempt(), p1[0], 'the second retry excludes P0');
    assert.equal(attempt(), p1[0]);
    // All levels attempted: Envoy forgets them and uses the original load again.
    assert.equal(attempt(), p0[0]);
  });

  it('an empty or unhealthy cluster picks nothing (panic off)', () => {
    assert.equal(balancer([], false).pick({}), undefined);
    const down = hostsAt(1, [false]);
    assert.equal(balancer([{ priority: 0, weight: 1, hosts: down }, { priority: 1, weight: 1, hosts: hostsAt(5, [false]) }], true).pick({}), undefined);
    assert.ok(HostSet.of(down).hosts.length === 1);
  });
});
