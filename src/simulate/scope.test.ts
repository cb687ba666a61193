/**
 * What a proxy sees: Sidecar egress scoping, outbound traffic policy for unknown hosts, and
 * VirtualServices for one host in several resources (not merged on sidecars: the oldest wins).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from './simulate.js';
import { BOOKINFO, BOOKINFO_DESTINATION_RULES, clusterOf, expectOk, resourcesFor, snapshotOf } from './testing/bookinfo-sim.js';

const FOO = `apiVersion: v1
kind: Service
metadata: {name: echo, namespace: foo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: foo}
spec:
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec: {containers: [{name: echo, image: echo, command: [echo], ports: [{containerPort: 8080}]}]}
`;

describe('Sidecar egress scoping', () => {
  test('without a Sidecar every namespace is visible', () => {
    const res = resourcesFor(snapshotOf(`${BOOKINFO}---\n${FOO}`), 'productpage-v1');
    assert.equal(clusterOf(expectOk(res, { destination: 'echo.foo:8080' })), 'outbound|8080||echo.foo.svc.cluster.local');
  });

  for (const [label, hosts] of [['namespace-wide', '["./*", "istio-system/*"]'], ['root namespace', '["./*"]']] as const) {
    test(`a ${label} Sidecar importing only ./* hides namespace foo`, () => {
      const ns = label === 'root namespace' ? 'istio-system' : 'default';
      const sidecar = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: ${ns}}
spec:
  egress:
  - hosts: ${hosts}
`;
      const res = resourcesFor(snapshotOf(`${BOOKINFO}---\n${FOO}---\n${sidecar}`), 'productpage-v1');
      assert.ok(!res.routes.some((r) => r.name === '8080'), 'no route config for foo-only port 8080');
      assert.ok(!res.clusters.some((c) => c.name === 'outbound|8080||echo.foo.svc.cluster.local'));
      const r = simulate(res, { destination: 'echo.foo:8080' });
      assert.ok(r.ok);
      assert.equal(clusterOf(r), 'PassthroughCluster', 'unknown to this proxy: passthrough (ALLOW_ANY)');
      assert.equal(clusterOf(expectOk(res, { destination: 'reviews:9080' })), 'outbound|9080||reviews.default.svc.cluster.local');
    });
  }

  test('an egress listener with a port narrows what that port sees', () => {
    const sidecar = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec:
  egress:
  - port: {number: 9080, protocol: HTTP, name: http}
    hosts: ["./reviews.default.svc.cluster.local"]
  - hosts: ["./*", "foo/*"]
`;
    const res = resourcesFor(snapshotOf(`${BOOKINFO}---\n${FOO}---\n${sidecar}`), 'productpage-v1');
    assert.equal(clusterOf(expectOk(res, { destination: 'reviews:9080' })), 'outbound|9080||reviews.default.svc.cluster.local');
    assert.equal(expectOk(res, { destination: 'details:9080' }).virtualHost, 'allow_any');
    assert.equal(clusterOf(expectOk(res, { destination: 'echo.foo:8080' })), 'outbound|8080||echo.foo.svc.cluster.local');
  });

  test('a workload-selector Sidecar beats the namespace-wide one', () => {
    const sidecars = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec:
  egress: [{hosts: ["./*"]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: productpage}
spec:
  workloadSelector: {labels: {app: productpage}}
  egress: [{hosts: ["foo/*"]}]
`;
    const snap = snapshotOf(`${BOOKINFO}---\n${FOO}---\n${sidecars}`);
    const pp = resourcesFor(snap, 'productpage-v1');
    assert.equal(clusterOf(expectOk(pp, { destination: 'echo.foo:8080' })), 'outbound|8080||echo.foo.svc.cluster.local');
    const hidden = expectOk(pp, { destination: 'reviews:9080' });
    assert.deepEqual([hidden.listener, clusterOf(hidden)], ['virtualOutbound', 'PassthroughCluster']);
    const rv = resourcesFor(snap, 'reviews-v1');
    assert.equal(expectOk(rv, { destination: 'echo.foo:8080' }).listener, 'virtualOutbound');
  });
});

describe('outbound traffic policy for an unknown host', () => {
  test('ALLOW_ANY (default): allow_any virtual host to PassthroughCluster', () => {
    const res = resourcesFor(snapshotOf(BOOKINFO), 'productpage-v1');
    const r = expectOk(res, { destination: 'example.com:9080' });
    assert.equal(r.virtualHost, 'allow_any');
    assert.equal(clusterOf(r), 'PassthroughCluster');
    assert.equal(r.timeoutMs, 0);
    const other = expectOk(res, { destination: 'example.com' });
    assert.equal(other.listener, 'virtualOutbound');
    assert.equal(clusterOf(other), 'PassthroughCluster');
  });

  test('REGISTRY_ONLY from mesh config: block_all answers 502 and other ports hit BlackHoleCluster', () => {
    const res = resourcesFor(snapshotOf(BOOKINFO, { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }), 'productpage-v1');
    const r = expectOk(res, { destination: 'example.com:9080' });
    assert.equal(r.virtualHost, 'block_all');
    assert.deepEqual(r.action, { kind: 'direct-response', status: 502 });
    assert.equal(clusterOf(expectOk(res, { destination: 'example.com:443', protocol: 'tcp' })), 'BlackHoleCluster');
    assert.equal(clusterOf(expectOk(res, { destination: 'reviews:9080' })), 'outbound|9080||reviews.default.svc.cluster.local');
  });

  test("REGISTRY_ONLY from the Sidecar's outboundTrafficPolicy; a ServiceEntry makes the host known", () => {
    const yaml = `${BOOKINFO}---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext}
spec:
  hosts: [httpbin.org]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  location: MESH_EXTERNAL
`;
    const res = resourcesFor(snapshotOf(yaml), 'productpage-v1');
    assert.deepEqual(expectOk(res, { destination: 'example.com' }).action, { kind: 'direct-response', status: 502 });
    assert.equal(clusterOf(expectOk(res, { destination: 'httpbin.org', path: '/delay/5' })), 'outbound|80||httpbin.org');
  });
});

describe('several VirtualServices for one host on a sidecar', () => {
  test('not merged: the oldest VirtualService owns the host (istio/istio#36621)', () => {
    const mk = (name: string, ts: string, prefix: string, subset: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, creationTimestamp: "${ts}"}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: ${prefix}}}]
    route: [{destination: {host: reviews, subset: ${subset}}}]
`;
    const yaml = `${BOOKINFO}---\n${BOOKINFO_DESTINATION_RULES}---\n${mk('b-newer', '2024-02-01T00:00:00Z', '/b', 'v2')}---\n${mk('a-older', '2024-01-01T00:00:00Z', '/a', 'v1')}`;
    const res = resourcesFor(snapshotOf(yaml), 'productpage-v1');
    assert.equal(expectOk(res, { destination: 'reviews:9080', path: '/a' }).origin?.virtualService, 'default/a-older');
    const r = simulate(res, { destination: 'reviews:9080', path: '/b' });
    assert.deepEqual([r.ok, !r.ok && r.error], [false, 'no-route']);
  });
});
