import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeUrl } from '../../envoy/type-url.js';
import { BOOKINFO, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER, roundTrip, sidecarOf, snapshotOf } from './testing/bookinfo-fixture.js';
import { buildInboundClusters } from './index.js';
import { parseDefaultEndpoint } from './sidecar-ingress.js';

const sidecar = (spec: string) => `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: httpbin-ingress}
spec:
  workloadSelector: {labels: {app: httpbin}}
${spec}`;

test('defaultEndpoint: the four host forms reach the app address on their port; unset keeps the listener port; unix:// as is', () => {
  assert.deepEqual(parseDefaultEndpoint('127.0.0.1:8080', 80, '127.11.0.2'), { kind: 'ip', address: '127.11.0.2', port: 8080 });
  assert.deepEqual(parseDefaultEndpoint('0.0.0.0:8081', 80, '127.11.0.2'), { kind: 'ip', address: '127.11.0.2', port: 8081 });
  assert.deepEqual(parseDefaultEndpoint('[::1]:8082', 80, '127.11.0.2'), { kind: 'ip', address: '127.11.0.2', port: 8082 });
  assert.deepEqual(parseDefaultEndpoint(undefined, 80, '127.11.0.2'), { kind: 'ip', address: '127.11.0.2', port: 80 });
  assert.deepEqual(parseDefaultEndpoint('unix:///var/run/app.sock', 80, '127.11.0.2'), { kind: 'unix', path: '/var/run/app.sock' });
});

test('ingress listeners replace the service ports: one cluster per listener, endpoint from defaultEndpoint', () => {
  const s = snapshotOf([BOOKINFO, HTTPBIN, sidecar(`  ingress:
  - port: {number: 9000, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
  - port: {number: 9001, protocol: TCP, name: tcp}
`)]);
  const cs = buildInboundClusters(s, { ...sidecarOf(s, 'httpbin-v1'), appAddress: '127.11.0.2' });
  assert.deepEqual(cs.map((c) => c.name), ['inbound|9000||', 'inbound|9001||']);
  assert.deepEqual(cs[0]!.loadAssignment?.endpoints?.[0]?.lbEndpoints?.[0]?.endpoint?.address, { socketAddress: { address: '127.11.0.2', portValue: 8080 } });
  assert.deepEqual(cs[1]!.loadAssignment?.endpoints?.[0]?.lbEndpoints?.[0]?.endpoint?.address, { socketAddress: { address: '127.11.0.2', portValue: 9001 } });
  for (const c of cs) assert.deepEqual(roundTrip(TypeUrl.Cluster, c), c);
});

test('connection pool precedence: ingress[port].connectionPool, else inboundConnectionPool, else the DestinationRule', () => {
  const s = snapshotOf([BOOKINFO, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER, sidecar(`  inboundConnectionPool:
    tcp: {maxConnections: 7}
  ingress:
  - port: {number: 80, protocol: HTTP, name: http}
    connectionPool: {tcp: {maxConnections: 3}}
  - port: {number: 81, protocol: HTTP, name: http2}
`)]);
  const cs = buildInboundClusters(s, sidecarOf(s, 'httpbin-v1'));
  const max = (name: string) => cs.find((c) => c.name === name)?.circuitBreakers?.thresholds?.[0]?.maxConnections;
  assert.deepEqual(max('inbound|80||'), { value: 3 });
  assert.deepEqual(max('inbound|81||'), { value: 7 });
  // Without a Sidecar pool, the DestinationRule's applies (maxConnections 1).
  const noPool = snapshotOf([BOOKINFO, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER]);
  assert.deepEqual(buildInboundClusters(noPool, sidecarOf(noPool, 'httpbin-v1'))[0]!.circuitBreakers?.thresholds?.[0]?.maxConnections, { value: 1 });
  // inboundConnectionPool alone overrides the DestinationRule on service ports too.
  const top = snapshotOf([BOOKINFO, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER, sidecar(`  inboundConnectionPool:
    tcp: {maxConnections: 7}
`)]);
  assert.deepEqual(buildInboundClusters(top, sidecarOf(top, 'httpbin-v1'))[0]!.circuitBreakers?.thresholds?.[0]?.maxConnections, { value: 7 });
});
