import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeResource } from '../../xds/protos.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { EncodedResourceMap } from '../../xds/encoded-resources.js';
import { EMPTY_RESOURCES, withUpdate, type XdsResources } from '../listener/runtime-snapshot.js';
import { ClusterWarming, clusterRefs } from './cluster-warming.js';

const eds = (name: string, fetchTimeout?: { seconds: number }) => ({
  name, type: 'EDS', edsClusterConfig: { serviceName: name, edsConfig: { ads: {}, ...(fetchTimeout ? { initialFetchTimeout: fetchTimeout } : {}) } },
});
const cla = (name: string, ip = '127.0.0.9') => ({ clusterName: name, endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: ip, portValue: 80 } } } }] }] });
const route = (...clusters: string[]) => ({
  name: 'http.80',
  virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: clusters.length === 1
    ? { cluster: clusters[0] }
    : { weightedClusters: { clusters: clusters.map((name) => ({ name, weight: { value: 1 } })) } } }] }],
});

function state(clusters: object[], endpoints: object[], routes: object[]): XdsResources {
  let r = withUpdate(EMPTY_RESOURCES, TypeUrl.Cluster, new Map(clusters.map((c) => [(c as { name: string }).name, c])), '1');
  r = withUpdate(r, TypeUrl.ClusterLoadAssignment, new Map(endpoints.map((c) => [(c as { clusterName: string }).clusterName, c])), '1');
  return withUpdate(r, TypeUrl.RouteConfiguration, new Map(routes.map((c) => [(c as { name: string }).name, c])), '1');
}

/** Resolves and commits; returns the plan. */
function step(w: ClusterWarming, r: XdsResources, now: number) {
  const plan = w.resolve(r, now);
  w.commit(plan);
  return plan;
}

test('clusterRefs: route clusters, weighted clusters, mirrors, tcp_proxy', () => {
  assert.deepEqual([...clusterRefs(route('a', 'b'))].sort(), ['a', 'b']);
  assert.deepEqual(clusterRefs({ filterChains: [{ filters: [{ typedConfig: { cluster: 'tcp' } }] }] }), ['tcp']);
  assert.deepEqual([...clusterRefs({ route: { cluster: 'x', requestMirrorPolicies: [{ cluster: 'm' }] } })].sort(), ['m', 'x']);
});

test('a subset rename in one push: old route and cluster serve until the new cluster has endpoints', () => {
  const w = new ClusterWarming();
  const v1 = state([eds('v1')], [cla('v1')], [route('v1')]);
  assert.equal(step(w, v1, 0).resources, v1, 'nothing warming: the accepted resources as they are');

  // CDS: v1 → v1b. v1b has no endpoints yet (EDS is asked for after CDS); v1 is still routed to.
  const cds = withUpdate(v1, TypeUrl.Cluster, new Map([['v1b', eds('v1b')]]), '2');
  let p = step(w, cds, 10);
  assert.deepEqual(p.warming, ['v1b']);
  assert.deepEqual(p.retained, ['v1']);
  assert.deepEqual([...p.resources.clusters.keys()], ['v1'], 'v1b not routable, v1 kept');
  assert.ok(p.resources.endpoints.has('v1'));

  // The ADS client drops v1's assignment from its EDS subscription; the retained cluster keeps it.
  const edsPruned = withUpdate(cds, TypeUrl.ClusterLoadAssignment, new Map(), '2');
  p = step(w, edsPruned, 20);
  assert.ok(p.resources.endpoints.has('v1'));

  // RDS arrives before v1b's endpoints: held, the served route still says v1.
  const rds = withUpdate(edsPruned, TypeUrl.RouteConfiguration, new Map([['http.80', route('v1b')]]), '2');
  p = step(w, rds, 30);
  assert.deepEqual(p.heldRoutes, ['http.80']);
  assert.deepEqual(clusterRefs(p.resources.routes.get('http.80')!), ['v1']);
  assert.deepEqual([...p.resources.clusters.keys()], ['v1']);
  assert.equal(p.nextDeadline, 10 + 15_000, 'first bound to run out: v1 retained since t=10');

  // v1b's endpoints: the new route applies, v1 goes.
  const warm = withUpdate(rds, TypeUrl.ClusterLoadAssignment, new Map([['v1b', cla('v1b')]]), '3');
  p = step(w, warm, 40);
  assert.deepEqual([p.warming, p.heldRoutes, p.retained], [[], [], []]);
  assert.equal(p.resources, warm);
  assert.equal(p.nextDeadline, undefined);
});

