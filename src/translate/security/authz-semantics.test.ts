/**
 * Istio's AuthorizationPolicy semantics, replayed: policies are translated for Bookinfo's
 * productpage sidecar and requests are replayed through the simulator (the same RBAC and path
 * interpreters the proxy runs), checking the decision and the deciding policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, expectOk, nodeFor, resourcesFor, snapshotOf } from '../../simulate/testing/bookinfo-sim.js';
import type { SimAuthz } from '../../simulate/authz.js';
import type { SimRequest } from '../../simulate/types.js';
import type { MeshConfig } from '../../config/mesh-config.js';

const PROVIDERS: Partial<MeshConfig> = {
  extensionProviders: [{ name: 'my-authz', envoyExtAuthzHttp: { service: 'ext-authz.default.svc.cluster.local', port: 8000 } }],
};

function policy(name: string, spec: string, ns = 'default'): string {
  return `---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec.replace(/^/gm, '  ')}\n`;
}

/** A decision function for productpage with the given policies. */
function authz(policies: string, mesh: Partial<MeshConfig> = PROVIDERS): (req: Partial<SimRequest>) => SimAuthz {
  const snap = snapshotOf(BOOKINFO + policies, mesh);
  const res = resourcesFor(snap, 'productpage-v1');
  const ip = nodeFor(snap, 'productpage-v1').ip;
  return (req) => {
    const r = expectOk(res, { inbound: true, port: 9080, destinationIp: ip, authority: 'productpage:9080', method: 'GET', path: '/', ...req });
    assert.ok(r.authz, 'expected an authorization result');
    return r.authz;
  };
}

const allow = (a: SimAuthz) => assert.equal(a.decision, 'allow', JSON.stringify(a));
const deny = (a: SimAuthz, policy?: string) => {
  assert.equal(a.decision, 'deny', JSON.stringify(a));
  if (policy !== undefined) assert.equal(a.policy, policy);
};

test('no policy: everything allowed', () => {
  const d = authz('');
  allow(d({}));
  allow(d({ method: 'DELETE', path: '/admin' }));
});

test('allow-nothing (spec: {}) denies every request with policy none', () => {
  const d = authz(policy('allow-nothing', '{}'));
  deny(d({}), 'none');
  deny(d({ method: 'POST', path: '/x', peerPrincipal: 'spiffe://cluster.local/ns/default/sa/x' }), 'none');
});

test('ALLOW GET on productpage: GET passes, POST denied (Istio HTTP task step 2)', () => {
  const d = authz(policy('productpage-viewer', 'selector: {matchLabels: {app: productpage}}\naction: ALLOW\nrules: [{to: [{operation: {methods: [GET]}}]}]') + policy('allow-nothing', '{}'));
  const ok = d({ method: 'GET', path: '/productpage' });
  allow(ok);
  assert.equal(ok.policy, 'ns[default]-policy[productpage-viewer]-rule[0]');
  deny(d({ method: 'POST', path: '/productpage' }), 'none');
});

test('a policy selecting another workload or in another namespace does not apply', () => {
  const d = authz(policy('details-only', 'selector: {matchLabels: {app: details}}\nrules: [{to: [{operation: {methods: [GET]}}]}]') + policy('other-ns', '{}', 'foo'));
  allow(d({ method: 'POST' }));
});

test('root namespace (istio-system) policies apply mesh-wide', () => {
  const d = authz(policy('mesh-deny', 'action: DENY\nrules: [{to: [{operation: {paths: [/secret]}}]}]', 'istio-system'));
  deny(d({ path: '/secret' }), 'ns[istio-system]-policy[mesh-deny]-rule[0]');
  allow(d({ path: '/public' }));
});

test('DENY is evaluated before ALLOW and wins', () => {
  const d = authz(policy('deny-admin', 'action: DENY\nrules: [{to: [{operation: {paths: ["/admin*"]}}]}]') + policy('allow-all', 'rules: [{}]'));
  deny(d({ path: '/admin/users' }), 'ns[default]-policy[deny-admin]-rule[0]');
  allow(d({ path: '/products' }));
});

test('CUSTOM is evaluated first: matching requests go to the provider, others skip it', () => {
  const d = authz(policy('ext', 'action: CUSTOM\nprovider: {name: my-authz}\nrules: [{to: [{operation: {paths: ["/headers"]}}]}]'));
  const c = d({ path: '/headers' });
  assert.equal(c.decision, 'ext-authz');
  assert.equal(c.policy, 'istio-ext-authz-ns[default]-policy[ext]-rule[0]');
  allow(d({ path: '/ip' }));
});

test('CUSTOM then DENY: the DENY policy still denies what the provider would allow', () => {
  const d = authz(policy('ext', 'action: CUSTOM\nprovider: {name: my-authz}\nrules: [{}]') + policy('deny-post', 'action: DENY\nrules: [{to: [{operation: {methods: [POST]}}]}]'));
  deny(d({ method: 'POST' }), 'ns[default]-policy[deny-post]-rule[0]');
  assert.equal(d({ method: 'GET' }).decision, 'ext-authz');
});

