/**
 * AuthorizationPolicy on TCP, replayed: policies are translated for the tcp-echo sidecar (Istio's
 * samples/tcp-echo, TCP ports 9000 and 9001) and connections are replayed on its `virtualInbound`
 * listener through the simulator, which runs the same network RBAC engine as the proxy
 * (src/envoy/rbac/network-rbac.ts). Expected outcomes follow istiod's BuildTCP / Generate(forTCP).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectOk, nodeFor, resourcesFor, snapshotOf } from '../../simulate/testing/bookinfo-sim.js';
import type { SimAuthz } from '../../simulate/authz.js';
import type { SimRequest } from '../../simulate/types.js';
import type { MeshConfig } from '../../config/mesh-config.js';
import type { Filter, Listener } from '../../envoy/types.js';
import { buildNetworkAuthzFilters } from './network-authz-filters.js';

const TCP_ECHO = `apiVersion: v1
kind: Service
metadata: {name: tcp-echo, namespace: default}
spec:
  selector: {app: tcp-echo}
  ports: [{name: tcp, port: 9000}, {name: tcp-other, port: 9001}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tcp-echo-v1, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: tcp-echo, version: v1}}
  template:
    metadata: {labels: {app: tcp-echo, version: v1}}
    spec:
      serviceAccountName: tcp-echo
      containers: [{name: tcp-echo, image: example/tcp-echo, command: [node, echo.js], ports: [{containerPort: 9000}, {containerPort: 9001}]}]
`;

const SLEEP = 'spiffe://cluster.local/ns/default/sa/sleep';
const OTHER = 'spiffe://cluster.local/ns/other/sa/client';

function policy(name: string, spec: string, ns = 'default'): string {
  return `---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec.replace(/^/gm, '  ')}\n`;
}

interface Conn {
  readonly port?: number;
  readonly peerPrincipal?: string;
  readonly sourceIp?: string;
}

/** A decision function for tcp-echo's inbound TCP connections under `policies`. */
function tcp(policies: string, mesh?: Partial<MeshConfig>): (c?: Conn) => SimAuthz | undefined {
  const snap = snapshotOf(TCP_ECHO + policies, mesh);
  const res = resourcesFor(snap, 'tcp-echo-v1');
  const ip = nodeFor(snap, 'tcp-echo-v1').ip;
  return (c = {}) => {
    const req: SimRequest = { inbound: true, protocol: 'tcp', port: c.port ?? 9000, destinationIp: ip, sourceIp: c.sourceIp ?? '127.0.1.77', ...(c.peerPrincipal ? { peerPrincipal: c.peerPrincipal } : {}) };
    const r = expectOk(res, req);
    assert.equal(r.action.kind, 'tcp');
    return r.authz;
  };
}

const allow = (a: SimAuthz | undefined) => assert.ok(a === undefined || a.decision === 'allow', JSON.stringify(a));
const deny = (a: SimAuthz | undefined, policy?: string) => {
  assert.equal(a?.decision, 'deny', JSON.stringify(a));
  if (policy !== undefined) assert.equal(a?.policy, policy);
};

test('no policy: no network RBAC filter, every connection passes', () => {
  const d = tcp('');
  assert.equal(d(), undefined);
});

test('every TCP chain (mTLS and plaintext of a PERMISSIVE port) runs the RBAC filters before tcp_proxy', () => {
  const snap = snapshotOf(TCP_ECHO + policy('deny-all', 'action: DENY\nrules: [{}]'));
  const l = resourcesFor(snap, 'tcp-echo-v1').listeners.find((x) => x.name === 'virtualInbound') as Listener;
  const chains = (l.filterChains ?? []).filter((c) => [9000, 9001].includes(c.filterChainMatch?.destinationPort?.value ?? 0));
  assert.equal(chains.length, 4);
  for (const c of chains) {
    assert.deepEqual(c.filters?.map((f) => f.name), ['envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy'], c.name);
    assert.equal((c.filters![0]!.typedConfig as unknown as { statPrefix: string }).statPrefix, 'tcp.');
  }
});

