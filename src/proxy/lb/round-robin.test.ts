/** Round-robin specifics: exact alternation, smooth weighted interleaving, exclusion order. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Host } from './host.js';
import { HostSet } from './host.js';
import { RoundRobinLoadBalancer } from './round-robin.js';
import { makeHosts } from './testing/shared-suite.js';
import { seededRandom } from './testing/seeded-random.js';

function sequence(lb: RoundRobinLoadBalancer, n: number): Host[] {
  const out: Host[] = [];
  for (let i = 0; i < n; i++) out.push(lb.pick({})!);
  return out;
}

/** Longest run of consecutive picks of `host`. */
function longestRun(seq: readonly Host[], host: Host): number {
  let best = 0;
  let run = 0;
  for (const h of seq) {
    run = h === host ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

describe('RoundRobinLoadBalancer', () => {
  it('alternates exactly between two hosts of weight 1', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const hosts = makeHosts([1, 1]);
      const seq = sequence(new RoundRobinLoadBalancer(HostSet.of(hosts), { random: seededRandom(seed) }), 101);
      for (let i = 1; i < seq.length; i++) assert.notEqual(seq[i], seq[i - 1], `seed ${seed}, pick ${i}`);
    }
  });

  it('cycles through equal-weight hosts in a fixed order', () => {
    const hosts = makeHosts([1, 1, 1, 1]);
    const seq = sequence(new RoundRobinLoadBalancer(HostSet.of(hosts), { random: seededRandom(3) }), 40);
    for (let i = 4; i < seq.length; i++) assert.equal(seq[i], seq[i - 4]);
    assert.equal(new Set(seq.slice(0, 4)).size, 4);
  });

  it('starts at a random host so restarted proxies do not move in lock step', () => {
    const hosts = makeHosts([1, 1, 1, 1, 1, 1, 1, 1]);
    const firsts = new Set<Host>();
    for (let seed = 1; seed <= 40; seed++) firsts.add(new RoundRobinLoadBalancer(HostSet.of(hosts), { random: seededRandom(seed) }).pick({})!);
    assert.ok(firsts.size >= 5, `only ${firsts.size} distinct first hosts`);
  });

  it('interleaves unequal weights smoothly instead of in bursts', () => {
    const [a, b] = makeHosts([3, 1]);
    const seq = sequence(new RoundRobinLoadBalancer(HostSet.of([a!, b!]), { random: seededRandom(4) }), 4000);
    assert.equal(seq.filter((h) => h === a).length, 3000);
    assert.ok(longestRun(seq, a!) <= 3, `runs of the weight-3 host: ${longestRun(seq, a!)}`);
    assert.equal(longestRun(seq, b!), 1);
    // Every window of 4 consecutive picks holds the weight-1 host exactly once.
    for (let i = 0; i + 4 <= seq.length; i++) assert.equal(seq.slice(i, i + 4).filter((h) => h === b).length, 1, `window ${i}`);
  });

  it('gives weights 5:1:1 exact shares with no host starved for long', () => {
    const hosts = makeHosts([5, 1, 1]);
    const seq = sequence(new RoundRobinLoadBalancer(HostSet.of(hosts), { random: seededRandom(5) }), 7000);
    assert.deepEqual(hosts.map((h) => seq.filter((x) => x === h).length), [5000, 1000, 1000]);
    assert.ok(longestRun(seq, hosts[0]!) <= 5);
    // The light hosts come around at least once per 7 picks.
    for (const h of hosts.slice(1)) {
      let gap = 0;
      for (const x of seq.slice(7)) {
        gap = x === h ? 0 : gap + 1;
        assert.ok(gap < 7, `gap for ${h}`);
      }
    }
  });

  it('skips excluded hosts and resumes the rotation', () => {
    const hosts = makeHosts([1, 1, 1]);
    const lb = new RoundRobinLoadBalancer(HostSet.of(hosts), { random: seededRandom(6) });
    const exclude = new Set([hosts[1]!]);
    const seq: Host[] = [];
    for (let i = 0; i < 30; i++) seq.push(lb.pick({ exclude })!);
    assert.ok(!seq.includes(hosts[1]!));
    assert.equal(seq.filter((h) => h === hosts[0]).length, 15);
  });
});
