/**
 * Istio's request-routing and traffic-shifting tasks replayed against `weft up samples/bookinfo`:
 * the real gateway, real processes, stars counted in the HTML (issue 4).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, apiAuthHeaders, runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { closeClients, get } from '../helpers/http-client.js';
import { SHOWN_TYPES, applyChangedSomething, shownState, syncz, waitForSync } from '../harness/sync-status.js';

const HTTP_PORT = 18480;
const SERVER = 'http://127.0.0.1:18414';
const PAGE = `http://127.0.0.1:${HTTP_PORT}/productpage`;
const TASKS = path.join(REPO_ROOT, 'samples/tasks/bookinfo');

let mesh: WeftProcess | undefined;
let state = '';
before(async () => {
  state = await mkdtemp(path.join(os.tmpdir(), 'weft-bookinfo-'));
  mesh = startWeft(['up', 'samples/bookinfo', '--state', state, '--http-port', String(HTTP_PORT), '--xds-port', '18410', '--api-port', '18414', '--ca-port', '18412', '--pod-net', '70']);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s/, 90_000);
});
after(async () => {
  await mesh?.stop();
  closeClients();
  await rm(state, { recursive: true, force: true });
});

/** Stars on one page load: black and red filled stars, and which reviews pod served it. */
async function load(user?: string): Promise<{ black: number; red: number; pod: string }> {
  const r = await get(PAGE, user ? { 'end-user': user } : {});
  assert.equal(r.status, 200, r.body.slice(0, 300));
  const black = (r.body.match(/glyphicon-star" data-star-color="black"/g) ?? []).length;
  const red = (r.body.match(/glyphicon-star" data-star-color="red"/g) ?? []).length;
  const pod = /Reviews served by: ([a-z0-9-]+)/.exec(r.body)?.[1] ?? '';
  return { black, red, pod };
}

async function apply(file: string): Promise<void> {
  const before = (await syncz(SERVER, state)).version;
  const r = await runWeft(['apply', '-f', path.join(TASKS, file), '--server', SERVER, '--state', state]);
  assert.equal(r.code, 0, r.stderr);
  // Wait until the gateway and sidecars have the new config: a newer snapshot, then proxy-status all SYNCED again (through the API).
  await waitForSync(SERVER, state, (s) => (s.disconnected?.length ?? 0) === 0 && s.proxies.length >= 7 && s.proxies.every((p) => SHOWN_TYPES.every((t) => shownState(p, t) === 'SYNCED')), `proxies to sync after applying ${file}`, { newerThan: applyChangedSomething(r.stdout) ? before : undefined });
}

test('the page renders through the gateway with details, reviews and the serving pod', async () => {
  const r = await get(PAGE);
  assert.equal(r.status, 200);
  assert.match(r.body, /The Comedy of Errors/);
  assert.match(r.body, /Reviews served by: reviews-v[123]-0/);
  const missing = await get(`http://127.0.0.1:${HTTP_PORT}/api/v1/products/99`);
  assert.equal(missing.status, 404);
});

test('request routing: all to v1 (no stars), then jason to v2 (black stars) and others v1', async () => {
  await apply('virtual-service-all-v1.yaml');
  for (let i = 0; i < 20; i++) {
    const s = await load();
    assert.equal(s.black + s.red, 0, `load ${i} had stars (served by ${s.pod})`);
    assert.equal(s.pod, 'reviews-v1-0');
  }
  await apply('virtual-service-reviews-test-v2.yaml');
  for (let i = 0; i < 20; i++) {
    const jason = await load('jason');
    assert.ok(jason.black > 0 && jason.red === 0, `jason's load ${i}: ${JSON.stringify(jason)}`);
    const other = await load();
    assert.equal(other.black + other.red, 0, `anonymous load ${i}: ${JSON.stringify(other)}`);
  }
});

test('traffic shifting: 50/50 v1/v3 gives red stars on half the loads (±3σ of 200), then v3 only on all', async (t) => {
  await apply('virtual-service-reviews-50-v3.yaml');
  let red = 0;
  const N = 200;
  for (let i = 0; i < N; i++) {
    const s = await load();
    assert.equal(s.black, 0);
    if (s.red > 0) red++;
  }
  const sigma = Math.sqrt(N * 0.25);
  t.diagnostic(`red stars on ${red}/${N} loads (expected 100 ± ${(3 * sigma).toFixed(0)})`);
  assert.ok(Math.abs(red - N / 2) <= 3 * sigma, `red on ${red} of ${N}`);
  await apply('virtual-service-reviews-v3.yaml');
  for (let i = 0; i < 20; i++) {
    const s = await load();
    assert.ok(s.red > 0, `load ${i} without red stars (served by ${s.pod})`);
  }
});

test('a typo is caught (analyze IST0101 / apply refuses IST0106) and Bookinfo keeps serving', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-typo-'));
  try {
    const wrongSubset = path.join(dir, 'wrong-subset.yaml');
    await writeFile(wrongSubset, `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v9}
`);
    const analyzed = await runWeft(['analyze', 'samples/bookinfo', wrongSubset]);
    assert.equal(analyzed.code, 79);
    assert.match(analyzed.stdout, /Error \[IST0101\] \(VirtualService default\/reviews .*wrong-subset\.yaml:\d+\) Referenced host\+subset in destinationrule not found: "reviews\+v9"/);
    const badField = path.join(dir, 'bad-field.yaml');
    await writeFile(badField, `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      wieght: 100
`);
    const refused = await runWeft(['apply', '-f', badField, '--server', SERVER, '--state', state]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /bad-field\.yaml:9:\d+: Error \[IST0106\]/);
    const s = await load();
    assert.ok(s.red > 0, 'still on the last good config (v3)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fault injection: ratings delay 7 s for jason → page in about 6 s with the reviews error; others unaffected', async (t) => {
  await apply('virtual-service-all-v1.yaml');
  await apply('virtual-service-reviews-test-v2.yaml');
  await apply('virtual-service-ratings-test-delay.yaml');
  const started = performance.now();
  const r = await get(PAGE, { 'end-user': 'jason' }, { timeoutMs: 30_000 });
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`jason's page took ${seconds.toFixed(2)} s`);
  assert.equal(r.status, 200);
  assert.match(r.body, /Sorry, product reviews are currently unavailable for this book\./);
  // productpage → reviews: 3 s timeout, retried once; the 7 s delay outlasts both.
  assert.ok(seconds >= 5.5 && seconds < 15, `took ${seconds} s`);
  const other = await get(PAGE);
  assert.doesNotMatch(other.body, /currently unavailable/);
});

test('fault injection: ratings abort 500 for jason → "Ratings service is currently unavailable"; others unaffected', async () => {
  await apply('virtual-service-ratings-test-abort.yaml');
  const r = await get(PAGE, { 'end-user': 'jason' });
  assert.equal(r.status, 200);
  assert.match(r.body, /Ratings service is currently unavailable/);
  const other = await get(PAGE);
  assert.doesNotMatch(other.body, /currently unavailable/);
});

test('request timeouts: ratings delay 2 s with reviews timeout 0.5 s → page in about 1 s with the reviews error', async (t) => {
  await apply('virtual-service-ratings-delay-2s.yaml');
  await apply('virtual-service-reviews-v2-timeout.yaml');
  const started = performance.now();
  const r = await get(PAGE);
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`page took ${seconds.toFixed(2)} s`);
  assert.equal(r.status, 200);
  assert.match(r.body, /Sorry, product reviews are currently unavailable for this book\./);
  // Two tries of 0.5 s each (productpage retries once); well below the 2 s delay.
  assert.ok(seconds >= 0.9 && seconds < 2, `took ${seconds} s`);
});

test('STRICT mTLS mesh-wide: a plaintext client outside the mesh is refused; proxies hold SPIFFE identities', async () => {
  const reg = (await (await fetch(`${SERVER}/debug/registryz`, { headers: apiAuthHeaders(state) })).json()) as { workloads: { name: string; address?: string }[] };
  const pod = reg.workloads.find((w) => w.name === 'productpage-v1-0');
  assert.ok(pod?.address, 'productpage pod has an address');
  const direct = await get(`http://${pod.address}:9080/productpage`, {}, { timeoutMs: 5000 });
  assert.equal(direct.status, -1, `plaintext request answered ${direct.status}`);
  const secrets = await runWeft(['proxy-config', 'secrets', 'productpage-v1-0', '--server', SERVER, '--state', state]);
  assert.equal(secrets.code, 0, secrets.stderr);
  assert.match(secrets.stdout, /^default\s+WORKLOAD_CERT\s+ACTIVE\s+true\s+\S+.*spiffe:\/\/cluster\.local\/ns\/default\/sa\/bookinfo-productpage$/m);
  // Meanwhile mesh traffic through the gateway works.
  const r = await get(PAGE);
  assert.equal(r.status, 200);
});
