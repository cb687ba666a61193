/**
 * End to end: Istio's circuit-breaking task (`maxConnections: 1`, `http1MaxPendingRequests: 1`,
 * `maxRequestsPerConnection: 1`, 3 concurrent clients) gives some 503 UO with `x-envoy-overloaded`,
 * and `upstream_rq_pending_overflow` equals their count; clients that disconnect mid-request or
 * mid-retry leave every pool counter at zero.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { delayed, hang, Mesh, reply, service, sleep, Upstream, waitUntil } from './harness.js';

const mesh = new Mesh('127.0.3.1');
const httpbin = new Upstream('127.0.3.11', 8000);
const hung = new Upstream('127.0.3.12', 8000);
const flaky = new Upstream('127.0.3.13', 8000);
const CB = 'outbound|8000||httpbin.default.svc.cluster.local';

const CONFIG = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: flaky}
spec:
  hosts: [flaky]
  http:
  - route: [{destination: {host: flaky}}]
    retries: {attempts: 20, retryOn: 5xx, perTryTimeout: 0.05s}
`;

before(async () => {
  httpbin.behaviour = delayed(15);
  hung.behaviour = hang;
  flaky.behaviour = hang;
  await mesh.start({
    'registry.yaml': [service('httpbin', 8000, [httpbin.address]), service('hung', 8000, [hung.address]), service('flaky', 8000, [flaky.address])].join('---\n'),
    'dr.yaml': CONFIG,
  }, [httpbin, hung, flaky]);
  await mesh.waitForHosts(CB, 1);
  await mesh.waitForHosts('outbound|8000||flaky.default.svc.cluster.local', 1);
  await waitUntil(() => mesh.proxy.snapshot().clusters.get(CB)?.resilience.breaker.current.maxConnections === 1, 'circuit breaker config');
});

after(() => mesh.stop());

function counters(cluster: string): { requests: number; pending: number; retries: number; active: number } {
  const c = mesh.proxy.snapshot().clusters.get(cluster)!;
  const b = c.resilience.breaker;
  let active = 0;
  for (const h of c.hostSet.hosts) active += h.stats.activeRequests;
  return { requests: b.requests, pending: b.pending, retries: b.retries, active };
}

test('3 concurrent clients x 10 requests: some 503 UO with x-envoy-overloaded; pending overflow counts them', async () => {
  let ok = 0;
  let overflow = 0;
  const client = async () => {
    for (let i = 0; i < 10; i++) {
      const r = await mesh.request('http://httpbin:8000/get');
      if (r.status === 200) ok++;
      else {
        assert.equal(r.status, 503);
        assert.equal(r.headers['x-envoy-overloaded'], 'true');
        assert.match(r.body, /overflow/);
        overflow++;
      }
    }
  };
  await Promise.all([client(), client(), client()]);
  assert.equal(ok + overflow, 30);
  assert.ok(overflow > 0 && overflow < 30, `${overflow} overflows of 30`);
  assert.equal(await mesh.stat(`cluster.${CB}.upstream_rq_pending_overflow`), overflow);
  assert.equal(await mesh.requestsWithFlags('UO'), overflow);
  await waitUntil(() => counters(CB).requests === 0 && counters(CB).pending === 0, 'pool counters back to zero');
  assert.ok(httpbin.count <= ok, 'each connection served one request');
});

test('a client disconnecting mid-request releases every slot', async () => {
  const cluster = 'outbound|8000||hung.default.svc.cluster.local';
  await mesh.waitForHosts(cluster, 1);
  const results = await Promise.allSettled([1, 2, 3].map(() => mesh.request('http://hung:8000/', { abortAfterMs: 150 })));
  assert.ok(results.every((r) => r.status === 'rejected'));
  await waitUntil(() => {
    const c = counters(cluster);
    return c.requests === 0 && c.pending === 0 && c.active === 0;
  }, 'counters at zero after disconnects');
  assert.equal(await mesh.requestsWithFlags('DC'), 3);
});

test('a client disconnecting mid-retry releases every slot, retries included', async () => {
  const cluster = 'outbound|8000||flaky.default.svc.cluster.local';
  const results = await Promise.allSettled([1, 2, 3].map(() => mesh.request('http://flaky:8000/', { abortAfterMs: 180 })));
  assert.ok(results.every((r) => r.status === 'rejected'));
  assert.ok(flaky.count >= 3, 'retries happened');
  await waitUntil(() => {
    const c = counters(cluster);
    return c.requests === 0 && c.pending === 0 && c.retries === 0 && c.active === 0;
  }, 'counters at zero after mid-retry disconnects');
  const before = flaky.count;
  await sleep(200);
  assert.equal(flaky.count, before, 'no retry after the client left');
  flaky.behaviour = reply(200);
  assert.equal((await mesh.request('http://flaky:8000/')).status, 200);
});
