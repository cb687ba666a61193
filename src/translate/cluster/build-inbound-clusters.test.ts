import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeUrl } from '../../envoy/type-url.js';
import { BOOKINFO, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER, roundTrip, sidecarOf, snapshotOf } from './testing/bookinfo-fixture.js';
import { buildInboundClusters } from './index.js';

test('an inbound cluster per target port, STATIC to the app address', () => {
  const s = snapshotOf([BOOKINFO, HTTPBIN]);
  const node = { ...sidecarOf(s, 'httpbin-v1'), appAddress: '127.0.0.1' };
  const cs = buildInboundClusters(s, node);
  assert.deepEqual(cs.map((c) => c.name), ['inbound|80||']);
  const c = cs[0]!;
  assert.equal(c.type, 'STATIC');
  assert.deepEqual(c.loadAssignment, {
    clusterName: 'inbound|80||',
    endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: 80 } } } }] }],
  });
  assert.equal(c.outlierDetection, undefined);
  assert.equal(c.transportSocket, undefined);
  assert.deepEqual(roundTrip(TypeUrl.Cluster, c), c);
  // Without appAddress the pod IP is used.
  const plain = buildInboundClusters(s, sidecarOf(s, 'httpbin-v1'))[0]!;
  assert.equal(plain.loadAssignment?.endpoints?.[0]?.lbEndpoints?.[0]?.endpoint?.address?.socketAddress?.address, sidecarOf(s, 'httpbin-v1').ip);
});

test('the connection pool of the rule for the proxy service applies inbound, nothing else does', () => {
  const s = snapshotOf([BOOKINFO, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER]);
  const c = buildInboundClusters(s, sidecarOf(s, 'httpbin-v1'))[0]!;
  assert.deepEqual(c.circuitBreakers?.thresholds?.[0]?.maxConnections, { value: 1 });
  assert.deepEqual(c.circuitBreakers?.thresholds?.[0]?.maxPendingRequests, { value: 1 });
  assert.equal(c.outlierDetection, undefined);
  assert.equal(c.lbPolicy, undefined);
});

test('named target ports resolve against the workload; gateways and unselected workloads get none', () => {
  const named = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, name: http, targetPort: web}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: x, ports: [{containerPort: 3000, name: web}]}]`;
  const s = snapshotOf([BOOKINFO, named]);
  assert.deepEqual(buildInboundClusters(s, sidecarOf(s, 'web')).map((c) => c.name), ['inbound|3000||']);
  assert.deepEqual(buildInboundClusters(s, { ...sidecarOf(s, 'web'), role: 'router' }), []);
  assert.deepEqual(buildInboundClusters(s, { ...sidecarOf(s, 'web'), labels: { app: 'other' } }), []);
});
