/**
 * RequestAuthentication → jwt_authn, and the security filters' place in the HCM: istiod's order,
 * proto round trip, determinism.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, resourcesFor, snapshotOf } from '../../simulate/testing/bookinfo-sim.js';
import type { HttpConnectionManager } from '../../envoy/types.js';
import type { JwtAuthentication } from '../../envoy/jwt/types.js';
import { decodeResource, encodeResource } from '../../xds/protos.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { Resource } from '../../config/resource.js';
import type { RequestAuthenticationSpec } from '../../config/schema/request-authentication.js';
import { jwtAuthentication } from './jwt-filter.js';

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

test('jwt_authn providers per rule, locations, forwarding, requirement as istiod', () => {
  const jwt = inboundHcm(RA).httpFilters![0]!.typedConfig as unknown as JwtAuthentication;
  // Sorted by issuer: "other" < "testing@secure.istio.io"; named origins-<index> as istiod does.
  assert.deepEqual(Object.keys(jwt.providers!), ['origins-0', 'origins-1']);
  const p = jwt.providers!['origins-1']!;
  assert.equal(p.issuer, 'testing@secure.istio.io');
  assert.equal(p.remoteJwks?.httpUri?.uri, 'http://127.0.0.1:8081/jwks.json');
  assert.deepEqual(p.audiences, ['bookstore']);
  assert.deepEqual(p.fromHeaders, [{ name: 'x-jwt', valuePrefix: 'Bearer ' }]);
  assert.deepEqual(p.fromParams, ['token']);
  assert.equal(p.forward, true);
  assert.equal(p.forwardPayloadHeader, 'x-jwt-payload');
  assert.equal(p.payloadInMetadata, 'payload');
  assert.equal(jwt.providers!['origins-0']!.localJwks?.inlineString, '{"keys":[]}');
  const orMissing = (n: string) => ({ requiresAny: { requirements: [{ providerName: n }, { allowMissing: {} }] } });
  assert.deepEqual(jwt.rules, [{ match: { prefix: '/' }, requires: { requiresAny: { requirements: [
    { providerName: 'origins-0' }, { providerName: 'origins-1' }, { requiresAll: { requirements: [orMissing('origins-0'), orMissing('origins-1')] } },
  ] } } }]);
  assert.equal(jwt.bypassCorsPreflight, true);
});

test('two rules with one issuer stay two providers, and a jwksUri rule without issuer is kept', () => {
  const config = jwtAuthentication([
    { kind: 'RequestAuthentication', metadata: { name: 'a', namespace: 'default' }, spec: { jwtRules: [
      { issuer: 'https://idp', audiences: ['one'], jwksUri: 'http://127.0.0.1:1/one.json' },
      { issuer: 'https://idp', audiences: ['two'], jwksUri: 'http://127.0.0.1:1/two.json' },
      { jwksUri: 'http://127.0.0.1:1/any.json' },
    ] } } as unknown as Resource<RequestAuthenticationSpec>,
  ])!;
  const ps = Object.values(config.providers!);
  assert.deepEqual(ps.map((p) => [p.issuer, p.audiences, p.remoteJwks?.httpUri?.uri]), [
    [undefined, undefined, 'http://127.0.0.1:1/any.json'],
    ['https://idp', ['one'], 'http://127.0.0.1:1/one.json'],
    ['https://idp', ['two'], 'http://127.0.0.1:1/two.json'],
  ]);
  const one = jwtAuthentication([{ kind: 'RequestAuthentication', metadata: { name: 'b', namespace: 'default' }, spec: { jwtRules: [{ issuer: 'x' }] } } as unknown as Resource<RequestAuthenticationSpec>])!;
  assert.deepEqual(one.rules![0]!.requires, { requiresAny: { requirements: [{ providerName: 'origins-0' }, { allowMissing: {} }] } });
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
