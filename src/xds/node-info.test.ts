import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProxyId, fromStruct, parseNode, parseProxyId, toNodeMessage, toStruct, type JsonValue } from './node-info.js';

test('parses an Istio sidecar id into its parts', () => {
  assert.deepEqual(parseProxyId('sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local'), {
    type: 'sidecar',
    ip: '10.0.0.1',
    podName: 'pod',
    namespace: 'ns',
    domain: 'ns.svc.cluster.local',
  });
});

test('parses gateway ids, IPv6 addresses and pod names with dots', () => {
  assert.deepEqual(parseProxyId('router~127.0.0.5~istio-ingressgateway-0.istio-system~istio-system.svc.cluster.local'), {
    type: 'router',
    ip: '127.0.0.5',
    podName: 'istio-ingressgateway-0',
    namespace: 'istio-system',
    domain: 'istio-system.svc.cluster.local',
  });
  assert.equal(parseProxyId('sidecar~::1~a.b.ns~ns.svc.cluster.local')?.podName, 'a.b');
  assert.equal(parseProxyId('sidecar~::1~a.b.ns~ns.svc.cluster.local')?.ip, '::1');
});

test('ids not in Istio form parse to undefined', () => {
  for (const id of ['', 'envoy-1', 'sidecar~10.0.0.1~pod.ns', 'gateway~10.0.0.1~pod.ns~d', 'sidecar~not-an-ip~pod.ns~d', 'sidecar~10.0.0.1~podonly~d', 'sidecar~10.0.0.1~pod.~d']) {
    assert.equal(parseProxyId(id), undefined, id);
  }
});

test('format is the inverse of parse', () => {
  const id = 'sidecar~127.0.0.9~reviews-v2-1.default~default.svc.cluster.local';
  assert.equal(formatProxyId(parseProxyId(id)!), id);
});

test('Struct metadata converts to a plain object and back', () => {
  const meta: Record<string, JsonValue> = { NAMESPACE: 'default', LABELS: { app: 'reviews', version: 'v1' }, PORTS: [9080, 15090], MTLS: true, EMPTY: null };
  const struct = toStruct(meta);
  assert.deepEqual(struct.fields!['NAMESPACE'], { stringValue: 'default' });
  assert.deepEqual(fromStruct(struct), meta);
  assert.deepEqual(fromStruct(undefined), {});
});

test('parseNode builds NodeInfo from a Node message', () => {
  const msg = toNodeMessage({ id: 'sidecar~10.1.2.3~ratings-0.prod~prod.svc.cluster.local', cluster: 'ratings.prod', metadata: { ISTIO_VERSION: '1.20' }, userAgentName: 'weft', userAgentVersion: '0.1.0' });
  const info = parseNode(msg);
  assert.equal(info.id, 'sidecar~10.1.2.3~ratings-0.prod~prod.svc.cluster.local');
  assert.equal(info.cluster, 'ratings.prod');
  assert.deepEqual(info.metadata, { ISTIO_VERSION: '1.20' });
  assert.equal(info.userAgent, 'weft/0.1.0');
  assert.equal(info.type, 'sidecar');
  assert.equal(info.ip, '10.1.2.3');
  assert.equal(info.podName, 'ratings-0');
  assert.equal(info.namespace, 'prod');
  assert.equal(info.domain, 'prod.svc.cluster.local');

  const plain = parseNode({ id: 'grpc-client-7' });
  assert.deepEqual(plain, { id: 'grpc-client-7', cluster: '', metadata: {} });
});
