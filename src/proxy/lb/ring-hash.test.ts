/** Ring-hash specifics: ring sizing, consistency, minimal remapping when a host leaves. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Host, HostSet } from './host.js';
import type { LoadBalancer } from './load-balancer.js';
import { RingHashLoadBalancer } from './ring-hash.js';
import { makeHosts } from './testing/shared-suite.js';
import { randomHash, seededRandom } from './testing/seeded-random.js';

function keys(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => randomHash(random));
}

/** Picks for each key (no exclusions, fixed randomness). */
function assign(lb: LoadBalancer, ks: readonly number[]): Host[] {
  return ks.map((hash) => lb.pick({ hash })!);
}

describe('RingHashLoadBalancer', () => {
  it('is consistent: the same hash maps to the same host, also across rebuilds', () => {
    const hosts = makeHosts([1, 1, 1, 1, 1]);
    const a = new RingHashLoadBalancer(HostSet.of(hosts));
    const b = new RingHashLoadBalancer(HostSet.of([...hosts].reverse()));
    const ks = keys(2000, 1);
    assert.deepEqual(assign(a, ks), assign(a, ks));
    assert.deepEqual(assign(a, ks), assign(b, ks), 'host order in the set does not matter');
  });

  it('treats number and bigint hashes alike', () => {
    const lb = new RingHashLoadBalancer(HostSet.of(makeHosts([1, 1, 1])));
    for (const k of keys(200, 2)) assert.equal(lb.pick({ hash: k }), lb.pick({ hash: BigInt(k) }));
  });

  it('removing one host of N remaps about 1/N of keys and no others', () => {
    const n = 10;
    const hosts = makeHosts(new Array<number>(n).fill(1));
    const before = new RingHashLoadBalancer(HostSet.of(hosts));
    const removed = hosts[3]!;
    const after = new RingHashLoadBalancer(HostSet.of(hosts.filter((h) => h !== removed)));
    const ks = keys(50000, 3);
    const b = assign(before, ks);
    const a = assign(after, ks);
    let onRemoved = 0;
    let movedOthers = 0;
    for (let i = 0; i < ks.length; i++) {
      if (b[i] === removed) onRemoved++;
      else if (a[i] !== b[i]) movedOthers++;
    }
    // 128 ring entries per host: the removed host's arc share is within ±40 % of 1/N.
    const share = onRemoved / ks.length;
    assert.ok(share > 0.6 / n && share < 1.4 / n, `removed host owned ${share}`);
    assert.ok(movedOthers <= ks.length * 0.001, `${movedOthers} keys of other hosts moved`);
  });

  it('adding a host moves keys only onto the new host', () => {
    const hosts = makeHosts([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const added = hosts.pop()!;
    const before = assign(new RingHashLoadBalancer(HostSet.of(hosts)), keys(30000, 4));
    const after = assign(new RingHashLoadBalancer(HostSet.of([...hosts, added])), keys(30000, 4));
    for (let i = 0; i < before.length; i++) if (after[i] !== before[i]) assert.equal(after[i], added);
  });

  it("sizes the ring from the lightest host's share of minimumRingSize (rounded up to 2^k), capped at the maximum", () => {
    assert.equal(new RingHashLoadBalancer(HostSet.of(makeHosts([1, 1, 1]))).ringSize, 1536); // 342 → 512, × 3
    assert.equal(new RingHashLoadBalancer(HostSet.of(makeHosts([1, 3]))).ringSize, 1024); // 256 + 768
    assert.equal(new RingHashLoadBalancer(HostSet.of(makeHosts([1, 1000])), { minimumRingSize: 100, maximumRingSize: 200 }).ringSize, 200);
    assert.equal(new RingHashLoadBalancer(HostSet.of(makeHosts([1, 2])), { minimumRingSize: 3000 }).ringSize, 3072); // 1000 → 1024
    assert.equal(new RingHashLoadBalancer(HostSet.of(makeHosts([2, 4, 6])), { minimumRingSize: 1 }).ringSize, 6); // 1 : 2 : 3
    assert.equal(new RingHashLoadBalancer(HostSet.empty()).ringSize, 0);
  });

  it('rejects ring sizes outside Envoy\'s limits', () => {
    const hs = HostSet.of(makeHosts([1]));
    assert.throws(() => new RingHashLoadBalancer(hs, { minimumRingSize: 8388609 }), { code: 'LB_INVALID_CONFIG' });
    assert.throws(() => new RingHashLoadBalancer(hs, { maximumRingSize: 8388609 }), { code: 'LB_INVALID_CONFIG' });
    assert.throws(() => new RingHashLoadBalancer(hs, { minimumRingSize: 2048, maximumRingSize: 1024 }), { code: 'LB_INVALID_CONFIG' });
    assert.throws(() => new RingHashLoadBalancer(hs, { minimumRingSize: 1.5 }), { code: 'LB_INVALID_CONFIG' });
  });

  it('picks a random point when the request carries no hash', () => {
    const hosts = makeHosts([1, 1, 1]);
    const lb = new RingHashLoadBalancer(HostSet.of(hosts));
    const random = seededRandom(5);
    const seen = new Set<Host | undefined>();
    for (let i = 0; i < 300; i++) seen.add(lb.pick({ random }));
    assert.equal(seen.size, 3);
  });

  it('on retry walks clockwise to the next host not yet tried', () => {
    const hosts = makeHosts([1, 1, 1, 1]);
    const lb = new RingHashLoadBalancer(HostSet.of(hosts));
    for (const hash of keys(200, 6)) {
      const first = lb.pick({ hash })!;
      const second = lb.pick({ hash, exclude: new Set([first]) })!;
      assert.notEqual(second, first);
      assert.equal(lb.pick({ hash, exclude: new Set([first]) }), second, 'the retry choice is itself consistent');
    }
  });

  it('uses a host\'s hashKey, so a re-created host keeps its keys', () => {
    const hosts = makeHosts([1, 1, 1]);
    const ks = keys(3000, 7);
    const before = assign(new RingHashLoadBalancer(HostSet.of(hosts)), ks).map(String);
    const recreated = hosts.map((h) => new Host({ address: h.address, port: h.port, stats: h.stats }));
    const after = assign(new RingHashLoadBalancer(HostSet.of(recreated)), ks).map(String);
    assert.deepEqual(after, before);
  });
});
