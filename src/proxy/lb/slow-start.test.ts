/** Slow start (Envoy's SlowStartConfig) on ROUND_ROBIN and LEAST_REQUEST, on a fake clock. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Host, HostSet } from './host.js';
import { createLoadBalancer, type LoadBalancer } from './load-balancer.js';
import { LbError } from './errors.js';
import { slowStartFactor, slowStartFromEnvoy, type SlowStartOptions } from './slow-start.js';

/** Two hosts in the cluster for long and one new host created at `newAt`. */
function cluster(newAt: number): { old: Host[]; fresh: Host; set: HostSet } {
  const old = [new Host({ address: '10.0.0.1', port: 80, createdAtMs: -1e6 }), new Host({ address: '10.0.0.2', port: 80, createdAtMs: -1e6 })];
  const fresh = new Host({ address: '10.0.0.3', port: 80, createdAtMs: newAt });
  return { old, fresh, set: HostSet.of([...old, fresh]) };
}

/** Share of `n` picks that go to `host`. */
function share(lb: LoadBalancer, host: Host, n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (lb.pick({}) === host) hits++;
  return hits / n;
}

describe('slowStartFactor (Envoy: max(min%, (max(age,1ms)/window)^(1/aggression)))', () => {
  it('ramps linearly with aggression 1, floors at the minimum weight, and is 1 after the window', () => {
    assert.equal(slowStartFactor(0, 10_000, 1, 0.1), 0.1);
    assert.equal(slowStartFactor(500, 10_000, 1, 0.1), 0.1);
    assert.equal(slowStartFactor(5_000, 10_000, 1, 0.1), 0.5);
    assert.equal(slowStartFactor(9_000, 10_000, 1, 0.1), 0.9);
    assert.equal(slowStartFactor(10_000, 10_000, 1, 0.1), 1);
    assert.equal(slowStartFactor(0, 10_000, 1, 0), 1 / 10_000, 'time since creation counts at least 1 ms');
  });

  it('aggression > 1 ramps faster early on (the time factor is raised to 1/aggression)', () => {
    assert.ok(Math.abs(slowStartFactor(2_500, 10_000, 2, 0.1) - 0.5) < 1e-12);
    assert.ok(slowStartFactor(2_500, 10_000, 2, 0.1) > slowStartFactor(2_500, 10_000, 1, 0.1));
  });
});

describe('slowStartFromEnvoy', () => {
  it('reads window, aggression and min weight percent as xDS decodes them', () => {
    assert.deepEqual(
      slowStartFromEnvoy({ slowStartWindow: { seconds: '30', nanos: 0 }, aggression: { defaultValue: 1.5, runtimeKey: '(' }, minWeightPercent: { value: 20 } }),
      { windowMs: 30_000, aggression: 1.5, minWeightPercent: 20 },
    );
    assert.deepEqual(slowStartFromEnvoy({ slowStartWindow: { seconds: 2 } }), { windowMs: 2000, aggression: undefined, minWeightPercent: undefined });
    assert.equal(slowStartFromEnvoy({}), undefined);
    assert.equal(slowStartFromEnvoy(undefined), undefined);
  });
});

for (const policy of ['ROUND_ROBIN', 'LEAST_REQUEST'] as const) {
  describe(`${policy} with slow start`, () => {
    it('gives a new host a share that rises with its time in the cluster, then its full share', () => {
      let now = 100_000;
      const { fresh, set } = cluster(now);
      const slowStart: SlowStartOptions = { windowMs: 10_000, now: () => now };
      const lb = createLoadBalancer(policy, set, { healthyPanicThreshold: 0, slowStart });
      // Weight factor 0.1 (floor), 0.5, 0.9 → shares 0.1/2.1, 0.5/2.5, 0.9/2.9; then 1/3.
      const expected: [number, number][] = [[0, 0.1 / 2.1], [5_000, 0.5 / 2.5], [9_000, 0.9 / 2.9], [12_000, 1 / 3]];
      for (const [age, want] of expected) {
        now = 100_000 + age;
        const got = share(lb, fresh, 3000);
        assert.ok(Math.abs(got - want) < 0.02, `age ${age} ms: share ${got.toFixed(3)}, want ${want.toFixed(3)}`);
      }
    });

    it('does nothing when every host is equally new (a fresh deployment)', () => {
      const now = 50;
      const hosts = [0, 1, 2].map((i) => new Host({ address: `10.0.1.${i}`, port: 80, createdAtMs: 0 }));
      const lb = createLoadBalancer(policy, HostSet.of(hosts), { healthyPanicThreshold: 0, slowStart: { windowMs: 10_000, now: () => now } });
      for (const h of hosts) assert.ok(Math.abs(share(lb, h, 3000) - 1 / 3) < 0.03);
    });

    it('honours minWeightPercent and aggression', () => {
      let now = 0;
      const { fresh, set } = cluster(0);
      const lb = createLoadBalancer(policy, set, { healthyPanicThreshold: 0, slowStart: { windowMs: 10_000, minWeightPercent: 40, aggression: 2, now: () => now } });
      now = 1_000; // (0.1)^(1/2) = 0.316 < 0.4 → floor 0.4
      assert.ok(Math.abs(share(lb, fresh, 3000) - 0.4 / 2.4) < 0.02);
      now = 6_400; // (0.64)^(1/2) = 0.8
      assert.ok(Math.abs(share(lb, fresh, 3000) - 0.8 / 2.8) < 0.02);
    });

    it('still avoids excluded hosts (retries) while ramping', () => {
      const now = 1_000;
      const { old, fresh, set } = cluster(0);
      const lb = createLoadBalancer(policy, set, { healthyPanicThreshold: 0, slowStart: { windowMs: 10_000, now: () => now } });
      const exclude = new Set([old[0]!, old[1]!]);
      for (let i = 0; i < 20; i++) assert.equal(lb.pick({ exclude }), fresh);
    });

    it('refuses an invalid min weight percent at config time (so the push is NACKed)', () => {
      assert.throws(() => createLoadBalancer(policy, HostSet.empty(), { slowStart: { windowMs: 1000, minWeightPercent: 150 } }), LbError);
    });
  });
}