test('CUSTOM with an unknown provider fails closed (deny all)', () => {
  const d = authz(policy('ext', 'action: CUSTOM\nprovider: {name: nope}\nrules: [{}]'));
  deny(d({}));
});

test('AUDIT never changes the decision', () => {
  const d = authz(policy('audit', 'action: AUDIT\nrules: [{to: [{operation: {paths: ["/x"]}}]}]'));
  allow(d({ path: '/x' }));
  const d2 = authz(policy('audit', 'action: AUDIT\nrules: [{}]') + policy('allow-nothing', '{}'));
  deny(d2({ path: '/x' }), 'none');
});

test('DENY: a missing attribute matches a not-form (notRequestPrincipals: ["*"] requires a JWT)', () => {
  const d = authz(policy('require-jwt', 'action: DENY\nrules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]'));
  deny(d({}), 'ns[default]-policy[require-jwt]-rule[0]');
  allow(d({ jwtClaims: { iss: 'testing@secure.istio.io', sub: 'testing@secure.istio.io' } }));
  const h = authz(policy('need-token', 'action: DENY\nrules: [{when: [{key: "request.headers[x-token]", notValues: [secret]}]}]'));
  deny(h({}));
  deny(h({ headers: { 'x-token': 'wrong' } }));
  allow(h({ headers: { 'x-token': 'secret' } }));
});

test('ALLOW: a missing attribute never matches (values on an absent header, principal without mTLS)', () => {
  const d = authz(policy('a', 'rules: [{when: [{key: "request.headers[x-user]", values: ["*"]}]}]'));
  deny(d({}), 'none');
  allow(d({ headers: { 'x-user': 'bob' } }));
  const p = authz(policy('a', 'rules: [{from: [{source: {principals: ["*"]}}]}]'));
  deny(p({}));
  allow(p({ peerPrincipal: 'spiffe://cluster.local/ns/default/sa/anyone' }));
});

test('path globs: exact, prefix, suffix, presence, templates; url path ignores the query', () => {
  const d = authz(policy('a', 'rules: [{to: [{operation: {paths: [/exact, "/pre/*", "*.png", "/t/{*}/x", "/d/{**}"]}}]}]'));
  allow(d({ path: '/exact?q=1' }));
  deny(d({ path: '/exact/more' }));
  allow(d({ path: '/pre/a/b' }));
  deny(d({ path: '/pre' }));
  allow(d({ path: '/img/a.png' }));
  allow(d({ path: '/t/seg/x' }));
  deny(d({ path: '/t/a/b/x' }));
  allow(d({ path: '/d/a/b/c' }));
  const any = authz(policy('a', 'rules: [{to: [{operation: {paths: ["*"]}}]}]'));
  allow(any({ path: '/anything' }));
});

test('not-forms: notPaths, notMethods, notHosts, notPorts', () => {
  const d = authz(policy('a', 'rules: [{to: [{operation: {notPaths: ["/private*"], notMethods: [DELETE]}}]}]'));
  allow(d({ path: '/public' }));
  deny(d({ path: '/private/x' }));
  deny(d({ method: 'DELETE', path: '/public' }));
  const h = authz(policy('a', 'rules: [{to: [{operation: {notHosts: ["evil.example.com"], notPorts: ["9999"]}}]}]'));
  allow(h({}));
  deny(h({ authority: 'EVIL.example.com' }));
});

test('ports and methods; hosts match case-insensitively', () => {
  const d = authz(policy('a', 'rules: [{to: [{operation: {ports: ["9080"], methods: [GET, HEAD], hosts: ["productpage:9080"]}}]}]'));
  allow(d({ method: 'HEAD' }));
  allow(d({ authority: 'ProductPage:9080' }));
  deny(d({ method: 'PUT' }));
  deny(d({ authority: 'other' }));
  const other = authz(policy('a', 'rules: [{to: [{operation: {ports: ["9999"]}}]}]'));
  deny(other({}));
});

