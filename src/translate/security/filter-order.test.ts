import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, nodeFor, snapshotOf } from '../../simulate/testing/bookinfo-sim.js';
import { httpFilters } from '../listener/http-connection-manager.js';
import { securityHttpFilters } from './security-filters.js';

const YAML = `${BOOKINFO}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext, namespace: default}
spec:
  action: CUSTOM
  provider: {name: my-authz}
  rules: [{to: [{operation: {paths: ["/ext"]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-post, namespace: default}
spec:
  action: DENY
  rules: [{to: [{operation: {methods: [POST]}}]}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: default}
spec:
  jwtRules: [{issuer: https://issuer.example, jwks: '{"keys":[]}'}]
`;

test("istiod's HTTP filter order: CUSTOM (RBAC shadow + ext_authz), jwt_authn, RBAC DENY, then fault, CORS, router", () => {
  const snap = snapshotOf(YAML, { extensionProviders: [{ name: 'my-authz', envoyExtAuthzHttp: { service: 'ext-authz.default.svc.cluster.local', port: 8000 } }] });
  const sec = securityHttpFilters(snap, nodeFor(snap, 'productpage-v1')).filters;
  const names = httpFilters(sec).map((f) => f.name);
  assert.deepEqual(names, [
    'envoy.filters.http.rbac', 'envoy.filters.http.ext_authz', 'envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac',
    'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router',
  ]);
  // The first RBAC filter is the CUSTOM policy's shadow (it only tags requests for ext_authz).
  assert.ok(JSON.stringify(sec[0]).includes('istio_ext_authz'), JSON.stringify(sec[0]));
});
