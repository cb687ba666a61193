/**
 * The panic threshold as Istio sets it (issue 12): istiod's applyOutlierDetection
 * (pilot/pkg/networking/core/cluster_traffic_policy.go) writes `common_lb_config.healthy_panic_threshold`
 * = `outlierDetection.minHealthPercent`, which is 0 when unset, so panic mode is off unless the rule
 * asks for it. Envoy's panic mode (load_balancing/panic_threshold): when the healthy hosts fall
 * strictly below the threshold percentage, the balancer ignores health and spreads requests over
 * every host, ejected ones included.
 *
 * Real sockets: one sidecar (resilience harness), two services of four endpoints each, three of
 * which answer 500. Outlier detection ejects each bad endpoint on its first 500 (for 60 s); once
 * all three are out (25 % healthy):
 * - minHealthPercent 50: panic — round robin reaches all four endpoints again, the ejected ones too;
 * - minHealthPercent 0: no panic — every request goes to the one healthy endpoint.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Mesh, reply, service, Upstream, waitUntil } from '../resilience/harness.js';
import { portOf } from '../harness/ports.js';

const PORT = portOf(import.meta.url); // 19316, test/harness/ports.ts
const mesh = new Mesh('127.202.1.1');
const panicGood = new Upstream('127.202.1.10', PORT);
const panicBad = ['127.202.1.11', '127.202.1.12', '127.202.1.13'].map((a) => new Upstream(a, PORT));
const calmGood = new Upstream('127.202.1.20', PORT);
const calmBad = ['127.202.1.21', '127.202.1.22', '127.202.1.23'].map((a) => new Upstream(a, PORT));
const cluster = (name: string): string => `outbound|${PORT}||${name}.default.svc.cluster.local`;

const rule = (name: string, minHealthPercent: number): string => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}}
spec:
  host: ${name}
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 1, interval: 0.1s, baseEjectionTime: 60s, maxEjectionPercent: 100, minHealthPercent: ${minHealthPercent}}
`;

before(async () => {
  for (const u of [...panicBad, ...calmBad]) u.behaviour = reply(500);
  await mesh.start({
    'registry.yaml': [
      service('panicky', PORT, [panicGood.address, ...panicBad.map((u) => u.address)]),
      service('calm', PORT, [calmGood.address, ...calmBad.map((u) => u.address)]),
    ].join('---\n'),
    'dr.yaml': [rule('panicky', 50), rule('calm', 0)].join('---\n'),
  }, [panicGood, ...panicBad, calmGood, ...calmBad]);
  await mesh.waitForHosts(cluster('panicky'), 4);
  await mesh.waitForHosts(cluster('calm'), 4);
  await waitUntil(() => mesh.proxy.snapshot().clusters.get(cluster('panicky'))?.resilience.detector !== undefined && mesh.proxy.snapshot().clusters.get(cluster('calm'))?.resilience.detector !== undefined, 'outlier detectors');
});

after(() => mesh.stop());

/** Sends requests until the three bad endpoints are ejected (bounded); returns how many were sent. */
async function ejectBad(name: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if ((await mesh.stat(`cluster.${cluster(name)}.outlier_detection.ejections_active`)) === 3) return;
    await mesh.request(`http://${name}:${PORT}/`);
  }
  assert.equal(await mesh.stat(`cluster.${cluster(name)}.outlier_detection.ejections_active`), 3, 'three endpoints ejected');
}

test('minHealthPercent 50 with 3 of 4 endpoints ejected: panic, traffic spreads over all endpoints', async () => {
  assert.equal(mesh.proxy.snapshot().clusters.get(cluster('panicky'))?.config.commonLbConfig?.healthyPanicThreshold?.value, 50);
  await ejectBad('panicky');
  const before = panicBad.map((u) => u.count);
  const goodBefore = panicGood.count;
  const statuses = new Map<number, number>();
  for (let i = 0; i < 40; i++) {
    const s = (await mesh.request(`http://panicky:${PORT}/`)).status;
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
  const gained = panicBad.map((u, i) => u.count - before[i]!);
  for (const g of gained) assert.ok(g > 0, `every ejected endpoint takes traffic in panic mode: ${gained.join(', ')}`);
  assert.ok(panicGood.count > goodBefore, 'the healthy endpoint too');
  assert.equal((statuses.get(500) ?? 0) + (statuses.get(200) ?? 0), 40, JSON.stringify([...statuses]));
  assert.equal(statuses.get(500), gained.reduce((a, b) => a + b, 0));
});

test('minHealthPercent 0 (Istio\'s default) with 3 of 4 endpoints ejected: no panic, only the healthy endpoint serves', async () => {
  assert.equal(mesh.proxy.snapshot().clusters.get(cluster('calm'))?.config.commonLbConfig?.healthyPanicThreshold?.value ?? 0, 0);
  await ejectBad('calm');
  const before = calmBad.map((u) => u.count);
  for (let i = 0; i < 40; i++) assert.equal((await mesh.request(`http://calm:${PORT}/`)).status, 200);
  assert.deepEqual(calmBad.map((u) => u.count), before, 'ejected endpoints get nothing');
});