test('namespaces and principals (exact, prefix, suffix), serviceAccounts', () => {
  const ns = authz(policy('a', 'rules: [{from: [{source: {namespaces: [foo]}}]}]'));
  allow(ns({ peerPrincipal: 'spiffe://cluster.local/ns/foo/sa/x' }));
  deny(ns({ peerPrincipal: 'spiffe://cluster.local/ns/foobar/sa/x' }));
  deny(ns({}));
  const pr = authz(policy('a', 'rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/bookinfo-productpage", "cluster.local/ns/team-*", "*/sa/admin"]}}]}]'));
  allow(pr({ peerPrincipal: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage' }));
  allow(pr({ peerPrincipal: 'spiffe://cluster.local/ns/team-a/sa/x' }));
  allow(pr({ peerPrincipal: 'spiffe://other.domain/ns/x/sa/admin' }));
  deny(pr({ peerPrincipal: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' }));
  const sa = authz(policy('a', 'rules: [{from: [{source: {serviceAccounts: [bookinfo-reviews, "foo/bar"]}}]}]'));
  allow(sa({ peerPrincipal: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' }));
  allow(sa({ peerPrincipal: 'spiffe://cluster.local/ns/foo/sa/bar' }));
  deny(sa({ peerPrincipal: 'spiffe://cluster.local/ns/other/sa/bookinfo-reviews' }));
});

test('ipBlocks (direct peer) and remoteIpBlocks; notIpBlocks', () => {
  const d = authz(policy('a', 'rules: [{from: [{source: {ipBlocks: ["10.1.0.0/16"], notIpBlocks: ["10.1.2.3"]}}]}]'));
  allow(d({ sourceIp: '10.1.9.9' }));
  deny(d({ sourceIp: '10.1.2.3' }));
  deny(d({ sourceIp: '10.2.0.1' }));
  const r = authz(policy('a', 'rules: [{from: [{source: {remoteIpBlocks: ["192.0.2.0/24"]}}]}]'));
  allow(r({ sourceIp: '192.0.2.7' }));
  deny(r({ sourceIp: '198.51.100.1' }));
});

test('when: request.auth.* and claims (strings and lists), source.namespace, destination.port', () => {
  const d = authz(policy('a', 'rules: [{when: [{key: "request.auth.claims[groups]", values: [admins]}, {key: request.auth.principal, values: ["issuer/*"]}]}]'));
  allow(d({ jwtClaims: { iss: 'issuer', sub: 'alice', groups: ['devs', 'admins'] } }));
  allow(d({ jwtClaims: { iss: 'issuer', sub: 'alice', groups: 'admins' } }));
  deny(d({ jwtClaims: { iss: 'issuer', sub: 'alice', groups: ['devs'] } }));
  deny(d({ jwtClaims: { iss: 'other', sub: 'alice', groups: ['admins'] } }));
  deny(d({}));
  const nested = authz(policy('a', 'rules: [{when: [{key: "request.auth.claims[nested][role]", values: [ops]}]}]'));
  allow(nested({ jwtClaims: { iss: 'i', sub: 's', nested: { role: 'ops' } } }));
  const w = authz(policy('a', 'rules: [{when: [{key: source.namespace, values: [foo]}, {key: destination.port, values: ["9080"]}]}]'));
  allow(w({ peerPrincipal: 'spiffe://cluster.local/ns/foo/sa/x' }));
  deny(w({ peerPrincipal: 'spiffe://cluster.local/ns/bar/sa/x' }));
  const aud = authz(policy('a', 'rules: [{when: [{key: request.auth.audiences, values: [bookstore]}, {key: request.auth.presenter, values: [web]}]}]'));
  allow(aud({ jwtClaims: { iss: 'i', sub: 's', aud: ['x', 'bookstore'], azp: 'web' } }));
  deny(aud({ jwtClaims: { iss: 'i', sub: 's', aud: 'x', azp: 'web' } }));
});

test('rules OR, from/to/when AND; several sources OR', () => {
  const d = authz(policy('a', 'rules:\n- {from: [{source: {namespaces: [a]}}, {source: {namespaces: [b]}}], to: [{operation: {methods: [GET]}}]}\n- {to: [{operation: {paths: [/health]}}]}'));
  allow(d({ peerPrincipal: 'spiffe://cluster.local/ns/b/sa/x' }));
  deny(d({ peerPrincipal: 'spiffe://cluster.local/ns/b/sa/x', method: 'POST' }));
  deny(d({ peerPrincipal: 'spiffe://cluster.local/ns/c/sa/x' }));
  allow(d({ path: '/health', method: 'POST' }));
});

test('path normalization runs before authorization: tricks cannot slip past a DENY', () => {
  const d = authz(policy('deny-admin', 'action: DENY\nrules: [{to: [{operation: {paths: ["/admin*"]}}]}]'));
  for (const p of ['/admin', '//admin', '/./admin', '/x/../admin', '/%61dmin', '/%2e%2e/admin', '/admin/']) {
    const a = d({ path: p });
    assert.equal(a.decision, 'deny', `${p}: ${JSON.stringify(a)}`);
  }
  const rejected = d({ path: '/admin%2Fusers' });
  assert.equal(rejected.stage, 'path');
  assert.equal(rejected.pathRejected, 'escaped_slash');
  assert.equal(d({ path: '/a/./b/../c' }).path, '/a/c');
});

test('gateway: policies selecting the ingress gateway are enforced on its listeners', () => {
  const gw = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pp}
spec:
  hosts: ["*"]
  gateways: [gw]
  http: [{route: [{destination: {host: productpage, port: {number: 9080}}}]}]
`;
  const snap = snapshotOf(BOOKINFO + gw + policy('gw-deny', 'selector: {matchLabels: {istio: ingressgateway}}\naction: DENY\nrules: [{to: [{operation: {paths: ["/private*"]}}]}]', 'istio-system'));
  const res = resourcesFor(snap, 'istio-ingressgateway', 'istio-system');
  const r = expectOk(res, { port: 80, authority: 'bookinfo.example.com', path: '/private/x' });
  assert.equal(r.authz?.decision, 'deny');
  assert.equal(expectOk(res, { port: 80, authority: 'bookinfo.example.com', path: '/productpage' }).authz?.decision, 'allow');
});
