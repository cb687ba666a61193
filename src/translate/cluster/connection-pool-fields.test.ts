/**
 * DestinationRule connection-pool fields the field-support registry (src/config/field-support/)
 * marks enforced and no other test proved, checked on the clusters istiod's rules would build
 * (pilot/pkg/networking/core/cluster_traffic_policy.go applyConnectionPool / applyH2Upgrade).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, UpstreamHttpProtocolOptions } from '../../envoy/types.js';
import { BOOKINFO, sidecarOf, snapshotOf } from './testing/bookinfo-fixture.js';
import { buildClusters } from './index.js';
import { HTTP_PROTOCOL_OPTIONS_KEY } from './cluster-draft.js';

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

function reviewsCluster(pool: string): Cluster {
  const rule = `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  trafficPolicy:\n    connectionPool: ${pool}\n`;
  const s = snapshotOf([BOOKINFO, rule]);
  return buildClusters(s, sidecarOf(s, 'productpage-v1')).find((c) => c.name === REVIEWS)!;
}
const httpOpts = (c: Cluster) => c.typedExtensionProtocolOptions?.[HTTP_PROTOCOL_OPTIONS_KEY] as UpstreamHttpProtocolOptions | undefined;

test('h2UpgradePolicy UPGRADE makes an HTTP/1.1 port speak HTTP/2 upstream; DO_NOT_UPGRADE does not', () => {
  assert.ok(httpOpts(reviewsCluster('{http: {h2UpgradePolicy: UPGRADE}}'))?.explicitHttpConfig?.http2ProtocolOptions);
  assert.equal(httpOpts(reviewsCluster('{http: {h2UpgradePolicy: DO_NOT_UPGRADE}}'))?.explicitHttpConfig?.http2ProtocolOptions, undefined);
});

test('maxConcurrentStreams limits streams per upstream connection of an HTTP/2 (gRPC) port', () => {
  const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec:\n  selector: {app: reviews}\n  ports: [{name: grpc, port: 7070}]\n';
  const rule = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: echo}\nspec:\n  host: echo\n  trafficPolicy:\n    connectionPool: {http: {maxConcurrentStreams: 10}}\n';
  const s = snapshotOf([BOOKINFO, svc, rule]);
  const c = buildClusters(s, sidecarOf(s, 'productpage-v1')).find((x) => x.name === 'outbound|7070||echo.default.svc.cluster.local')!;
  assert.deepEqual(httpOpts(c)?.explicitHttpConfig?.http2ProtocolOptions?.maxConcurrentStreams, { value: 10 });
});

test('tcp.idleTimeout is the upstream idle timeout unless http.idleTimeout is set', () => {
  assert.deepEqual(httpOpts(reviewsCluster('{tcp: {idleTimeout: 45s}}'))?.commonHttpProtocolOptions?.idleTimeout, { seconds: 45, nanos: 0 });
  assert.deepEqual(httpOpts(reviewsCluster('{tcp: {idleTimeout: 45s}, http: {idleTimeout: 5s}}'))?.commonHttpProtocolOptions?.idleTimeout, { seconds: 5, nanos: 0 });
});
