import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, UpstreamHttpProtocolOptions, UpstreamTlsContext } from '../../envoy/types.js';
import { meshConfigWith } from '../../config/mesh-config.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { BOOKINFO, DESTINATION_RULE_ALL, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER, roundTrip, sidecarOf, snapshotOf } from './testing/bookinfo-fixture.js';
import { buildClusters, buildOutboundClusters, hashPolicyFor, UNLIMITED } from './index.js';
import { HTTP_PROTOCOL_OPTIONS_KEY } from './cluster-draft.js';
import { destinationRuleFor } from './destination-rule-index.js';
import { effectiveTrafficPolicy } from './traffic-policy-merge.js';

const REVIEWS = 'reviews.default.svc.cluster.local';
const HTTPBIN_HOST = 'httpbin.default.svc.cluster.local';

function clustersFor(texts: string[], from = 'productpage-v1', mesh?: Parameters<typeof snapshotOf>[1]): Map<string, Cluster> {
  const s = snapshotOf(texts, mesh);
  return new Map(buildClusters(s, sidecarOf(s, from)).map((c) => [c.name!, c]));
}

function httpOpts(c: Cluster | undefined): UpstreamHttpProtocolOptions | undefined {
  return c?.typedExtensionProtocolOptions?.[HTTP_PROTOCOL_OPTIONS_KEY] as UpstreamHttpProtocolOptions | undefined;
}

function tlsContext(c: Cluster | undefined): UpstreamTlsContext | undefined {
  return c?.transportSocket?.typedConfig as UpstreamTlsContext | undefined;
}

function dr(name: string, host: string, body: string): string {
  return `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ${name}}\nspec:\n  host: ${host}\n${body}`;
}

test('destination-rule-all: a default and one subset cluster per subset, all EDS over ADS', () => {
  const cs = clustersFor([BOOKINFO, DESTINATION_RULE_ALL]);
  for (const subset of ['', 'v1', 'v2', 'v3']) {
    const c = cs.get(`outbound|9080|${subset}|${REVIEWS}`);
    assert.ok(c, `cluster for subset "${subset}"`);
    assert.equal(c.type, 'EDS');
    assert.deepEqual(c.edsClusterConfig, { serviceName: c.name, edsConfig: { ads: {}, initialFetchTimeout: { seconds: 0, nanos: 0 }, resourceApiVersion: 'V3' } });
    assert.equal(c.lbPolicy, 'LEAST_REQUEST', 'Istio default LB');
    assert.deepEqual(c.connectTimeout, { seconds: 10, nanos: 0 });
  }
  assert.ok(cs.get('outbound|9080||details.default.svc.cluster.local'));
  assert.ok(!cs.has(`outbound|9080|v4|${REVIEWS}`));
  assert.equal(cs.get('BlackHoleCluster')?.type, 'STATIC');
  assert.equal(cs.get('PassthroughCluster')?.type, 'ORIGINAL_DST');
  assert.equal(cs.get('PassthroughCluster')?.lbPolicy, 'CLUSTER_PROVIDED');
});

test('without a rule, circuit breakers are unlimited and panic mode is off', () => {
  const c = clustersFor([BOOKINFO]).get(`outbound|9080||${REVIEWS}`)!;
  assert.deepEqual(c.circuitBreakers?.thresholds, [
    { maxConnections: { value: UNLIMITED }, maxPendingRequests: { value: UNLIMITED }, maxRequests: { value: UNLIMITED }, maxRetries: { value: UNLIMITED }, trackRemaining: true },
  ]);
  assert.equal(c.outlierDetection, undefined);
  assert.deepEqual(c.commonLbConfig?.healthyPanicThreshold, { value: 0 });
  assert.equal(c.typedExtensionProtocolOptions, undefined, 'HTTP/1.1 port: no protocol options, Envoy defaults (idle 1 h)');
});

