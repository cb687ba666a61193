/**
 * DestinationRule load-balancer fields on the clusters istiod would build: slow start from
 * `warmup` / `warmupDurationSecs` with istiod's precedence and defaults
 * (pilot/pkg/networking/core/cluster_traffic_policy.go applyRoundRobinLoadBalancer /
 * applyLeastRequestLoadBalancer / setWarmup), and connection-pool `http2KeepAlive` on HTTP/2 clusters.
 * The proxy side is proven in test/fidelity/slow-start.test.ts and test/fidelity/h2-keepalive.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../../envoy/types.js';
import { BOOKINFO, sidecarOf, snapshotOf } from './testing/bookinfo-fixture.js';
import { buildClusters } from './index.js';

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

function reviewsCluster(lb: string): Cluster {
  const rule = `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  trafficPolicy:\n    loadBalancer: ${lb}\n`;
  const s = snapshotOf([BOOKINFO, rule]);
  return buildClusters(s, sidecarOf(s, 'productpage-v1')).find((c) => c.name === REVIEWS)!;
}

test('warmup wins over warmupDurationSecs and sets aggression and minimumPercent (defaults 1 and 10)', () => {
  const rr = reviewsCluster('{simple: ROUND_ROBIN, warmupDurationSecs: 60s, warmup: {duration: 6s}}');
  assert.equal(rr.lbPolicy, 'ROUND_ROBIN');
  assert.deepEqual(rr.roundRobinLbConfig?.slowStartConfig, {
    slowStartWindow: { seconds: 6, nanos: 0 }, aggression: { defaultValue: 1, runtimeKey: '(' }, minWeightPercent: { value: 10 },
  });
  const lr = reviewsCluster('{warmup: {duration: 30s, minimumPercent: 25, aggression: 2.5}}');
  assert.equal(lr.lbPolicy, 'LEAST_REQUEST');
  assert.deepEqual(lr.leastRequestLbConfig?.slowStartConfig, {
    slowStartWindow: { seconds: 30, nanos: 0 }, aggression: { defaultValue: 2.5, runtimeKey: '(' }, minWeightPercent: { value: 25 },
  });
});

test('warmupDurationSecs alone sets only the slow start window; RANDOM and consistent hash get no slow start', () => {
  assert.deepEqual(reviewsCluster('{simple: LEAST_REQUEST, warmupDurationSecs: 15s}').leastRequestLbConfig?.slowStartConfig, { slowStartWindow: { seconds: 15, nanos: 0 } });
  const random = reviewsCluster('{simple: RANDOM, warmup: {duration: 6s}}');
  assert.equal(random.roundRobinLbConfig, undefined);
  assert.equal(random.leastRequestLbConfig, undefined);
  const hash = reviewsCluster('{consistentHash: {httpHeaderName: x-user}, warmup: {duration: 6s}}');
  assert.equal(hash.lbPolicy, 'RING_HASH');
  assert.equal(hash.leastRequestLbConfig, undefined);
});

test('http2KeepAlive becomes connectionKeepalive on HTTP/2 clusters only (UPGRADE included); both fields are required', () => {
  const h2 = reviewsCluster('{simple: ROUND_ROBIN}\n    connectionPool: {http: {h2UpgradePolicy: UPGRADE, http2KeepAlive: {interval: 10s, timeout: 2s}}}');
  const opts = h2.typedExtensionProtocolOptions?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] as { explicitHttpConfig?: { http2ProtocolOptions?: Record<string, unknown> } } | undefined;
  assert.deepEqual(opts?.explicitHttpConfig?.http2ProtocolOptions?.['connectionKeepalive'], { interval: { seconds: 10, nanos: 0 }, timeout: { seconds: 2, nanos: 0 } });
  const h1 = reviewsCluster('{simple: ROUND_ROBIN}\n    connectionPool: {http: {http2KeepAlive: {interval: 10s, timeout: 2s}}}');
  const h1opts = h1.typedExtensionProtocolOptions?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] as { explicitHttpConfig?: { http2ProtocolOptions?: unknown } } | undefined;
  assert.equal(h1opts?.explicitHttpConfig?.http2ProtocolOptions, undefined);
});