test('an updated cluster that must warm again keeps serving its previous version', () => {
  const w = new ClusterWarming();
  step(w, state([eds('a')], [cla('a')], [route('a')]), 0);
  // Same name, new service name without an assignment yet.
  const changed = { ...eds('a'), edsClusterConfig: { serviceName: 'a-2', edsConfig: { ads: {} } } };
  const p = step(w, state([changed], [cla('a')], [route('a')]), 1);
  assert.deepEqual(p.warming, ['a']);
  assert.equal((p.resources.clusters.get('a') as { edsClusterConfig: { serviceName: string } }).edsClusterConfig.serviceName, 'a');
});

test('bounds: initial fetch timeout activates a cluster without endpoints; 0 means no timeout; holds and retention end', () => {
  const w = new ClusterWarming({ routeHoldMs: 500, retainMs: 700 });
  step(w, state([eds('old')], [cla('old')], [route('old')]), 0);
  const next = state([eds('new', { seconds: 1 })], [], [route('new')]);
  let p = step(w, next, 100);
  assert.deepEqual([p.warming, p.heldRoutes, p.retained], [['new'], ['http.80'], ['old']]);
  assert.equal(p.nextDeadline, 600);
  p = step(w, next, 600);
  assert.deepEqual([p.warming, p.heldRoutes, p.retained], [['new'], [], []], 'route hold over: the new route applies, old is unused');
  assert.equal(p.nextDeadline, 1100);
  p = step(w, next, 1100);
  assert.deepEqual(p.timedOut, ['new']);
  assert.deepEqual([...p.resources.clusters.keys()], ['new']);
  assert.equal(p.nextDeadline, undefined);

  const w0 = new ClusterWarming();
  step(w0, state([], [], []), 0);
  p = step(w0, state([eds('forever', { seconds: 0 })], [], []), 0);
  p = step(w0, state([eds('forever', { seconds: 0 })], [], []), 3_600_000);
  assert.deepEqual(p.warming, ['forever']);
  assert.equal(p.nextDeadline, undefined);
});

test('a removed cluster no route names goes at once; a new route with no previous version applies at once', () => {
  const w = new ClusterWarming();
  step(w, state([eds('a'), eds('b')], [cla('a'), cla('b')], [route('a')]), 0);
  const p = step(w, state([eds('a'), eds('c')], [cla('a')], [route('a'), { ...route('c'), name: 'other' }]), 1);
  assert.deepEqual(p.retained, []);
  assert.deepEqual(p.heldRoutes, []);
  assert.ok(p.resources.routes.has('other'));
  assert.ok(!p.resources.clusters.has('c'), 'c still warming');
});

test('encoded maps stay encoded and keep the bytes of unchanged resources', () => {
  const enc = (typeUrl: string, objs: object[], key: (o: object) => string) =>
    new EncodedResourceMap(typeUrl, new Map(objs.map((o) => [key(o), encodeResource(typeUrl, o)])), false);
  const byName = (o: object) => (o as { name: string }).name;
  const cl = (objs: object[]) => enc(TypeUrl.Cluster, objs, byName);
  const w = new ClusterWarming();
  let r = withUpdate(EMPTY_RESOURCES, TypeUrl.Cluster, cl([eds('a'), eds('keep')]), '1');
  r = withUpdate(r, TypeUrl.ClusterLoadAssignment, enc(TypeUrl.ClusterLoadAssignment, [cla('a'), cla('keep')], (o) => (o as { clusterName: string }).clusterName), '1');
  r = withUpdate(r, TypeUrl.RouteConfiguration, enc(TypeUrl.RouteConfiguration, [route('a', 'keep')], byName), '1');
  step(w, r, 0);
  const keepBytes = (r.clusters as EncodedResourceMap).encoded('keep');
  const next = withUpdate(r, TypeUrl.Cluster, cl([eds('b'), eds('keep')]), '2');
  const p = step(w, next, 1);
  assert.deepEqual(p.retained, ['a']);
  assert.ok(p.resources.clusters instanceof EncodedResourceMap);
  assert.equal((p.resources.clusters as EncodedResourceMap).encoded('a'), (r.clusters as EncodedResourceMap).encoded('a'));
  assert.notEqual((p.resources.clusters as EncodedResourceMap).encoded('keep'), undefined);
  assert.ok(keepBytes);
  assert.deepEqual([...p.resources.clusters.keys()].sort(), ['a', 'keep']);
});
