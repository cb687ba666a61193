/**
 * Envoy's zone-aware routing (zone-aware.ts) as pure logic: the plan for the cases Envoy's docs and
 * istio's zone-aware integration test name, and the shares a PriorityLoadBalancer with
 * `zoneAware` produces, checked with the shared suite's seeded picks and 5-sigma binomial bounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Host } from './host.js';
import { createLoadBalancer } from './load-balancer.js';
import { PriorityLoadBalancer, type LocalityGroupInit } from './priority-balancer.js';
import { assertBinomial, countPicks } from './testing/shared-suite.js';
import { seededRandom } from './testing/seeded-random.js';
import { chooseLocality, zoneRoutingPlan, type ZoneAwareConfig } from './zone-aware.js';

const cfg = (local: Record<string, number>, minClusterSize = 1, localLocality = 'r1/a'): ZoneAwareConfig => ({
  localLocality, localHosts: new Map(Object.entries(local)), minClusterSize, routingEnabled: 100,
});

let next = 1;
function group(locality: string, n: number, healthy = true, priority = 0): LocalityGroupInit {
  const hosts = Array.from({ length: n }, () => new Host({ address: `10.1.0.${next++}`, port: 80, weight: 1, healthy }));
  return { priority, weight: 1, hosts, locality };
}

function shares(groups: readonly LocalityGroupInit[], zoneAware: ZoneAwareConfig | undefined, n: number, seed: number): Map<string, number> {
  const lb = new PriorityLoadBalancer(groups, {
    healthyPanicThreshold: 0, localityWeighted: false, ...(zoneAware ? { zoneAware } : {}),
    create: (set, panic) => createLoadBalancer('ROUND_ROBIN', set, { healthyPanicThreshold: panic }),
  });
  const byHost = new Map<Host, string>();
  for (const g of groups) for (const h of g.hosts) byHost.set(h, g.locality ?? '');
  const out = new Map<string, number>();
  for (const [h, c] of countPicks(lb, n, seed)) {
    const l = h ? byHost.get(h)! : 'none';
    out.set(l, (out.get(l) ?? 0) + c);
  }
  return out;
}

describe('zone-aware routing plan (Envoy load_balancer_impl.cc)', () => {
  it('residual: the local zone keeps upstream[0]/local[0] of the picks, the rest goes by residual capacity', () => {
    // Envoy's docs example: local 40/40/20 %, upstream 25/50/25 % → 62.5 % local; residual 10 % and 5 %.
    const plan = zoneRoutingPlan([{ locality: 'r1/a', healthy: 1 }, { locality: 'r1/b', healthy: 2 }, { locality: 'r1/c', healthy: 1 }], cfg({ 'r1/a': 2, 'r1/b': 2, 'r1/c': 1 }));
    assert.deepEqual(plan, { kind: 'residual', localPercentToRoute: 6250, residualCapacity: [0, 1000, 1500] });
  });

  it('direct: the upstream has at least the local cluster\'s share in the local zone', () => {
    assert.deepEqual(zoneRoutingPlan([{ locality: 'r1/a', healthy: 1 }, { locality: 'r1/b', healthy: 1 }], cfg({ 'r1/a': 1, 'r1/b': 3 })), { kind: 'direct' });
  });

  it('no zone routing: one locality, no healthy local host, fewer hosts than minClusterSize, or an empty local cluster', () => {
    assert.equal(zoneRoutingPlan([{ locality: 'r1/a', healthy: 3 }], cfg({ 'r1/a': 1 })).kind, 'none');
    assert.equal(zoneRoutingPlan([{ locality: 'r1/b', healthy: 3 }, { locality: 'r1/c', healthy: 3 }], cfg({ 'r1/a': 1 })).kind, 'none');
    assert.equal(zoneRoutingPlan([{ locality: 'r1/a', healthy: 1 }, { locality: 'r1/b', healthy: 3 }], cfg({ 'r1/a': 1 }, 5)).kind, 'none');
    assert.equal(zoneRoutingPlan([{ locality: 'r1/a', healthy: 1 }, { locality: 'r1/b', healthy: 3 }], cfg({}, 1)).kind, 'none');
  });

  it('no residual capacity left anywhere: a random other locality', () => {
    const plan = { kind: 'residual' as const, localPercentToRoute: 0, residualCapacity: [0, 0, 0] };
    const seen = new Set<number | undefined>();
    const random = seededRandom(5);
    for (let i = 0; i < 200; i++) seen.add(chooseLocality(plan, random));
    assert.deepEqual([...seen].sort(), [1, 2]);
  });
});

describe('zone-aware routing through the priority balancer', () => {
  const n = 20000;
  it('caller zone with fewer upstream hosts than its share: 50 % local (not the 25 % of a plain pick), the rest to the other zone', () => {
    const groups = [group('r1/a', 1), group('r1/b', 3)];
    const s = shares(groups, cfg({ 'r1/a': 1, 'r1/b': 1 }), n, 11);
    assertBinomial(s.get('r1/a') ?? 0, n, 0.5, 0, 'r1/a share');
    assert.equal((s.get('r1/a') ?? 0) + (s.get('r1/b') ?? 0), n);
  });

  it('Envoy docs example: 62.5 % local, 25 % and 12.5 % to the others', () => {
    const groups = [group('r1/a', 1), group('r1/b', 2), group('r1/c', 1)];
    const s = shares(groups, cfg({ 'r1/a': 2, 'r1/b': 2, 'r1/c': 1 }), n, 12);
    assertBinomial(s.get('r1/a') ?? 0, n, 0.625, 0, 'r1/a');
    assertBinomial(s.get('r1/b') ?? 0, n, 0.25, 0, 'r1/b');
    assertBinomial(s.get('r1/c') ?? 0, n, 0.125, 0, 'r1/c');
  });

  it('minClusterSize above the healthy host count: the plain policy over every host of the level', () => {
    const groups = [group('r1/a', 1), group('r1/b', 3)];
    const s = shares(groups, cfg({ 'r1/a': 1, 'r1/b': 1 }, 5), 4000, 13);
    assert.equal(s.get('r1/a'), 1000, 'round robin over 4 hosts');
  });

  it('only priority 0 is zone-aware, and an unhealthy local zone leaves it', () => {
    const groups = [group('r1/a', 1, false), group('r1/b', 3), group('r2/x', 2, true, 1)];
    const s = shares(groups, cfg({ 'r1/a': 1, 'r1/b': 1 }), 4000, 14);
    assert.equal(s.get('r1/a'), undefined);
    assert.ok((s.get('r1/b') ?? 0) > 0);
  });
});
