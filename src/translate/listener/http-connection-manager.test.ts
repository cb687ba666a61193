import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpConnectionManager, Listener } from '../../envoy/types.js';
import type { MeshConfig } from '../../config/mesh-config.js';
import { BOOKINFO, resourcesFor, snapshotOf } from '../../simulate/testing/bookinfo-sim.js';
import { HCM_FILTER } from './http-connection-manager.js';

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]
`;

function hcms(listeners: readonly Listener[]): HttpConnectionManager[] {
  return listeners.flatMap((l) => (l.filterChains ?? []).flatMap((fc) => (fc.filters ?? []).filter((f) => f.name === HCM_FILTER).map((f) => f.typedConfig as unknown as HttpConnectionManager)));
}

function gatewayHcm(mesh?: Partial<MeshConfig>): HttpConnectionManager {
  const s = snapshotOf(`${BOOKINFO}---\n${GATEWAY}`, mesh);
  const [hcm] = hcms(resourcesFor(s, 'istio-ingressgateway', 'istio-system').listeners);
  assert.ok(hcm, 'gateway HCM');
  return hcm;
}

test('gateway HCM as istiod builds it by default: use_remote_address, 0 trusted hops, SANITIZE_SET, no internal addresses, request ids regenerated', () => {
  const hcm = gatewayHcm();
  assert.deepEqual(hcm.useRemoteAddress, { value: true });
  assert.equal(hcm.xffNumTrustedHops, 0);
  assert.equal(hcm.forwardClientCertDetails, 'SANITIZE_SET');
  assert.equal(hcm.internalAddressConfig, undefined);
  assert.equal(hcm.preserveExternalRequestId, undefined);
});

test('gateway HCM follows mesh config gatewayTopology and preserveExternalRequestId', () => {
  const hcm = gatewayHcm({ gatewayTopology: { numTrustedProxies: 2, forwardClientCertDetails: 'APPEND_FORWARD' }, preserveExternalRequestId: true });
  assert.equal(hcm.xffNumTrustedHops, 2);
  assert.equal(hcm.forwardClientCertDetails, 'APPEND_FORWARD');
  assert.equal(hcm.preserveExternalRequestId, true);
});

test('sidecar HCMs: no remote address, APPEND_FORWARD (istiod GetProxyHeadersFromProxyConfig); gatewayTopology does not apply', () => {
  const s = snapshotOf(BOOKINFO, { gatewayTopology: { numTrustedProxies: 3 }, preserveExternalRequestId: true });
  const all = hcms(resourcesFor(s, 'productpage-v1').listeners);
  assert.ok(all.length > 0);
  for (const h of all) {
    assert.deepEqual(h.useRemoteAddress, { value: false });
    assert.equal(h.xffNumTrustedHops, 0);
    assert.equal(h.forwardClientCertDetails, 'APPEND_FORWARD');
    assert.equal(h.preserveExternalRequestId, undefined);
  }
});