test('httpbin circuit breaker: maxConnections 1, http1MaxPendingRequests 1, maxRequestsPerConnection 1, outlier detection', () => {
  const c = clustersFor([BOOKINFO, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER]).get(`outbound|8000||${HTTPBIN_HOST}`)!;
  const t = c.circuitBreakers!.thresholds![0]!;
  assert.deepEqual(t.maxConnections, { value: 1 });
  assert.deepEqual(t.maxPendingRequests, { value: 1 });
  assert.deepEqual(t.maxRequests, { value: UNLIMITED });
  assert.deepEqual(t.maxRetries, { value: UNLIMITED });
  assert.deepEqual(httpOpts(c)?.commonHttpProtocolOptions, { maxRequestsPerConnection: { value: 1 } });
  assert.deepEqual(httpOpts(c)?.explicitHttpConfig, { httpProtocolOptions: {} });
  assert.deepEqual(c.outlierDetection, {
    enforcingSuccessRate: { value: 0 },
    consecutive_5xx: { value: 1 },
    enforcingConsecutive_5xx: { value: 100 },
    interval: { seconds: 1, nanos: 0 },
    baseEjectionTime: { seconds: 180, nanos: 0 },
    maxEjectionPercent: { value: 100 },
  });
  assert.deepEqual(c.commonLbConfig?.healthyPanicThreshold, { value: 0 });
});

test('outlier detection: unset fields stay unset (Envoy defaults), gateway errors and local-origin errors map as istiod', () => {
  const rule = dr('httpbin', 'httpbin', `  trafficPolicy:
    outlierDetection:
      consecutiveGatewayErrors: 3
      consecutive5xxErrors: 0
      splitExternalLocalOriginErrors: true
      consecutiveLocalOriginFailures: 4
      minHealthPercent: 25
    connectionPool:
      tcp: {connectTimeout: 250ms, tcpKeepalive: {probes: 3, time: 90s, interval: 1500ms}}
      http: {http2MaxRequests: 50, maxRetries: 4, idleTimeout: 30s}`);
  const c = clustersFor([BOOKINFO, HTTPBIN, rule]).get(`outbound|8000||${HTTPBIN_HOST}`)!;
  assert.deepEqual(c.outlierDetection, {
    enforcingSuccessRate: { value: 0 },
    consecutive_5xx: { value: 0 },
    enforcingConsecutive_5xx: { value: 0 },
    consecutiveGatewayFailure: { value: 3 },
    enforcingConsecutiveGatewayFailure: { value: 100 },
    splitExternalLocalOriginErrors: true,
    consecutiveLocalOriginFailure: { value: 4 },
    enforcingConsecutiveLocalOriginFailure: { value: 100 },
    enforcingLocalOriginSuccessRate: { value: 0 },
  });
  assert.deepEqual(c.commonLbConfig?.healthyPanicThreshold, { value: 25 });
  assert.deepEqual(c.connectTimeout, { seconds: 0, nanos: 250_000_000 });
  assert.deepEqual(c.upstreamConnectionOptions, { tcpKeepalive: { keepaliveProbes: { value: 3 }, keepaliveTime: { value: 90 }, keepaliveInterval: { value: 1 } } });
  const t = c.circuitBreakers!.thresholds![0]!;
  assert.deepEqual([t.maxRequests, t.maxRetries, t.maxConnections], [{ value: 50 }, { value: 4 }, { value: UNLIMITED }]);
  assert.deepEqual(httpOpts(c)?.commonHttpProtocolOptions, { idleTimeout: { seconds: 30, nanos: 0 } });
});

test('load balancer: simple policies, consistent hash by header (ring hash 1024), maglev, hash policy for routes', () => {
  const cases: [string, Partial<Cluster>][] = [
    ['simple: ROUND_ROBIN', { lbPolicy: 'ROUND_ROBIN' }],
    ['simple: RANDOM', { lbPolicy: 'RANDOM' }],
    ['simple: LEAST_REQUEST', { lbPolicy: 'LEAST_REQUEST' }],
    ['simple: UNSPECIFIED', { lbPolicy: 'LEAST_REQUEST' }],
    ['consistentHash: {httpHeaderName: x-user}', { lbPolicy: 'RING_HASH', ringHashLbConfig: { minimumRingSize: { value: 1024 } } }],
    ['consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 4096}}', { lbPolicy: 'RING_HASH', ringHashLbConfig: { minimumRingSize: { value: 4096 } } }],
    ['consistentHash: {useSourceIp: true, maglev: {tableSize: 65537}}', { lbPolicy: 'MAGLEV', maglevLbConfig: { tableSize: { value: 65537 } } }],
  ];
  for (const [lb, want] of cases) {
    const c = clustersFor([BOOKINFO, dr('reviews', 'reviews', `  trafficPolicy:\n    loadBalancer: {${lb}}`)]).get(`outbound|9080||${REVIEWS}`)!;
    assert.equal(c.lbPolicy, want.lbPolicy, lb);
    assert.deepEqual(c.ringHashLbConfig, want.ringHashLbConfig, lb);
    assert.deepEqual(c.maglevLbConfig, want.maglevLbConfig, lb);
  }
  assert.deepEqual(hashPolicyFor({ loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } }), [{ header: { headerName: 'x-user' } }]);
  assert.deepEqual(hashPolicyFor({ loadBalancer: { consistentHash: { httpCookie: { name: 'user', path: '/', ttl: '10s' } } } }), [
    { cookie: { name: 'user', ttl: { seconds: 10, nanos: 0 }, path: '/' } },
  ]);
  assert.deepEqual(hashPolicyFor({ loadBalancer: { consistentHash: { useSourceIp: true } } }), [{ connectionProperties: { sourceIp: true } }]);
  assert.deepEqual(hashPolicyFor({ loadBalancer: { consistentHash: { httpQueryParameterName: 'u' } } }), [{ queryParameter: { name: 'u' } }]);
  assert.deepEqual(hashPolicyFor({ loadBalancer: { simple: 'RANDOM' } }), []);
});

