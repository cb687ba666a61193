import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPaths } from '../config/load.js';
import { buildSnapshot } from '../model/snapshot.js';
import type { ProxyNode } from '../model/proxy-node.js';
import { proxyId } from '../model/proxy-node.js';
import { SharedTranslator } from './shared-translation.js';
import { translate } from './translate.js';

async function bookinfo(extra: string[] = []) {
  const loaded = await loadPaths(['samples/bookinfo', ...extra]);
  let n = 0;
  return buildSnapshot({ resources: loaded.resources, registry: { podAddress: () => `127.9.0.${++n}` } });
}

function nodes(snapshot: Awaited<ReturnType<typeof bookinfo>>): ProxyNode[] {
  return snapshot.registry.workloads
    .filter((w) => w.address)
    .map((w) => ({ id: proxyId('sidecar', w.address!, w.name, w.namespace), role: 'sidecar' as const, ip: w.address!, podName: w.name, namespace: w.namespace, labels: w.labels, serviceAccount: w.serviceAccount, appAddress: w.address!.replace('127.9.', '127.8.') }));
}

test('shared translation equals translate() for every sidecar, and shares outbound objects', async () => {
  const snapshot = await bookinfo(['samples/tasks/bookinfo/virtual-service-reviews-test-v2.yaml']);
  const shared = new SharedTranslator(snapshot);
  const all = nodes(snapshot);
  assert.ok(all.length >= 6);
  const results = all.map((n) => shared.translate(n));
  all.forEach((n, i) => assert.deepEqual(results[i], translate(snapshot, n), `proxy ${n.podName}`));
  // Outbound resources are the same objects across proxies (the ADS encoder encodes them once).
  assert.equal(results[0]!.routes[0], results[1]!.routes[0]);
  const c0 = results[0]!.clusters.find((c) => c.name === 'outbound|9080||reviews.default.svc.cluster.local');
  const c1 = results[1]!.clusters.find((c) => c.name === 'outbound|9080||reviews.default.svc.cluster.local');
  assert.ok(c0 && c0 === c1);
});

test('with label-selected config, only proxies with equal labels share, and results stay exact', async () => {
  const snapshot = await bookinfo();
  const withSelector = buildSnapshot({
    resources: [
      ...snapshot.resources,
      ...(await loadPaths(['-'], async () => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-for-productpage}
spec:
  host: reviews
  workloadSelector: {matchLabels: {app: productpage}}
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
`)).resources,
    ],
    registry: { podAddress: (() => { let n = 0; return () => `127.9.0.${++n}`; })() },
  });
  const shared = new SharedTranslator(withSelector);
  for (const n of nodes(withSelector)) assert.deepEqual(shared.translate(n), translate(withSelector, n), `proxy ${n.podName}`);
});
