/**
 * End to end: retries through a real sidecar. Istio's default policy does not retry a 503 (Istio
 * 1.24+); `retryOn: 5xx` with `attempts: 3` sends `x-envoy-attempt-count` 1..3;
 * resets are retried under `reset` but not under `503`; a hung first attempt is cut by
 * `perTryTimeout` and retried; exhausted retries answer the last response with flag URX, and a dead
 * endpoint gives 503 UF,URX.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hang, Mesh, reply, reset, service, Upstream } from './harness.js';

const mesh = new Mesh('127.0.1.1');
const flakyBad = new Upstream('127.0.1.11', 8080);
const flakyGood = new Upstream('127.0.1.12', 8080);
const fivexx = new Upstream('127.0.1.13', 8080);
const reset503 = new Upstream('127.0.1.14', 8080);
const resetReset = new Upstream('127.0.1.15', 8080);
const slowFirst = new Upstream('127.0.1.16', 8080);
const always500 = new Upstream('127.0.1.18', 8080);

/** Fails attempts of a request (by attempt header) while `attempt <= failures`, else 200. */
function failFirst(failures: number, fail: typeof reset): typeof reset {
  return (req, res, n) => {
    const attempt = Number(req.headers['x-envoy-attempt-count'] ?? '1');
    if (attempt <= failures) fail(req, res, n);
    else reply(200)(req, res, n);
  };
}

const VS = (name: string, retries: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: [${name}]
  http:
  - route: [{destination: {host: ${name}}}]
    retries: ${retries}
`;

before(async () => {
  flakyBad.behaviour = reply(503);
  fivexx.behaviour = failFirst(2, reply(500));
  reset503.behaviour = failFirst(1, reset);
  resetReset.behaviour = failFirst(1, reset);
  slowFirst.behaviour = failFirst(1, hang);
  always500.behaviour = reply(500);
  await mesh.start({
    'registry.yaml': [
      service('flaky', 8080, [flakyBad.address, flakyGood.address]),
      service('fivexx', 8080, [fivexx.address]),
      service('reset-503', 8080, [reset503.address]),
      service('reset-reset', 8080, [resetReset.address]),
      service('slowfirst', 8080, [slowFirst.address]),
      service('dead', 8080, ['127.0.1.17']),
      service('always500', 8080, [always500.address]),
    ].join('---\n'),
    'vs.yaml': [
      VS('fivexx', '{attempts: 3, retryOn: 5xx}'),
      VS('reset-503', '{attempts: 2, retryOn: "503"}'),
      VS('reset-reset', '{attempts: 2, retryOn: reset}'),
      VS('slowfirst', '{attempts: 2, retryOn: 5xx, perTryTimeout: 0.2s}'),
      VS('always500', '{attempts: 3, retryOn: 5xx}'),
    ].join('---\n'),
  }, [flakyBad, flakyGood, fivexx, reset503, resetReset, slowFirst, always500]);
  await mesh.waitForHosts('outbound|8080||flaky.default.svc.cluster.local', 2);
  await mesh.waitForHosts('outbound|8080||always500.default.svc.cluster.local', 1);
});

after(() => mesh.stop());

test('Istio default retries do not retry a 503: it reaches the client, and the other host is not tried for it', async () => {
  // Istio 1.24+ (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY, default true): the default policy keeps
  // retriable-status-codes in retryOn but lists no status code, so a 503 is not retried.
  let unavailable = 0;
  for (let i = 0; i < 20; i++) {
    const r = await mesh.request('http://flaky:8080/');
    assert.ok(r.status === 200 || r.status === 503, `${r.status} ${r.body}`);
    if (r.status === 503) unavailable++;
  }
  assert.ok(flakyBad.count > 0, 'the failing host was tried');
  assert.equal(unavailable, flakyBad.count, 'every 503 the bad host sent reached the client');
  assert.equal(flakyGood.count + flakyBad.count, 20, 'one upstream attempt per request');
  const c = 'cluster.outbound|8080||flaky.default.svc.cluster.local';
  assert.equal(await mesh.stat(`${c}.upstream_rq_retry`), 0);
});

test('retryOn 5xx with attempts 3: x-envoy-attempt-count 1, 2, 3 upstream', async () => {
  const r = await mesh.request('http://fivexx:8080/');
  assert.equal(r.status, 200);
  assert.deepEqual(fivexx.attempts, ['1', '2', '3']);
});

test('a reset is not retried under retryOn 503 (503 UC) but is under reset', async () => {
  const a = await mesh.request('http://reset-503:8080/');
  assert.equal(a.status, 503);
  assert.match(a.body, /connection termination/);
  assert.equal(reset503.count, 1);
  const b = await mesh.request('http://reset-reset:8080/');
  assert.equal(b.status, 200);
  assert.equal(resetReset.count, 2);
});

test('perTryTimeout cuts a hung attempt and the retry succeeds', async () => {
  const r = await mesh.request('http://slowfirst:8080/');
  assert.equal(r.status, 200);
  assert.equal(slowFirst.count, 2);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  assert.equal(await mesh.stat('cluster.outbound|8080||slowfirst.default.svc.cluster.local.upstream_rq_per_try_timeout'), 1);
});

test('exhausted retries pass the last response through with URX', async () => {
  const r = await mesh.request('http://always500:8080/');
  assert.equal(r.status, 500);
  assert.equal(always500.count, 4);
  assert.equal(await mesh.requestsWithFlags('URX'), 1);
  assert.equal(await mesh.stat('cluster.outbound|8080||always500.default.svc.cluster.local.upstream_rq_retry_limit_exceeded'), 1);
});

test('a dead endpoint: connect failures retried, then 503 UF,URX', async () => {
  const r = await mesh.request('http://dead:8080/');
  assert.equal(r.status, 503);
  assert.match(r.body, /retried and the latest reset reason: connection failure/);
  assert.equal(await mesh.requestsWithFlags('UF,URX'), 1);
});

test('x-envoy-retry-on / x-envoy-max-retries from the caller are honoured on a sidecar', async () => {
  always500.count = 0;
  const r = await mesh.request('http://flaky:8080/', { headers: { 'x-envoy-max-retries': '0' } });
  assert.ok(r.status === 200 || r.status === 503);
  const before = always500.count;
  const r2 = await mesh.request('http://always500:8080/', { headers: { 'x-envoy-max-retries': '1' } });
  assert.equal(r2.status, 500);
  assert.equal(always500.count - before, 2);
});
