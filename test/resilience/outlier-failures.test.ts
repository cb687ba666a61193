/**
 * End to end: outlier detection ejects the one endpoint of three that returns 500s after 5
 * consecutive errors, sends it no traffic while ejected, and takes it back after the ejection time;
 * upstreams that reset, hang, truncate the body or send invalid HTTP give the right status and flag
 * and the proxy keeps serving.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hang, invalidHttp, Mesh, reply, reset, service, sleep, truncated, Upstream, waitUntil } from './harness.js';

const mesh = new Mesh('127.0.4.1');
const good1 = new Upstream('127.0.4.11', 8000);
const good2 = new Upstream('127.0.4.12', 8000);
const bad = new Upstream('127.0.4.13', 8000);
const resetter = new Upstream('127.0.4.21', 8000);
const hanger = new Upstream('127.0.4.22', 8000);
const truncator = new Upstream('127.0.4.23', 8000);
const garbler = new Upstream('127.0.4.24', 8000);
const OD = 'outbound|8000||od.default.svc.cluster.local';

const CONFIG = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: od}
spec:
  host: od
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 5, interval: 0.1s, baseEjectionTime: 1s, maxEjectionPercent: 100}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hanger}
spec:
  hosts: [hanger]
  http:
  - route: [{destination: {host: hanger}}]
    timeout: 0.3s
`;

before(async () => {
  bad.behaviour = reply(500);
  resetter.behaviour = reset;
  hanger.behaviour = hang;
  truncator.behaviour = truncated;
  garbler.behaviour = invalidHttp;
  await mesh.start({
    'registry.yaml': [
      service('od', 8000, [good1.address, good2.address, bad.address]),
      service('resetter', 8000, [resetter.address]),
      service('hanger', 8000, [hanger.address]),
      service('truncator', 8000, [truncator.address]),
      service('garbler', 8000, [garbler.address]),
    ].join('---\n'),
    'dr.yaml': CONFIG,
  }, [good1, good2, bad, resetter, hanger, truncator, garbler]);
  await mesh.waitForHosts(OD, 3);
  await mesh.waitForHosts('outbound|8000||garbler.default.svc.cluster.local', 1);
  await waitUntil(() => mesh.proxy.snapshot().clusters.get(OD)?.resilience.detector !== undefined, 'outlier detector');
});

after(() => mesh.stop());

test('outlier detection: a 500-returning endpoint of three is ejected after 5 errors and comes back', async () => {
  let errors = 0;
  for (let i = 0; i < 300 && errors < 5; i++) if ((await mesh.request('http://od:8000/')).status === 500) errors++;
  assert.equal(errors, 5);
  assert.equal(bad.count, 5);
  assert.equal(await mesh.stat(`cluster.${OD}.outlier_detection.ejections_active`), 1);
  assert.equal(await mesh.stat(`cluster.${OD}.outlier_detection.ejections_enforced_consecutive_5xx`), 1);
  assert.equal(await mesh.stat(`cluster.${OD}.outlier_detection.ejections_enforced_total`), 1);
  for (let i = 0; i < 30; i++) assert.equal((await mesh.request('http://od:8000/')).status, 200);
  assert.equal(bad.count, 5, 'no traffic while ejected');
  // Ejection time 1 s × 1 ejection; checked on the 0.1 s interval.
  await waitUntil(() => mesh.stat(`cluster.${OD}.outlier_detection.ejections_active`).then((v) => v === 0), 'uneject', 200);
  bad.behaviour = reply(200);
  for (let i = 0; i < 200 && bad.count === 5; i++) await mesh.request('http://od:8000/');
  assert.ok(bad.count > 5, 'the endpoint receives traffic again');
});

test('upstream reset before the response: 503 UC', async () => {
  const r = await mesh.request('http://resetter:8000/');
  assert.equal(r.status, 503);
  assert.match(r.body, /connection termination/);
  assert.ok((await mesh.requestsWithFlags('UC')) >= 1);
});

test('upstream hang under a route timeout: 504 UT', async () => {
  const r = await mesh.request('http://hanger:8000/');
  assert.equal(r.status, 504);
  assert.equal(r.body, 'upstream request timeout');
  assert.ok(r.ms >= 290 && r.ms < 5000, `took ${r.ms} ms`);
  assert.equal(await mesh.requestsWithFlags('UT'), 1);
});

test('upstream truncated body: the downstream response is reset and flagged UC', async () => {
  const before = await mesh.requestsWithFlags('UC');
  await assert.rejects(mesh.request('http://truncator:8000/'));
  await waitUntil(async () => (await mesh.requestsWithFlags('UC')) === before + 1, 'UC counted');
});

test('upstream invalid HTTP: 503 UPE', async () => {
  const r = await mesh.request('http://garbler:8000/');
  assert.equal(r.status, 503);
  assert.match(r.body, /protocol error/);
  assert.equal(await mesh.requestsWithFlags('UPE'), 1);
});

test('the proxy keeps serving after all of the above', async () => {
  await sleep(10);
  for (let i = 0; i < 5; i++) assert.equal((await mesh.request('http://od:8000/')).status, 200);
});