test('a PASSTHROUGH subset becomes an ORIGINAL_DST cluster without EDS', () => {
  const rule = dr('reviews', 'reviews', `  subsets:
  - {name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {simple: PASSTHROUGH}}}`);
  const c = clustersFor([BOOKINFO, rule]).get(`outbound|9080|v1|${REVIEWS}`)!;
  assert.equal(c.type, 'ORIGINAL_DST');
  assert.equal(c.lbPolicy, 'CLUSTER_PROVIDED');
  assert.equal(c.edsClusterConfig, undefined);
});

test('port-level settings override the top level for that port only; subsets inherit per field group', () => {
  const rule = dr('reviews', 'reviews', `  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    connectionPool: {tcp: {maxConnections: 100}}
    portLevelSettings:
    - port: {number: 9080}
      connectionPool: {tcp: {maxConnections: 7}}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: {loadBalancer: {simple: RANDOM}}
  - name: v2
    labels: {version: v2}`);
  const cs = clustersFor([BOOKINFO, rule]);
  const main = cs.get(`outbound|9080||${REVIEWS}`)!;
  assert.equal(main.lbPolicy, 'LEAST_REQUEST', 'the port-level policy does not inherit ROUND_ROBIN');
  assert.deepEqual(main.circuitBreakers!.thresholds![0]!.maxConnections, { value: 7 });
  const v1 = cs.get(`outbound|9080|v1|${REVIEWS}`)!;
  assert.equal(v1.lbPolicy, 'RANDOM');
  assert.deepEqual(v1.circuitBreakers!.thresholds![0]!.maxConnections, { value: 7 });
  const v2 = cs.get(`outbound|9080|v2|${REVIEWS}`)!;
  assert.equal(v2.lbPolicy, 'LEAST_REQUEST');
  // The same policy the route builder would read for hash policies.
  const s = snapshotOf([BOOKINFO, rule]);
  const r = destinationRuleFor(s, sidecarOf(s, 'productpage-v1'), s.registry.servicesByHost(REVIEWS)[0]!)!;
  assert.deepEqual(effectiveTrafficPolicy(r.spec.trafficPolicy, 9080, r.spec.subsets![0]), { loadBalancer: { simple: 'RANDOM' }, connectionPool: { tcp: { maxConnections: 7 } } });
});