test('DENY all (rules: [{}]) denies every connection on every port, with or without mTLS', () => {
  const d = tcp(policy('deny-all', 'selector: {matchLabels: {app: tcp-echo}}\naction: DENY\nrules: [{}]'));
  deny(d(), 'ns[default]-policy[deny-all]-rule[0]');
  deny(d({ port: 9001, peerPrincipal: SLEEP }), 'ns[default]-policy[deny-all]-rule[0]');
});

test('ALLOW-nothing (spec: {}) denies every TCP connection', () => {
  const d = tcp(policy('allow-nothing', '{}'));
  deny(d(), 'none');
  deny(d({ peerPrincipal: SLEEP }), 'none');
});

test('ALLOW by principal: only that mTLS peer passes; plaintext (no identity) never does', () => {
  const d = tcp(policy('sleep-only', 'selector: {matchLabels: {app: tcp-echo}}\nrules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}]}]'));
  allow(d({ peerPrincipal: SLEEP }));
  deny(d({ peerPrincipal: OTHER }), 'none');
  deny(d(), 'none');
});

test('namespaces and notNamespaces; serviceAccounts', () => {
  const ns = tcp(policy('a', 'rules: [{from: [{source: {namespaces: [default]}}]}]'));
  allow(ns({ peerPrincipal: SLEEP }));
  deny(ns({ peerPrincipal: OTHER }));
  const notNs = tcp(policy('a', 'action: DENY\nrules: [{from: [{source: {notNamespaces: [default]}}]}]'));
  allow(notNs({ peerPrincipal: SLEEP }));
  deny(notNs({ peerPrincipal: OTHER }));
  deny(notNs(), 'ns[default]-policy[a]-rule[0]'); // no identity: notNamespaces matches, as in Envoy
  const sa = tcp(policy('a', 'rules: [{from: [{source: {serviceAccounts: [sleep]}}]}]'));
  allow(sa({ peerPrincipal: SLEEP }));
  deny(sa({ peerPrincipal: OTHER }));
});

test('ipBlocks, notIpBlocks and remoteIpBlocks (the direct peer on TCP)', () => {
  const d = tcp(policy('a', 'rules: [{from: [{source: {ipBlocks: ["127.0.1.0/24"], notIpBlocks: ["127.0.1.66"]}}]}]'));
  allow(d({ sourceIp: '127.0.1.9' }));
  deny(d({ sourceIp: '127.0.1.66' }));
  deny(d({ sourceIp: '127.0.2.9' }));
  const r = tcp(policy('a', 'action: DENY\nrules: [{from: [{source: {remoteIpBlocks: ["127.0.3.0/24"]}}]}]'));
  deny(r({ sourceIp: '127.0.3.1' }));
  allow(r({ sourceIp: '127.0.4.1' }));
});

test('ports and notPorts match the destination port', () => {
  const d = tcp(policy('a', 'action: DENY\nrules: [{to: [{operation: {ports: ["9001"]}}]}]'));
  allow(d({ port: 9000 }));
  deny(d({ port: 9001 }));
  const n = tcp(policy('a', 'rules: [{to: [{operation: {notPorts: ["9001"]}}]}]'));
  allow(n({ port: 9000 }));
  deny(n({ port: 9001 }), 'none');
});

test('DENY with an HTTP-only field: the field is dropped, so the rule denies all TCP (what the validator warns)', () => {
  for (const rule of ['{to: [{operation: {methods: [GET]}}]}', '{to: [{operation: {paths: ["/admin"], notHosts: [x]}}]}', '{from: [{source: {requestPrincipals: ["*"]}}]}', '{when: [{key: "request.headers[x-user]", values: [bob]}]}', '{from: [{source: {notRequestPrincipals: ["*"]}}]}']) {
    const d = tcp(policy('deny-http', `action: DENY\nrules: [${rule}]`));
    deny(d({ peerPrincipal: SLEEP }), 'ns[default]-policy[deny-http]-rule[0]');
  }
  // With a TCP field beside it, only that field decides.
  const p = tcp(policy('deny-http', 'action: DENY\nrules: [{to: [{operation: {methods: [GET], ports: ["9001"]}}]}]'));
  allow(p({ port: 9000 }));
  deny(p({ port: 9001 }));
});

