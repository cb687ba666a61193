import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshConfigError, parseMeshConfig } from './mesh-config-file.js';

test('defaultConfig.gatewayTopology: numTrustedProxies and forwardClientCertDetails (UNDEFINED = istiod default); Istio defaults otherwise', () => {
  assert.deepEqual(parseMeshConfig('trustDomain: x').gatewayTopology, { numTrustedProxies: 0 });
  assert.equal(parseMeshConfig('trustDomain: x').preserveExternalRequestId, false);
  const m = parseMeshConfig('defaultConfig:\n  gatewayTopology:\n    numTrustedProxies: 2\n    forwardClientCertDetails: APPEND_FORWARD\npreserveExternalRequestId: true\n');
  assert.deepEqual(m.gatewayTopology, { numTrustedProxies: 2, forwardClientCertDetails: 'APPEND_FORWARD' });
  assert.equal(m.preserveExternalRequestId, true);
  assert.deepEqual(parseMeshConfig('defaultConfig: {gatewayTopology: {forwardClientCertDetails: UNDEFINED}}').gatewayTopology, { numTrustedProxies: 0 });
  assert.deepEqual(parseMeshConfig('defaultConfig: {concurrency: 2}').gatewayTopology, { numTrustedProxies: 0 }, 'other ProxyConfig fields are ignored');
});

test('invalid gatewayTopology values and preserveExternalRequestId are refused with a reason', () => {
  assert.throws(() => parseMeshConfig('defaultConfig: {gatewayTopology: {numTrustedProxies: -1}}'), (e) => e instanceof MeshConfigError && /numTrustedProxies/.test(e.message));
  assert.throws(() => parseMeshConfig('defaultConfig: {gatewayTopology: {numTrustedProxies: "2"}}'), MeshConfigError);
  assert.throws(() => parseMeshConfig('defaultConfig: {gatewayTopology: {forwardClientCertDetails: SANITISE}}'), (e) => e instanceof MeshConfigError && /forwardClientCertDetails must be one of/.test(e.message));
  assert.throws(() => parseMeshConfig('defaultConfig: [1]'), MeshConfigError);
  assert.throws(() => parseMeshConfig('preserveExternalRequestId: yes-please'), MeshConfigError);
});

test('gatewayTopology fields Weft does not enforce (proxyProtocol) are warned about, not silently ignored', () => {
  const warnings: string[] = [];
  const m = parseMeshConfig('defaultConfig:\n  gatewayTopology:\n    numTrustedProxies: 1\n    proxyProtocol: {}\n', (w) => warnings.push(w));
  assert.equal(m.gatewayTopology?.numTrustedProxies, 1);
  assert.deepEqual(warnings, ['defaultConfig.gatewayTopology.proxyProtocol is not supported by Weft and is ignored']);
  const none: string[] = [];
  parseMeshConfig('defaultConfig:\n  gatewayTopology: {numTrustedProxies: 2, forwardClientCertDetails: SANITIZE_SET}\n', (w) => none.push(w));
  assert.deepEqual(none, []);
});

test('an opentelemetry tracing provider is warned about: W3C context is propagated, spans are not exported; zipkin is not', () => {
  const warnings: string[] = [];
  const m = parseMeshConfig('extensionProviders:\n- name: otel\n  opentelemetry: {service: otel.istio-system.svc.cluster.local, port: 4317}\n- name: zipkin\n  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411, maxTagLength: 64}\n', (w) => warnings.push(w));
  assert.equal(m.extensionProviders.length, 2);
  assert.equal(m.extensionProviders[1]!.zipkin?.maxTagLength, 64);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^extensionProviders\[0\] \(otel\): opentelemetry tracing is not supported by Weft: .*export no spans/);
});