test('auto mTLS: tlsMode-istio match with ISTIO_MUTUAL and a plaintext default', () => {
  const c = clustersFor([BOOKINFO, DESTINATION_RULE_ALL]).get(`outbound|9080|v1|${REVIEWS}`)!;
  assert.equal(c.transportSocket, undefined);
  const [istio, plain] = c.transportSocketMatches!;
  assert.equal(istio!.name, 'tlsMode-istio');
  assert.deepEqual(istio!.match, { fields: { tlsMode: { stringValue: 'istio' } } });
  const ctx = istio!.transportSocket!.typedConfig as UpstreamTlsContext;
  assert.equal(istio!.transportSocket!.typedConfig!['@type'], TypeUrl.UpstreamTlsContext);
  assert.equal(ctx.sni, `outbound_.9080_.v1_.${REVIEWS}`);
  assert.deepEqual(ctx.commonTlsContext?.tlsCertificateSdsSecretConfigs?.map((x) => x.name), ['default']);
  assert.equal(ctx.commonTlsContext?.combinedValidationContext?.validationContextSdsSecretConfig?.name, 'ROOTCA');
  assert.deepEqual(ctx.commonTlsContext?.combinedValidationContext?.defaultValidationContext?.matchSubjectAltNames, [
    { exact: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' },
  ]);
  assert.deepEqual(plain, {
    name: 'tlsMode-disabled',
    match: {},
    transportSocket: { name: 'envoy.transport_sockets.raw_buffer', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' } },
  });
});

test('auto mTLS is off when mesh config disables it or a namespace PeerAuthentication is DISABLE; STRICT keeps it', () => {
  const off = clustersFor([BOOKINFO], 'productpage-v1', meshConfigWith({ enableAutoMtls: false })).get(`outbound|9080||${REVIEWS}`)!;
  assert.equal(off.transportSocketMatches, undefined);
  assert.equal(off.transportSocket, undefined);
  const pa = (mode: string) => `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: default}\nspec:\n  mtls: {mode: ${mode}}`;
  assert.equal(clustersFor([BOOKINFO, pa('DISABLE')]).get(`outbound|9080||${REVIEWS}`)!.transportSocketMatches, undefined);
  assert.equal(clustersFor([BOOKINFO, pa('STRICT')]).get(`outbound|9080||${REVIEWS}`)!.transportSocketMatches?.length, 2);
});

test('explicit ISTIO_MUTUAL is a plain transport socket; DISABLE turns auto mTLS off', () => {
  const cs = clustersFor([BOOKINFO, dr('reviews', 'reviews', `  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
  subsets:
  - {name: v1, labels: {version: v1}, trafficPolicy: {tls: {mode: DISABLE}}}`)]);
  const main = cs.get(`outbound|9080||${REVIEWS}`)!;
  assert.equal(main.transportSocketMatches, undefined);
  assert.equal(tlsContext(main)?.sni, `outbound_.9080_._.${REVIEWS}`);
  const v1 = cs.get(`outbound|9080|v1|${REVIEWS}`)!;
  assert.equal(v1.transportSocket, undefined);
  assert.equal(v1.transportSocketMatches, undefined);
});

const EXTERNAL = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext}
spec:
  hosts: [httpbin.org]
  ports:
  - {number: 443, name: https, protocol: TLS}
  - {number: 80, name: http, protocol: HTTP, targetPort: 443}
  resolution: DNS
  location: MESH_EXTERNAL`;

test('TLS SIMPLE to an external ServiceEntry: STRICT_DNS with the host as endpoint, TLS with SNI and system CA', () => {
  const rule = dr('httpbin-ext', 'httpbin.org', `  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE, sni: httpbin.org}`);
  const cs = clustersFor([BOOKINFO, EXTERNAL, rule]);
  const c = cs.get('outbound|80||httpbin.org')!;
  assert.equal(c.type, 'STRICT_DNS');
  assert.equal(c.dnsLookupFamily, 'V4_ONLY');
  assert.equal(c.respectDnsTtl, true);
  const ep = c.loadAssignment!.endpoints![0]!.lbEndpoints![0]!;
  assert.deepEqual(ep.endpoint?.address?.socketAddress, { address: 'httpbin.org', portValue: 443 });
  assert.equal(ep.metadata?.filterMetadata?.['envoy.transport_socket_match'], undefined);
  assert.equal(c.transportSocketMatches, undefined, 'no auto mTLS to mesh-external services');
  const ctx = tlsContext(c)!;
  assert.equal(c.transportSocket?.name, 'envoy.transport_sockets.tls');
  assert.equal(ctx.sni, 'httpbin.org');
  assert.deepEqual(ctx.commonTlsContext?.validationContext, { systemRootCerts: {} });
  assert.deepEqual(httpOpts(c)?.upstreamHttpProtocolOptions, undefined, 'sni given: no auto SNI');
  // Port 443 has no TLS setting (port-level settings are per port): plaintext passthrough of the app's TLS.
  assert.equal(cs.get('outbound|443||httpbin.org')!.transportSocket, undefined);
  // Without sni/SANs Envoy derives both from the request.
  const auto = clustersFor([BOOKINFO, EXTERNAL, dr('x', 'httpbin.org', '  trafficPolicy: {tls: {mode: SIMPLE}}')]).get('outbound|80||httpbin.org')!;
  assert.deepEqual(httpOpts(auto)?.upstreamHttpProtocolOptions, { autoSni: true, autoSanValidation: true });
  assert.equal(tlsContext(auto)?.sni, undefined);
});

test('TLS MUTUAL with files; credentialName is ignored on sidecars unless the rule has a workloadSelector', () => {
  const mutual = dr('x', 'httpbin.org', `  trafficPolicy:
    tls: {mode: MUTUAL, clientCertificate: /etc/certs/c.pem, privateKey: /etc/certs/k.pem, caCertificates: /etc/certs/ca.pem, subjectAltNames: [httpbin.org]}`);
  const ctx = tlsContext(clustersFor([BOOKINFO, EXTERNAL, mutual]).get('outbound|80||httpbin.org'))!;
  assert.deepEqual(ctx.commonTlsContext?.tlsCertificates, [{ certificateChain: { filename: '/etc/certs/c.pem' }, privateKey: { filename: '/etc/certs/k.pem' } }]);
  assert.deepEqual(ctx.commonTlsContext?.validationContext, { matchSubjectAltNames: [{ exact: 'httpbin.org' }], trustedCa: { filename: '/etc/certs/ca.pem' } });
  const cred = (sel: string) => dr('x', 'httpbin.org', `${sel}  trafficPolicy:\n    tls: {mode: MUTUAL, credentialName: client-cred}`);
  assert.equal(clustersFor([BOOKINFO, EXTERNAL, cred('')]).get('outbound|80||httpbin.org')!.transportSocket, undefined);
  const withSel = tlsContext(clustersFor([BOOKINFO, EXTERNAL, cred('  workloadSelector: {matchLabels: {app: productpage}}\n')]).get('outbound|80||httpbin.org'))!;
  assert.deepEqual(withSel.commonTlsContext?.tlsCertificateSdsSecretConfigs?.map((x) => x.name), ['client-cred']);
  assert.equal(withSel.commonTlsContext?.combinedValidationContext?.validationContextSdsSecretConfig?.name, 'client-cred-cacert');
  const skip = dr('x', 'httpbin.org', '  trafficPolicy: {tls: {mode: SIMPLE, insecureSkipVerify: true}}');
  assert.deepEqual(tlsContext(clustersFor([BOOKINFO, EXTERNAL, skip]).get('outbound|80||httpbin.org'))?.commonTlsContext?.validationContext, {});
});

test('DNS_ROUND_ROBIN → LOGICAL_DNS with one endpoint; resolution NONE → ORIGINAL_DST; gateways get no Passthrough or inbound clusters', () => {
  const se = (name: string, res: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}}
spec:
  hosts: [${name}.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: ${res}`;
  const s = snapshotOf([BOOKINFO, se('rr', 'DNS_ROUND_ROBIN'), se('none', 'NONE')]);
  const node = sidecarOf(s, 'productpage-v1');
  const cs = new Map(buildOutboundClusters(s, node).map((c) => [c.name, c]));
  const rr = cs.get('outbound|443||rr.example.com')!;
  assert.equal(rr.type, 'LOGICAL_DNS');
  assert.deepEqual(rr.loadAssignment?.endpoints?.flatMap((l) => l.lbEndpoints ?? []).map((e) => e.endpoint?.address?.socketAddress), [
    { address: 'rr.example.com', portValue: 443 },
  ]);
  const none = cs.get('outbound|443||none.example.com')!;
  assert.equal(none.type, 'ORIGINAL_DST');
  assert.equal(none.lbPolicy, 'CLUSTER_PROVIDED');
  const gw = { ...node, role: 'router' as const, id: 'router~x' };
  const gcs = buildClusters(s, gw).map((c) => c.name!);
  assert.ok(gcs.includes('BlackHoleCluster'));
  assert.ok(!gcs.includes('PassthroughCluster'));
  assert.ok(!gcs.some((n) => n.startsWith('inbound|')));
});

