import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutlierDetection } from '../../envoy/types.js';
import { OutlierDetector, outlierConfig } from './outlier-detector.js';
import { ProxyStats } from '../stats/proxy-stats.js';
import { StatsStore } from '../stats/stats-store.js';

function make(od: OutlierDetection, hosts = ['a:1', 'b:1', 'c:1']) {
  let now = 0;
  let changes = 0;
  const stats = new ProxyStats(new StatsStore()).outlier('c');
  const d = new OutlierDetector(od, stats, () => changes++, { now: () => now }, () => 0);
  d.sync(hosts);
  return { d, stats, advance: (ms: number) => (now += ms), changes: () => changes };
}

test('Envoy defaults: 5 consecutive 5xx, 10 s interval, 30 s base, max 10 %, gateway detector off', () => {
  const c = outlierConfig({});
  assert.equal(c.consecutive5xx, 5);
  assert.equal(c.intervalMs, 10_000);
  assert.equal(c.baseEjectionTimeMs, 30_000);
  assert.equal(c.maxEjectionTimeMs, 300_000);
  assert.equal(c.maxEjectionPercent, 10);
  assert.equal(c.enforcingConsecutiveGatewayFailure, 0);
  assert.equal(outlierConfig({ baseEjectionTime: { seconds: 400 } }).maxEjectionTimeMs, 400_000);
});

test('consecutive 5xx: ejected at the threshold, a success in between resets the count', () => {
  const { d, stats, changes } = make({ consecutive_5xx: { value: 3 }, maxEjectionPercent: { value: 100 } });
  const m = d.monitor('a:1')!;
  m.putHttpStatus(500);
  m.putHttpStatus(500);
  m.putHttpStatus(200);
  m.putHttpStatus(500);
  m.putHttpStatus(500);
  assert.equal(m.ejected, false);
  m.putHttpStatus(503);
  assert.equal(m.ejected, true);
  assert.equal(changes(), 1);
  assert.equal(stats.ejectionsActive.value, 1);
  assert.equal(stats.enforced5xx.value, 1);
  assert.equal(stats.ejectionsTotal.value, 1);
  assert.equal(stats.ejectionsEnforcedTotal.value, 1);
});

test('ejection time = base × ejections, unejected on the interval, backoff decays while healthy', () => {
  const { d, advance } = make({ consecutive_5xx: { value: 1 }, baseEjectionTime: { seconds: 1 }, interval: { seconds: 1 }, maxEjectionPercent: { value: 100 } });
  const m = d.monitor('a:1')!;
  m.putHttpStatus(500);
  assert.equal(m.ejected, true);
  advance(999);
  d.onIntervalTimer();
  assert.equal(m.ejected, true);
  advance(1);
  d.onIntervalTimer();
  assert.equal(m.ejected, false);
  m.putHttpStatus(500);
  assert.equal(m.numEjections, 2);
  advance(1999);
  d.onIntervalTimer();
  assert.equal(m.ejected, true, 'second ejection lasts 2 × base');
  advance(1);
  d.onIntervalTimer();
  assert.equal(m.ejected, false);
  assert.equal(m.ejectTimeBackoff, 2);
  advance(1000);
  d.onIntervalTimer();
  assert.equal(m.ejectTimeBackoff, 1);
});

test('maxEjectionPercent: (ejected + 1) / hosts must not exceed it; alwaysEjectOneHost allows the first', () => {
  const { d, stats } = make({ consecutive_5xx: { value: 1 } });
  d.monitor('a:1')!.putHttpStatus(500);
  assert.equal(d.ejectionsActive, 0, '1 of 3 is 33 % > 10 %');
  assert.equal(stats.ejectionsOverflow.value, 1);
  const one = make({ consecutive_5xx: { value: 1 }, alwaysEjectOneHost: { value: true } });
  one.d.monitor('a:1')!.putHttpStatus(500);
  one.d.monitor('b:1')!.putHttpStatus(500);
  assert.equal(one.d.ejectionsActive, 1);
  const half = make({ consecutive_5xx: { value: 1 }, maxEjectionPercent: { value: 50 } }, ['a:1', 'b:1', 'c:1', 'd:1']);
  for (const k of ['a:1', 'b:1', 'c:1']) half.d.monitor(k)!.putHttpStatus(500);
  assert.equal(half.d.ejectionsActive, 2);
});

test('gateway failures: counted on 502-504 only, enforced when configured', () => {
  const { d, stats } = make({ consecutive_5xx: { value: 100 }, consecutiveGatewayFailure: { value: 2 }, enforcingConsecutiveGatewayFailure: { value: 100 }, maxEjectionPercent: { value: 100 } });
  const m = d.monitor('a:1')!;
  m.putHttpStatus(502);
  m.putHttpStatus(500);
  m.putHttpStatus(504);
  assert.equal(m.ejected, false, '500 resets the gateway count');
  m.putHttpStatus(503);
  assert.equal(m.ejected, true);
  assert.equal(stats.enforcedGatewayFailure.value, 1);
});

test('local-origin errors: mapped to 503/504 without split; own counter with split', () => {
  const plain = make({ consecutive_5xx: { value: 2 }, maxEjectionPercent: { value: 100 } });
  plain.d.monitor('a:1')!.putLocalOriginFailure('connect');
  plain.d.monitor('a:1')!.putLocalOriginFailure('timeout');
  assert.equal(plain.d.isEjected('a:1'), true);
  const split = make({ consecutive_5xx: { value: 2 }, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailure: { value: 2 }, maxEjectionPercent: { value: 100 } });
  const m = split.d.monitor('a:1')!;
  m.putLocalOriginFailure('reset');
  m.putLocalOriginSuccess();
  m.putLocalOriginFailure('reset');
  m.putHttpStatus(500);
  assert.equal(m.ejected, false, 'local and external counted apart');
  m.putLocalOriginFailure('timeout');
  assert.equal(m.ejected, true);
  assert.equal(split.stats.enforcedLocalOrigin.value, 1);
});

test('a removed host leaves the active count', () => {
  const { d, stats } = make({ consecutive_5xx: { value: 1 }, maxEjectionPercent: { value: 100 } });
  d.monitor('a:1')!.putHttpStatus(500);
  d.sync(['b:1', 'c:1']);
  assert.equal(stats.ejectionsActive.value, 0);
});
