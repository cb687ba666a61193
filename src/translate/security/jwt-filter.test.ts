/**
 * RequestAuthentication → jwt_authn, and the security filters' place in the HCM: istiod's order,
 * proto round trip, determinism.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, resourcesFor, snapshotOf } from '../../simulate/testing.js';
import type { HttpConnectionManager } from '../../envoy/types.js';
import type { JwtAuthentication } from '../../envoy/jwt/types.js';
import { decodeResource, encodeResource, TypeUrl } from '../../xds/protos.js';

const RA = `---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: http://127.0.0.1:8081/jwks.json
    audiences: [bookstore]
    fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
    fromParams: [token]
    forwardOriginalToken: true
    outputPayloadToHeader: x-jwt-payload
  - issuer: other
    jwks: '{"keys":[]}'
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny, namespace: default}
spec: {action: DENY, rules: [{to: [{operation: {paths: [/x]}}]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: default}
spec: {rules: [{}]}
`;

function inboundHcm(yaml: string): HttpConnectionManager {
  const res = resourcesFor(snapshotOf(BOOKINFO + yaml), 'productpage-v1');
  const l = res.listeners.find((x) => x.name === 'virtualInbound')!;
  return l.filterChains![0]!.filters![0]!.typedConfig as unknown as HttpConnectionManager;
}

test('filters in istiod order: jwt_authn, RBAC DENY, RBAC ALLOW, fault, cors, router', () => {
  const names = inboundHcm(RA).httpFilters!.map((f) => {
    const rules = f.name === 'envoy.filters.http.rbac' ? (f.typedConfig as unknown as { rules?: { action?: string } }).rules : undefined;
    return rules ? `${f.name}:${rules.action ?? 'ALLOW'}` : f.name;
  });
  assert.deepEqual(names, [
    'envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac:DENY', 'envoy.filters.http.rbac:ALLOW',
    'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router',
  ]);
});

test('jwt_authn providers per issuer, locations, forwarding, requirement any-or-missing', () => {
  const jwt = inboundHcm(RA).httpFilters![0]!.typedConfig as unknown as JwtAuthentication;
  const p = jwt.providers!['testing@secure.istio.io']!;
  assert.equal(p.remoteJwks?.httpUri?.uri, 'http://127.0.0.1:8081/jwks.json');
  assert.deepEqual(p.audiences, ['bookstore']);
  assert.deepEqual(p.fromHeaders, [{ name: 'x-jwt', valuePrefix: 'Bearer ' }]);
  assert.deepEqual(p.fromParams, ['token']);
  assert.equal(p.forward, true);
  assert.equal(p.forwardPayloadHeader, 'x-jwt-payload');
  assert.equal(p.payloadInMetadata, 'testing@secure.istio.io');
  assert.equal(jwt.providers!['other']!.localJwks?.inlineString, '{"keys":[]}');
  assert.deepEqual(jwt.rules, [{ match: { prefix: '/' }, requires: { requiresAny: { requirements: [{ providerName: 'other' }, { providerName: 'testing@secure.istio.io' }, { allowMissing: {} }] } } }]);
  assert.equal(jwt.bypassCorsPreflight, true);
});

test('no RequestAuthentication and no AuthorizationPolicy: only fault, cors, router', () => {
  assert.deepEqual(inboundHcm('').httpFilters!.map((f) => f.name), ['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
});

test('the listener with security filters survives a proto round trip and translation is deterministic', () => {
  const a = resourcesFor(snapshotOf(BOOKINFO + RA), 'productpage-v1');
  const b = resourcesFor(snapshotOf(BOOKINFO + RA), 'productpage-v1');
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  const l = a.listeners.find((x) => x.name === 'virtualInbound')!;
  const back = decodeResource<typeof l>(TypeUrl.Listener, encodeResource(TypeUrl.Listener, l));
  const hcm = back.filterChains![0]!.filters![0]!.typedConfig as unknown as HttpConnectionManager;
  assert.equal(hcm.httpFilters!.length, 6);
  assert.deepEqual(hcm.httpFilters![2]!.typedConfig, { '@type': TypeUrl.Rbac, rules: { policies: { 'ns[default]-policy[allow]-rule[0]': { permissions: [{ any: true }], principals: [{ any: true }] } } } });
});

test('outbound listeners carry no security filters', () => {
  const res = resourcesFor(snapshotOf(BOOKINFO + RA), 'productpage-v1');
  const out = res.listeners.find((x) => x.name === '0.0.0.0_9080')!;
  const hcm = out.filterChains![0]!.filters![0]!.typedConfig as unknown as HttpConnectionManager;
  assert.ok(!hcm.httpFilters!.some((f) => f.name === 'envoy.filters.http.rbac' || f.name === 'envoy.filters.http.jwt_authn'));
});