test('HTTP/2 and gRPC ports speak HTTP/2 upstream; ports of unknown protocol use the downstream protocol', () => {
  const svc = `apiVersion: v1
kind: Service
metadata: {name: grpc}
spec:
  selector: {app: grpc}
  ports:
  - {port: 7070, name: grpc}
  - {port: 7071, name: other}`;
  const cs = clustersFor([BOOKINFO, svc]);
  assert.deepEqual(httpOpts(cs.get('outbound|7070||grpc.default.svc.cluster.local'))?.explicitHttpConfig, { http2ProtocolOptions: {} });
  assert.deepEqual(httpOpts(cs.get('outbound|7071||grpc.default.svc.cluster.local'))?.useDownstreamProtocolConfig, { httpProtocolOptions: {}, http2ProtocolOptions: {} });
});

test('determinism: same input → byte-identical output, whatever the resource order', () => {
  const texts = [BOOKINFO, DESTINATION_RULE_ALL, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER, EXTERNAL];
  const s1 = snapshotOf(texts);
  const a = JSON.stringify(buildClusters(s1, sidecarOf(s1, 'productpage-v1')));
  const b = JSON.stringify(buildClusters(s1, sidecarOf(s1, 'productpage-v1')));
  assert.equal(a, b);
  const s2 = snapshotOf([...texts].reverse());
  assert.equal(JSON.stringify(buildClusters(s2, sidecarOf(s2, 'productpage-v1'))), a);
});

