import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterLoadAssignment } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { app, BOOKINFO, DESTINATION_RULE_ALL, roundTrip, sidecarOf, snapshotOf } from './testing/bookinfo-fixture.js';
import { buildClusters, buildEndpoints, buildClusterLoadAssignment } from './index.js';

const REVIEWS = 'reviews.default.svc.cluster.local';
// reviews with two replicas per version.
const WORLD = [BOOKINFO.replace(/^(kind: Deployment\nmetadata: \{name: reviews-v\d.*\n(?:.*\n)*?spec:\n)  replicas: 1/gm, '$1  replicas: 2'), DESTINATION_RULE_ALL];

function assignments(texts: string[], isHealthy?: (pod: string) => boolean): { byName: Map<string, ClusterLoadAssignment>; versionOf: (addr: string) => string | undefined } {
  const s = snapshotOf(texts, undefined, isHealthy);
  const node = sidecarOf(s, 'productpage-v1');
  const clas = buildEndpoints(s, node, buildClusters(s, node));
  const versionOf = (addr: string) => s.registry.workloads.find((w) => w.address === addr)?.labels.version;
  return { byName: new Map(clas.map((c) => [c.clusterName!, c])), versionOf };
}

function addresses(cla: ClusterLoadAssignment | undefined): string[] {
  return (cla?.endpoints ?? []).flatMap((l) => l.lbEndpoints ?? []).map((e) => `${e.endpoint?.address?.socketAddress?.address}:${e.endpoint?.address?.socketAddress?.portValue}`);
}

test('fixture sanity: two reviews pods per version', () => {
  const s = snapshotOf(WORLD);
  assert.equal(s.registry.workloads.filter((w) => w.labels.app === 'reviews').length, 6);
});

test('one assignment per EDS cluster; each subset holds exactly the endpoints of its version', () => {
  const { byName, versionOf } = assignments(WORLD);
  assert.ok(!byName.has('BlackHoleCluster') && !byName.has('inbound|9080||'));
  const all = addresses(byName.get(`outbound|9080||${REVIEWS}`));
  assert.equal(all.length, 6);
  const seen: string[] = [];
  for (const v of ['v1', 'v2', 'v3']) {
    const eps = addresses(byName.get(`outbound|9080|${v}|${REVIEWS}`));
    assert.equal(eps.length, 2, v);
    for (const e of eps) assert.equal(versionOf(e.split(':')[0]!), v);
    seen.push(...eps);
  }
  assert.deepEqual(seen.sort(), [...all].sort());
  // ratings' v2 subsets select nothing: an assignment with no endpoints.
  assert.deepEqual(byName.get('outbound|9080|v2-mysql|ratings.default.svc.cluster.local'), { clusterName: 'outbound|9080|v2-mysql|ratings.default.svc.cluster.local' });
});

test('endpoints carry weight, health, the auto-mTLS match label and istio workload metadata', () => {
  const { byName } = assignments(WORLD, (pod) => pod !== 'reviews-v2-1');
  const cla = byName.get(`outbound|9080|v2|${REVIEWS}`)!;
  assert.equal(cla.endpoints!.length, 1);
  assert.deepEqual(cla.endpoints![0]!.locality, {});
  assert.deepEqual(cla.endpoints![0]!.loadBalancingWeight, { value: 2 });
  const [healthy, sick] = cla.endpoints![0]!.lbEndpoints!;
  assert.equal(healthy!.healthStatus, 'HEALTHY');
  assert.equal(sick!.healthStatus, 'UNHEALTHY');
  assert.deepEqual(healthy!.loadBalancingWeight, { value: 1 });
  assert.deepEqual(healthy!.metadata?.filterMetadata?.['envoy.transport_socket_match'], { fields: { tlsMode: { stringValue: 'istio' } } });
  assert.deepEqual(healthy!.metadata?.filterMetadata?.istio, { fields: { workload: { stringValue: 'reviews-v2;default;reviews;v2;Kubernetes' } } });
});

test('no mTLS label when the rule sets a non-ISTIO_MUTUAL mode for the cluster or the workload disables mTLS', () => {
  const disable = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}, trafficPolicy: {tls: {mode: DISABLE}}}
  - {name: v2, labels: {version: v2}}`;
  const { byName } = assignments([WORLD[0]!, disable]);
  const label = (name: string) => byName.get(name)!.endpoints![0]!.lbEndpoints![0]!.metadata?.filterMetadata?.['envoy.transport_socket_match'];
  assert.equal(label(`outbound|9080|v1|${REVIEWS}`), undefined);
  assert.ok(label(`outbound|9080|v2|${REVIEWS}`));
  const pa = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews-v3-plain}
spec:
  selector: {matchLabels: {app: reviews, version: v3}}
  mtls: {mode: STRICT}
  portLevelMtls:
    "9080": {mode: DISABLE}`;
  const withPa = assignments([...WORLD, pa]).byName;
  const all = withPa.get(`outbound|9080||${REVIEWS}`)!.endpoints![0]!.lbEndpoints!;
  const labelled = all.filter((e) => e.metadata?.filterMetadata?.['envoy.transport_socket_match']).length;
  assert.equal(labelled, 4, 'the two v3 pods accept plaintext only on 9080');
});

test('endpoints of workloads without a sidecar have no mTLS label', () => {
  const plain = app('legacy', 8080, ['v1']).replace('labels: {app: legacy, version: v1}}\n    spec:', 'labels: {app: legacy, version: v1, sidecar.istio.io/inject: "false"}}\n    spec:');
  const { byName } = assignments([BOOKINFO, plain]);
  const ep = byName.get('outbound|8080||legacy.default.svc.cluster.local')!.endpoints![0]!.lbEndpoints![0]!;
  assert.equal(ep.metadata?.filterMetadata?.['envoy.transport_socket_match'], undefined);
});

test('unknown clusters get an empty assignment', () => {
  const s = snapshotOf(WORLD);
  const node = sidecarOf(s, 'productpage-v1');
  assert.deepEqual(buildClusterLoadAssignment(s, node, 'outbound|9080||nope.default.svc.cluster.local'), { clusterName: 'outbound|9080||nope.default.svc.cluster.local' });
  assert.deepEqual(buildClusterLoadAssignment(s, node, `outbound|1234||${REVIEWS}`), { clusterName: `outbound|1234||${REVIEWS}` });
});

test('determinism and round trip of every assignment', () => {
  const a = assignments(WORLD, (p) => !p.endsWith('-1'));
  const b = assignments(WORLD, (p) => !p.endsWith('-1'));
  assert.equal(JSON.stringify([...a.byName.values()]), JSON.stringify([...b.byName.values()]));
  for (const cla of a.byName.values()) assert.deepEqual(roundTrip(TypeUrl.ClusterLoadAssignment, cla), cla, cla.clusterName);
});
