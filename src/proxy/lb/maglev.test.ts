/** Maglev specifics: prime table sizes, consistency, weighted slot counts, minimal disruption. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LbError } from './errors.js';
import { HostSet, type Host } from './host.js';
import { isPrime, MaglevLoadBalancer } from './maglev.js';
import { makeHosts } from './testing/shared-suite.js';
import { randomHash, seededRandom } from './testing/seeded-random.js';

function keys(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => randomHash(random));
}

describe('MaglevLoadBalancer', () => {
  it('rejects a table size that is not prime, with a stable code', () => {
    const hs = HostSet.of(makeHosts([1, 1]));
    for (const size of [65536, 100, 4, 65535]) {
      assert.throws(
        () => new MaglevLoadBalancer(hs, { tableSize: size }),
        (e: unknown) => e instanceof LbError && e.code === 'LB_MAGLEV_TABLE_SIZE_NOT_PRIME' && e.message.includes(String(size)),
      );
    }
    assert.throws(() => new MaglevLoadBalancer(hs, { tableSize: 5000101 }), { code: 'LB_INVALID_CONFIG' }); // prime, above Envoy's limit
    assert.throws(() => new MaglevLoadBalancer(hs, { tableSize: 1 }), { code: 'LB_INVALID_CONFIG' });
    assert.ok(new MaglevLoadBalancer(hs, { tableSize: 5000011 }).pick({ hash: 1 }));
  });

  it('isPrime agrees with a sieve up to 10,000', () => {
    const composite = new Uint8Array(10001);
    for (let i = 2; i * i <= 10000; i++) if (!composite[i]) for (let j = i * i; j <= 10000; j += i) composite[j] = 1;
    for (let n = 0; n <= 10000; n++) assert.equal(isPrime(n), n >= 2 && !composite[n], String(n));
    assert.equal(isPrime(65537), true);
    assert.equal(isPrime(5000011), true);
  });

  it('is consistent: the same hash maps to the same host, also across rebuilds', () => {
    const hosts = makeHosts([1, 1, 1, 1]);
    const a = new MaglevLoadBalancer(HostSet.of(hosts));
    const b = new MaglevLoadBalancer(HostSet.of(hosts));
    for (const hash of keys(2000, 1)) {
      assert.equal(a.pick({ hash }), a.pick({ hash }));
      assert.equal(a.pick({ hash }), b.pick({ hash }));
      assert.equal(a.pick({ hash }), a.pick({ hash: BigInt(hash) }));
    }
  });

  it('fills the table in proportion to weights', () => {
    const weights = [1, 2, 3, 4];
    const hosts = makeHosts(weights);
    const counts = new MaglevLoadBalancer(HostSet.of(hosts)).slotCounts();
    let total = 0;
    hosts.forEach((h, i) => {
      const expected = (65537 * weights[i]!) / 10;
      assert.ok(Math.abs(counts.get(h)! - expected) <= hosts.length, `${h}: ${counts.get(h)} vs ${expected}`);
      total += counts.get(h)!;
    });
    assert.equal(total, 65537);
  });

  it('removing one host of N remaps about 1/N of keys; other keys mostly keep their host', () => {
    const n = 10;
    const hosts = makeHosts(new Array<number>(n).fill(1));
    const removed = hosts[6]!;
    const before = new MaglevLoadBalancer(HostSet.of(hosts));
    const after = new MaglevLoadBalancer(HostSet.of(hosts.filter((h) => h !== removed)));
    const ks = keys(50000, 2);
    let onRemoved = 0;
    let movedOthers = 0;
    for (const hash of ks) {
      const b = before.pick({ hash });
      if (b === removed) onRemoved++;
      else if (after.pick({ hash }) !== b) movedOthers++;
    }
    const share = onRemoved / ks.length;
    assert.ok(share > 0.9 / n && share < 1.1 / n, `removed host owned ${share}`);
    // Maglev trades a little disruption for balance; the paper measures a few percent at most.
    const otherShare = movedOthers / (ks.length - onRemoved);
    assert.ok(otherShare < 0.03, `${(otherShare * 100).toFixed(2)} % of other keys moved`);
  });

  it('works with a tiny table (every slot is assigned)', () => {
    const hosts = makeHosts([1, 1, 1]);
    const counts = new MaglevLoadBalancer(HostSet.of(hosts), { tableSize: 13 }).slotCounts();
    assert.deepEqual([...counts.values()].sort(), [4, 4, 5]);
  });

  it('on retry walks the table to a host not yet tried', () => {
    const hosts = makeHosts([1, 1, 1]);
    const lb = new MaglevLoadBalancer(HostSet.of(hosts));
    for (const hash of keys(300, 3)) {
      const first = lb.pick({ hash })!;
      const exclude = new Set<Host>([first]);
      const second = lb.pick({ hash, exclude })!;
      assert.notEqual(second, first);
      assert.equal(lb.pick({ hash, exclude }), second);
    }
  });
});