test('round trip: every cluster encodes to Envoy protobuf and decodes back unchanged', () => {
  const texts = [BOOKINFO, DESTINATION_RULE_ALL, HTTPBIN, HTTPBIN_CIRCUIT_BREAKER, EXTERNAL,
    dr('ext', 'httpbin.org', '  trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: /c, privateKey: /k, caCrl: /crl}, loadBalancer: {consistentHash: {httpCookie: {name: u, ttl: 5s}, maglev: {tableSize: 1031}}}}'),
  ];
  const s = snapshotOf(texts);
  const clusters = buildClusters(s, sidecarOf(s, 'productpage-v1'));
  assert.ok(clusters.length > 15);
  for (const c of clusters) assert.deepEqual(roundTrip(TypeUrl.Cluster, c), c, c.name);
});

test('auto SNI / auto SAN validation as istiod setAutoSniAndAutoSanValidation: SANs or insecureSkipVerify leave auto SNI only; caCrl is kept', () => {
  const opts = (tls: string) => httpOpts(clustersFor([BOOKINFO, EXTERNAL, dr('x', 'httpbin.org', `  trafficPolicy: {tls: ${tls}}`)]).get('outbound|80||httpbin.org'))?.upstreamHttpProtocolOptions;
  assert.deepEqual(opts('{mode: SIMPLE, subjectAltNames: [api.example]}'), { autoSni: true });
  assert.deepEqual(opts('{mode: SIMPLE, insecureSkipVerify: true}'), { autoSni: true });
  assert.deepEqual(opts('{mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem}'), { autoSni: true, autoSanValidation: true });
  assert.equal(opts('{mode: SIMPLE, sni: api.example}'), undefined);
  assert.equal(opts('{mode: ISTIO_MUTUAL}'), undefined, 'mesh mTLS keeps its own SNI and SPIFFE SANs');
  const crl = tlsContext(clustersFor([BOOKINFO, EXTERNAL, dr('x', 'httpbin.org', '  trafficPolicy: {tls: {mode: SIMPLE, caCrl: /etc/certs/crl.pem}}')]).get('outbound|80||httpbin.org'));
  assert.deepEqual(crl?.commonTlsContext?.validationContext, { systemRootCerts: {}, crl: { filename: '/etc/certs/crl.pem' } });
});

test('DestinationRule retryBudget becomes the circuit breaker retry_budget (percent, minRetryConcurrency); subsets may set their own', () => {
  const rule = dr('reviews', 'reviews', `  trafficPolicy: {retryBudget: {percent: 25, minRetryConcurrency: 4}}
  subsets:
  - {name: v1, labels: {version: v1}, trafficPolicy: {retryBudget: {percent: 5}}}
  - {name: v2, labels: {version: v2}}
`);
  const cs = clustersFor([BOOKINFO, rule]);
  assert.deepEqual(cs.get(`outbound|9080||${REVIEWS}`)?.circuitBreakers?.thresholds?.[0]?.retryBudget, { budgetPercent: { value: 25 }, minRetryConcurrency: { value: 4 } });
  assert.deepEqual(cs.get(`outbound|9080|v1|${REVIEWS}`)?.circuitBreakers?.thresholds?.[0]?.retryBudget, { budgetPercent: { value: 5 } });
  assert.deepEqual(cs.get(`outbound|9080|v2|${REVIEWS}`)?.circuitBreakers?.thresholds?.[0]?.retryBudget, { budgetPercent: { value: 25 }, minRetryConcurrency: { value: 4 } });
  assert.equal(cs.get('outbound|9080||details.default.svc.cluster.local')?.circuitBreakers?.thresholds?.[0]?.retryBudget, undefined);
  const rt = roundTrip(TypeUrl.Cluster, cs.get(`outbound|9080||${REVIEWS}`)!);
  assert.deepEqual(rt.circuitBreakers?.thresholds?.[0]?.retryBudget, { budgetPercent: { value: 25 }, minRetryConcurrency: { value: 4 } });
});
