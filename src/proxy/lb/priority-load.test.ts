/** Envoy's priority arithmetic against the tables in Envoy's load-balancing docs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computePriorityLoad, distributeLoad, effectiveLocalityWeight, loadExcluding, priorityHealth, totalPanicLoad } from './priority-load.js';

const level = (hosts: number, healthy: number) => ({ hosts, healthy });

describe('priority load (Envoy arch_overview/upstream/load_balancing/priority)', () => {
  it('keeps all traffic on P0 down to 1/1.4 healthy, then spills to P1 (overprovisioning 1.4)', () => {
    // Envoy's table: P0 healthy % → P0 / P1 traffic, with P1 fully healthy.
    const rows: Array<[number, number, number]> = [
      [100, 100, 0], [72, 100, 0], [71, 99, 1], [50, 70, 30], [25, 35, 65], [0, 0, 100],
    ];
    for (const [healthy, p0, p1] of rows) {
      assert.deepEqual(computePriorityLoad([level(100, healthy), level(100, 100)], 0).load, [p0, p1], `P0 ${healthy} % healthy`);
    }
  });

  it('spills over three levels in order', () => {
    assert.deepEqual(computePriorityLoad([level(10, 2), level(10, 3), level(10, 10)], 0).load, [28, 42, 30]);
  });

  it('normalizes when the total health is below 100 (Envoy: P0 and P1 20 % healthy → 50/50)', () => {
    assert.deepEqual(computePriorityLoad([level(100, 20), level(100, 20)], 0).load, [50, 50]);
    assert.deepEqual(distributeLoad([28, 14]), [67, 33]);
  });

  it('health is min(100, 1.4 × healthy share) in whole percent; an empty level has none', () => {
    assert.equal(priorityHealth(level(3, 2)), 93);
    assert.equal(priorityHealth(level(3, 3)), 100);
    assert.equal(priorityHealth(level(0, 0)), 0);
  });

  it('with panic disabled and nothing healthy, P0 takes the load (and finds no host)', () => {
    assert.deepEqual(computePriorityLoad([level(2, 0), level(2, 0)], 0), { load: [100, 0], panic: [false, false] });
  });

  it('panic: a level below the threshold uses all its hosts; when every level is, load follows host counts', () => {
    const some = computePriorityLoad([level(10, 2), level(10, 10)], 50);
    assert.deepEqual(some.panic, [false, false], 'total availability 100: no panic');
    const partial = computePriorityLoad([level(10, 2), level(10, 4)], 50);
    assert.deepEqual(partial.panic, [true, true]);
    assert.deepEqual(partial.load, [50, 50]);
    assert.deepEqual(totalPanicLoad([level(1, 0), level(3, 0)]), [25, 75]);
    const one = computePriorityLoad([level(10, 1), level(10, 5)], 50);
    assert.deepEqual(one.panic, [true, false]);
    assert.deepEqual(one.load, [17, 83]);
  });

  it('previous priorities: excluded levels count as unavailable; nothing left → undefined', () => {
    assert.deepEqual(loadExcluding([level(2, 2), level(2, 2), level(2, 2)], new Set([0])), [0, 100, 0]);
    assert.deepEqual(loadExcluding([level(2, 2), level(2, 1), level(2, 2)], new Set([0])), [0, 70, 30]);
    assert.equal(loadExcluding([level(2, 2), level(2, 0)], new Set([0])), undefined);
  });

  it('effective locality weight (Envoy locality_weight table: X weight 1, Y weight 2 fully healthy)', () => {
    const share = (healthy: number) => {
      const x = effectiveLocalityWeight(1, level(100, healthy));
      const y = effectiveLocalityWeight(2, level(100, 100));
      return Math.round((100 * x) / (x + y));
    };
    assert.deepEqual([100, 70, 50, 25, 0].map(share), [33, 33, 26, 15, 0]);
  });
});
