import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../upstream/circuit-breaker.js';
import { ProxyStats } from '../stats/proxy-stats.js';
import { compileRetryPolicy } from '../../envoy/retry-policy.js';
import { JitteredBackoff, RetryState, RetryStatus } from './retry-state.js';
import { StatsStore } from '../stats/stats-store.js';

test('back-off: full jitter, interval doubling from the base, capped at the max', () => {
  for (const r of [0, 0.5, 0.999999]) {
    const b = new JitteredBackoff(25, 250, () => r);
    const bounds = [25, 50, 100, 200, 250, 250, 250];
    for (const upper of bounds) {
      const v = b.nextBackoffMs();
      assert.ok(v >= 0 && v < upper, `${v} not in [0, ${upper})`);
      if (r > 0.99) assert.equal(v, upper - 1);
    }
  }
  const random = new JitteredBackoff(25, 250);
  for (let i = 0; i < 1000; i++) assert.ok(random.nextBackoffMs() <= 250);
});

function setup(maxRetries: number) {
  const stats = new ProxyStats(new StatsStore());
  const breaker = new CircuitBreaker(stats, 'c');
  breaker.configure({ thresholds: [{ maxRetries: { value: maxRetries } }] });
  const policy = compileRetryPolicy({ retryOn: '5xx', numRetries: { value: 2 } })!;
  return { stats: stats.clusterResilience('c'), breaker, policy };
}

test('shouldRetry: retries left, limit exceeded, success counted, slot held until the next decision', () => {
  const { stats, breaker, policy } = setup(10);
  const r = new RetryState(policy, breaker, stats);
  assert.equal(r.shouldRetry(true), RetryStatus.Yes);
  assert.equal(breaker.retries, 1);
  assert.equal(r.shouldRetry(true), RetryStatus.Yes);
  assert.equal(breaker.retries, 1);
  assert.equal(r.shouldRetry(true), RetryStatus.NoRetryLimitExceeded);
  assert.equal(breaker.retries, 0);
  assert.equal(stats.rqRetry.value, 2);
  assert.equal(stats.rqRetryLimitExceeded.value, 1);
  const ok = new RetryState(policy, breaker, stats);
  ok.shouldRetry(true);
  assert.equal(ok.shouldRetry(false), RetryStatus.No);
  assert.equal(stats.rqRetrySuccess.value, 1);
  assert.equal(breaker.retries, 0);
});

test('maxRetries circuit breaker: overflow counted, slot released on request end', () => {
  const { stats, breaker, policy } = setup(1);
  const a = new RetryState(policy, breaker, stats);
  const b = new RetryState(policy, breaker, stats);
  assert.equal(a.shouldRetry(true), RetryStatus.Yes);
  assert.equal(b.shouldRetry(true), RetryStatus.NoOverflow);
  assert.equal(stats.rqRetryOverflow.value, 1);
  a.releaseSlot();
  a.releaseSlot();
  assert.equal(breaker.retries, 0);
});