test('ALLOW with an HTTP-only field: the rule matches nothing (other rules still allow)', () => {
  const d = tcp(policy('allow-get', 'rules: [{to: [{operation: {methods: [GET]}}]}]'));
  deny(d({ peerPrincipal: SLEEP }), 'none');
  const mixed = tcp(policy('allow-get', 'rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}], to: [{operation: {ports: ["9000"]}}, {operation: {paths: ["/x"]}}]}, {from: [{source: {namespaces: [other]}}]}]'));
  deny(mixed({ peerPrincipal: SLEEP }), 'none'); // rule 0 uses paths: skipped entirely
  allow(mixed({ peerPrincipal: OTHER }));
  const when = tcp(policy('a', 'rules: [{when: [{key: "request.auth.claims[iss]", values: [x]}]}]'));
  deny(when({ peerPrincipal: SLEEP }));
});

test('DENY is evaluated before ALLOW; AUDIT never decides', () => {
  const d = tcp(policy('deny-other', 'action: DENY\nrules: [{from: [{source: {namespaces: [other]}}]}]') + policy('allow-all', 'rules: [{}]') + policy('audit', 'action: AUDIT\nrules: [{}]'));
  deny(d({ peerPrincipal: OTHER }), 'ns[default]-policy[deny-other]-rule[0]');
  allow(d({ peerPrincipal: SLEEP }));
});

test('when conditions on connection attributes: source.principal, destination.port, source.ip', () => {
  const d = tcp(policy('a', 'rules: [{when: [{key: source.principal, values: ["cluster.local/ns/default/sa/sleep"]}, {key: destination.port, notValues: ["9001"]}]}]'));
  allow(d({ peerPrincipal: SLEEP }));
  deny(d({ peerPrincipal: SLEEP, port: 9001 }));
  deny(d({ peerPrincipal: OTHER }));
});

test('root-namespace policies apply; policies for other workloads do not', () => {
  deny(tcp(policy('mesh-deny', 'action: DENY\nrules: [{}]', 'istio-system'))());
  allow(tcp(policy('other', 'selector: {matchLabels: {app: productpage}}\naction: DENY\nrules: [{}]'))());
});

test('CUSTOM: an HTTP provider does not apply on TCP (noted); an unknown provider fails closed', () => {
  const mesh: Partial<MeshConfig> = { extensionProviders: [{ name: 'my-authz', envoyExtAuthzHttp: { service: 'ext-authz.default.svc.cluster.local', port: 8000 } }] };
  const http = tcp(policy('ext', 'action: CUSTOM\nprovider: {name: my-authz}\nrules: [{}]'), mesh);
  assert.equal(http(), undefined);
  const snap = snapshotOf(TCP_ECHO + policy('ext', 'action: CUSTOM\nprovider: {name: my-authz}\nrules: [{}]'), mesh);
  const built = buildNetworkAuthzFilters(snap, { namespace: 'default', labels: { app: 'tcp-echo' } });
  assert.deepEqual(built.filters, []);
  assert.match(built.notes[0]!.message, /does not apply to TCP ports/);
  const unknown = tcp(policy('ext', 'action: CUSTOM\nprovider: {name: nope}\nrules: [{}]'));
  deny(unknown());
});

test('an ALLOW rule skipped on TCP is reported', () => {
  const snap = snapshotOf(TCP_ECHO + policy('allow-get', 'rules: [{to: [{operation: {methods: [GET]}}]}]'));
  const built = buildNetworkAuthzFilters(snap, { namespace: 'default', labels: { app: 'tcp-echo' } });
  assert.equal(built.filters.length, 1);
  const f = built.filters[0] as Filter;
  assert.deepEqual((f.typedConfig as unknown as { rules: { policies: object } }).rules.policies, {});
  assert.deepEqual(built.notes.map((n) => n.message), ['on TCP ports, rule 0 skipped: methods is HTTP only: the rule matches no TCP connection']);
});

