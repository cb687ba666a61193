import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, limitsOf, retryLimit } from './circuit-breaker.js';
import { Admission, ClusterAdmission, PoolSlot, type AdmissionWaiter } from './admission.js';
import { ProxyStats } from '../stats/proxy-stats.js';
import { StatsStore } from '../stats/stats-store.js';
import type { HostConnections } from './host-connections.js';

test('limits: Envoy defaults when absent, DEFAULT priority only', () => {
  assert.deepEqual(limitsOf(undefined), { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, trackRemaining: false });
  const l = limitsOf({ thresholds: [{ priority: 'HIGH', maxConnections: { value: 7 } }, { maxConnections: { value: 1 }, maxRetries: {}, trackRemaining: true }] });
  assert.equal(l.maxConnections, 1);
  assert.equal(l.maxRetries, 0);
  assert.equal(l.trackRemaining, true);
});

test('gauges: open flags and remaining counts', () => {
  const stats = new ProxyStats(new StatsStore());
  const b = new CircuitBreaker(stats, 'c');
  b.configure({ thresholds: [{ maxConnections: { value: 2 }, trackRemaining: true }] });
  b.addConnections(2);
  const g = stats.circuitBreaker('c');
  assert.equal(g.cxOpen.value, 1);
  assert.equal(g.remainingCx.value, 0);
  b.addConnections(-1);
  assert.equal(g.cxOpen.value, 0);
  assert.equal(g.remainingCx.value, 1);
  assert.match(stats.store.renderText(), /cluster\.c\.circuit_breakers\.default\.cx_open: 0/);
});

/** A stand-in for an agent: counts of idle and total connections, and the waiter queue. */
function fakeAgent(idle: number, total: number) {
  return { waiters: [] as AdmissionWaiter[], idle, total, freeCount() { return this.idle; }, socketCount() { return this.total; } };
}
/** Admission outcomes of queued attempts, in order (each attempt's `poolReady` call). */
let dispatched: [AdmissionWaiter, boolean][] = [];
const stream = (): AdmissionWaiter => {
  const w: AdmissionWaiter = { poolState: 0, queuedOn: undefined, host: { host: { address: 'a', port: 1 } }, poolReady: (ok) => dispatched.push([w, ok]) };
  return w;
};

test('pool admission: idle connection, new connection, queue, overflow; release returns every slot', () => {
  const stats = new ProxyStats(new StatsStore());
  const b = new CircuitBreaker(stats, 'c');
  b.configure({ thresholds: [{ maxConnections: { value: 1 }, maxPendingRequests: { value: 1 }, maxRequests: { value: 10 } }] });
  const pool = new ClusterAdmission(b, stats, 'c');
  dispatched = [];
  const agent = fakeAgent(0, 0);
  const a = agent as unknown as HostConnections;
  const s1 = stream();
  assert.equal(pool.acquire(s1, a, 'a', 1), Admission.Ready, 'first connection');
  assert.equal(s1.poolState, PoolSlot.Active | PoolSlot.Pending);
  b.addConnections(1);
  agent.total = 1;
  pool.connected(s1);
  assert.equal(b.pending, 0);
  const s2 = stream();
  assert.equal(pool.acquire(s2, a, 'a', 1), Admission.Queued, 'cx limit: waits');
  const s3 = stream();
  assert.equal(pool.acquire(s3, a, 'a', 1), Admission.Overflow, 'pending limit');
  const r = stats.clusterResilience('c');
  assert.equal(r.rqPendingOverflow.value, 1);
  assert.equal(r.cxOverflow.value, 1);
  // s1 finishes and its connection closes (maxRequestsPerConnection 1): s2 gets a new connection.
  pool.release(s1);
  b.addConnections(-1);
  agent.total = 0;
  pool.onConnectionClosed(a);
  assert.deepEqual(dispatched, [[s2, true]]);
  assert.equal(b.requests, 1);
  pool.release(s2);
  pool.release(s2);
  assert.deepEqual([b.requests, b.pending], [0, 0]);
});

test('pool admission: a queued stream that leaves is removed from the queue', () => {
  const stats = new ProxyStats(new StatsStore());
  const b = new CircuitBreaker(stats, 'c');
  b.configure({ thresholds: [{ maxConnections: { value: 1 }, maxPendingRequests: { value: 5 } }] });
  const pool = new ClusterAdmission(b, stats, 'c');
  const agent = fakeAgent(0, 1);
  b.addConnections(1);
  const a = agent as unknown as HostConnections;
  const s = stream();
  assert.equal(pool.acquire(s, a, 'a', 1), Admission.Queued);
  pool.release(s);
  assert.equal(agent.waiters.length, 0);
  assert.equal(b.pending, 0);
});

test('maxRequests: overflow when active requests are at the limit', () => {
  const stats = new ProxyStats(new StatsStore());
  const b = new CircuitBreaker(stats, 'c');
  b.configure({ thresholds: [{ maxRequests: { value: 1 } }] });
  const pool = new ClusterAdmission(b, stats, 'c');
  const a = fakeAgent(2, 2) as unknown as HostConnections;
  assert.equal(pool.acquire(stream(), a, 'a', 1), Admission.Ready);
  assert.equal(pool.acquire(stream(), a, 'a', 1), Admission.Overflow);
});

test('retry budget: max(percent × (active + pending), minRetryConcurrency) replaces maxRetries; Envoy defaults 20 % / 3', () => {
  const l = limitsOf({ thresholds: [{ maxRetries: { value: 1 }, retryBudget: { budgetPercent: { value: 50 }, minRetryConcurrency: { value: 2 } } }] });
  assert.deepEqual(l.retryBudget, { percent: 50, minConcurrency: 2 });
  assert.equal(retryLimit(l, 0, 0), 2);
  assert.equal(retryLimit(l, 7, 2), 4);
  const d = limitsOf({ thresholds: [{ retryBudget: {} }] });
  assert.deepEqual(d.retryBudget, { percent: 20, minConcurrency: 3 });
  assert.equal(retryLimit(d, 100, 0), 20);
  assert.equal(retryLimit(limitsOf({ thresholds: [{ maxRetries: { value: 5 } }] }), 1000, 0), 5);
  const b = new CircuitBreaker(new ProxyStats(new StatsStore()), 'budget');
  b.configure({ thresholds: [{ retryBudget: { budgetPercent: { value: 10 }, minRetryConcurrency: { value: 1 } } }] });
  assert.equal(b.canRetry(), true);
  b.addRetries(1);
  assert.equal(b.canRetry(), false, 'floor of 1 with no active requests');
  b.addRequests(20);
  assert.equal(b.canRetry(), true, '10 % of 20 active requests allows 2');
});
