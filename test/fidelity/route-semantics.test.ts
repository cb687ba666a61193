/**
 * End to end (issue 12, Deliver 3), through a real sidecar: route semantics as istiod builds them.
 * - A `fault` on a rule keeps that rule's timeout and retries (istiod route.go TranslateRoute /
 *   applyHTTPRouteDestination set both whatever the fault): a delayed request to a hung upstream
 *   still times out (504 UT), a delayed request whose first attempt fails is still retried, and the
 *   requests an abort spares are retried.
 * - Istio's default retry policy does not retry a 503 (retry.go, EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY
 *   on by default since Istio 1.24), while a connection failure is still retried.
 * - `redirect.prefixRewrite` (Istio 1.28+) rewrites the matched prefix in the redirect's Location.
 * Loopback addresses 127.0.212.0/24, ports in 19325–19399 (this slice's range).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hang, Mesh, reply, service, Upstream } from '../resilience/harness.js';

const PORT = 19325;
const mesh = new Mesh('127.0.212.1');
const hung = new Upstream('127.0.212.11', PORT);
const flaky = new Upstream('127.0.212.12', PORT);
const spared = new Upstream('127.0.212.13', PORT);
const once503 = new Upstream('127.0.212.14', PORT);

/** Answers `status` to the first attempt of each request (by x-envoy-attempt-count), 200 after. */
function failFirstAttempt(status: number): typeof hang {
  return (req, res, n) => {
    const attempt = Number(req.headers['x-envoy-attempt-count'] ?? '1');
    reply(attempt <= 1 ? status : 200)(req, res, n);
  };
}

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hung}
spec:
  hosts: [hung]
  http:
  - fault: {delay: {fixedDelay: 0.05s, percentage: {value: 100}}}
    timeout: 0.4s
    route: [{destination: {host: hung}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: flaky}
spec:
  hosts: [flaky]
  http:
  - fault: {delay: {fixedDelay: 0.02s, percentage: {value: 100}}}
    retries: {attempts: 2, retryOn: 5xx}
    route: [{destination: {host: flaky}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: spared}
spec:
  hosts: [spared]
  http:
  - fault: {abort: {httpStatus: 418, percentage: {value: 50}}}
    retries: {attempts: 2, retryOn: 5xx}
    route: [{destination: {host: spared}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: moved}
spec:
  hosts: [moved]
  http:
  - match: [{uri: {prefix: /old}}]
    redirect: {prefixRewrite: /new, redirectCode: 308}
  - route: [{destination: {host: moved}}]
`;

before(async () => {
  hung.behaviour = hang;
  flaky.behaviour = failFirstAttempt(500);
  spared.behaviour = failFirstAttempt(500);
  once503.behaviour = failFirstAttempt(503);
  await mesh.start({
    'registry.yaml': [
      service('hung', PORT, [hung.address]),
      service('flaky', PORT, [flaky.address]),
      service('spared', PORT, [spared.address]),
      service('once503', PORT, [once503.address]),
      service('deadend', PORT, ['127.0.212.15']),
      service('moved', PORT, ['127.0.212.16']),
    ].join('---\n'),
    'vs.yaml': VS,
  }, [hung, flaky, spared, once503]);
  for (const s of ['hung', 'flaky', 'spared', 'once503', 'deadend']) await mesh.waitForHosts(`outbound|${PORT}||${s}.default.svc.cluster.local`, 1);
});

after(() => mesh.stop());

test('a delay fault keeps the rule timeout: a hung upstream answers 504 UT after the delay', async () => {
  for (let i = 0; i < 2; i++) {
    const r = await mesh.request(`http://hung:${PORT}/`, { abortAfterMs: 10_000 });
    assert.equal(r.status, 504, r.body);
    assert.equal(r.body, 'upstream request timeout');
  }
  assert.equal(hung.count, 2);
  assert.equal(await mesh.requestsWithFlags('UT,DI'), 2);
});

test('a delay fault keeps the rule retries: a failed first attempt is retried after the delay', async () => {
  for (let i = 0; i < 3; i++) {
    const r = await mesh.request(`http://flaky:${PORT}/`);
    assert.equal(r.status, 200, r.body);
  }
  assert.deepEqual(flaky.attempts, ['1', '2', '1', '2', '1', '2']);
});

test('the requests an abort fault spares are retried by the rule retries', async () => {
  const n = 30;
  let aborted = 0;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const r = await mesh.request(`http://spared:${PORT}/`);
    if (r.status === 418) aborted++;
    else if (r.status === 200) ok++;
    else assert.fail(`unexpected ${r.status} ${r.body}`);
  }
  assert.equal(aborted + ok, n);
  assert.ok(ok > 0 && aborted > 0, `50 % abort over ${n} requests: ${aborted} aborted, ${ok} spared`);
  assert.equal(spared.count, ok * 2, 'each spared request: a failed attempt, then a retry');
});

test('the default retry policy does not retry a 503, but still retries a connection failure', async () => {
  const r = await mesh.request(`http://once503:${PORT}/`);
  assert.equal(r.status, 503, r.body);
  assert.deepEqual(once503.attempts, ['1']);
  assert.equal(await mesh.stat(`cluster.outbound|${PORT}||once503.default.svc.cluster.local.upstream_rq_retry`), 0);
  const dead = await mesh.request(`http://deadend:${PORT}/`);
  assert.equal(dead.status, 503);
  assert.equal(await mesh.stat(`cluster.outbound|${PORT}||deadend.default.svc.cluster.local.upstream_rq_retry`), 2);
});

test('redirect.prefixRewrite replaces the matched prefix in the Location, keeping the rest and the query', async () => {
  const r = await mesh.request(`http://moved:${PORT}/old/page?x=1`);
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `http://moved:${PORT}/new/page?x=1`);
});