test('HTTP ports keep HTTP RBAC only (no network RBAC in front of the HCM)', () => {
  const snap = snapshotOf(TCP_ECHO.replace('name: tcp, port: 9000', 'name: http, port: 9000') + policy('deny-all', 'action: DENY\nrules: [{}]'));
  const l = resourcesFor(snap, 'tcp-echo-v1').listeners.find((x) => x.name === 'virtualInbound') as Listener;
  const c9000 = (l.filterChains ?? []).filter((c) => c.filterChainMatch?.destinationPort?.value === 9000);
  for (const c of c9000) assert.deepEqual(c.filters?.map((f) => f.name), ['envoy.filters.network.http_connection_manager']);
});

/** Istio's default ingress gateway workload (istio-system, `istio: ingressgateway`). */
const INGRESS_GATEWAY = `apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway, app: istio-ingressgateway}}
    spec:
      containers: [{name: istio-proxy, image: proxy, command: [weft, proxy]}]
`;

test('gateway TCP servers (tcp-echo on 31400) run the gateway\'s policies as network RBAC', () => {
  const gw = `---
${INGRESS_GATEWAY}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp-echo-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 31400, name: tcp, protocol: TCP}, hosts: ['*']}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-echo, namespace: default}
spec:
  hosts: ['*']
  gateways: [tcp-echo-gateway]
  tcp: [{match: [{port: 31400}], route: [{destination: {host: tcp-echo, port: {number: 9000}}}]}]
`;
  const gwDeny = policy('gw-deny', `selector: {matchLabels: {istio: ingressgateway}}\naction: DENY\nrules: [{from: [{source: {ipBlocks: ["127.0.5.0/24"]}}]}]`, 'istio-system');
  const snap = snapshotOf(TCP_ECHO + gw + gwDeny);
  const res = resourcesFor(snap, 'istio-ingressgateway', 'istio-system');
  const l = res.listeners.find((x) => (x.filterChains ?? []).some((c) => c.filters?.some((f) => f.name === 'envoy.filters.network.tcp_proxy')));
  assert.ok(l, 'a gateway TCP listener');
  const port = l.address!.socketAddress!.portValue!;
  const sim = (sourceIp: string) => expectOk(res, { port, protocol: 'tcp', sourceIp }).authz;
  deny(sim('127.0.5.7'), 'ns[istio-system]-policy[gw-deny]-rule[0]');
  allow(sim('127.0.6.7'));
});

test('gateway PASSTHROUGH and TLS-terminating TCP chains carry the gateway\'s network RBAC too (connection.sni)', () => {
  const gw = `---
${INGRESS_GATEWAY}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: pt-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [echo.example.com], tls: {mode: PASSTHROUGH}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pt, namespace: default}
spec:
  hosts: [echo.example.com]
  gateways: [pt-gateway]
  tls: [{match: [{port: 443, sniHosts: [echo.example.com]}], route: [{destination: {host: tcp-echo, port: {number: 9000}}}]}]
`;
  const gwDeny = policy('gw-sni', `selector: {matchLabels: {istio: ingressgateway}}\naction: DENY\nrules: [{when: [{key: connection.sni, values: [echo.example.com]}]}]`, 'istio-system');
  const res = resourcesFor(snapshotOf(TCP_ECHO + gw + gwDeny), 'istio-ingressgateway', 'istio-system');
  const chains = res.listeners.flatMap((l) => l.filterChains ?? []).filter((c) => c.filterChainMatch?.serverNames?.includes('echo.example.com'));
  assert.equal(chains.length, 1, 'one PASSTHROUGH chain for the SNI host');
  assert.deepEqual(chains[0]!.filters?.map((f) => f.name), ['envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy']);
});
