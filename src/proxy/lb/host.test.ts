/** Host validation and HostSet snapshots, including Envoy's panic arithmetic. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Host, HostSet } from './host.js';
import { makeHosts } from './testing/shared-suite.js';

describe('Host', () => {
  it('defaults weight 1, healthy, hashKey address:port, zero active requests', () => {
    const h = new Host({ address: '10.1.2.3', port: 9080 });
    assert.equal(h.weight, 1);
    assert.equal(h.healthy, true);
    assert.equal(h.hashKey, '10.1.2.3:9080');
    assert.equal(h.stats.activeRequests, 0);
    assert.equal(String(new Host({ address: '::1', port: 80 })), '[::1]:80');
  });

  it('rejects bad weights, ports and addresses with LB_INVALID_HOST', () => {
    for (const init of [
      { address: 'a', port: 1, weight: 0 },
      { address: 'a', port: 1, weight: -2 },
      { address: 'a', port: 1, weight: Number.NaN },
      { address: 'a', port: 70000 },
      { address: 'a', port: 1.5 },
      { address: '', port: 1 },
    ]) {
      assert.throws(() => new Host(init), { code: 'LB_INVALID_HOST' }, JSON.stringify(init));
    }
  });

  it('can carry stats over to a re-created host', () => {
    const a = new Host({ address: 'a', port: 1 });
    a.stats.activeRequests = 4;
    assert.equal(new Host({ address: 'a', port: 1, weight: 7, stats: a.stats }).stats.activeRequests, 4);
  });
});

describe('HostSet', () => {
  it('snapshots health: later flips do not change an existing set', () => {
    const hosts = makeHosts([1, 1, 1], [true, false, true]);
    const set = HostSet.of(hosts);
    hosts[0]!.healthy = false;
    assert.deepEqual(set.healthyHosts, [hosts[0], hosts[2]]);
    assert.deepEqual(HostSet.of(hosts).healthyHosts, [hosts[2]]);
    assert.ok(Object.isFrozen(set.hosts) && Object.isFrozen(set.healthyHosts));
  });

  it('panics strictly below the threshold; 0 disables; an empty set is 0 % healthy', () => {
    const half = HostSet.of(makeHosts([1, 1], [true, false]));
    assert.equal(half.healthyPercent(), 50);
    assert.equal(half.isPanic(50), false);
    assert.equal(half.isPanic(51), true);
    const third = HostSet.of(makeHosts([1, 1, 1], [true, false, false]));
    assert.equal(third.isPanic(50), true);
    assert.deepEqual(third.candidates(50), third.hosts);
    assert.deepEqual(third.candidates(0), third.healthyHosts);
    const none = HostSet.of(makeHosts([1, 1], [false, false]));
    assert.equal(none.isPanic(0), false);
    assert.deepEqual(none.candidates(0), []);
    assert.equal(HostSet.empty().healthyPercent(), 0);
    assert.deepEqual(HostSet.empty().candidates(50), []);
  });
});
