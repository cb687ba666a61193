import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { destinationRuleKind, type DestinationRuleSpec } from './destination-rule.js';
import { parseText } from '../load.js';

const meta = { name: 'x', namespace: 'default' };
const validate = (spec: unknown) => destinationRuleKind.validate(spec, meta);

function ok(spec: unknown): DestinationRuleSpec {
  const r = validate(spec);
  const errs = r.issues.filter((i) => i.level === 'Error');
  assert.deepEqual(errs, [], JSON.stringify(errs));
  assert.ok(r.spec);
  return r.spec;
}

function fails(spec: unknown, path: (string | number)[], fragment: string): void {
  const r = validate(spec);
  assert.equal(r.spec, undefined, 'expected the spec to be rejected');
  const hit = r.issues.find((i) => i.level === 'Error' && JSON.stringify(i.path) === JSON.stringify(path) && i.message.includes(fragment));
  assert.ok(hit, `no error at ${JSON.stringify(path)} containing "${fragment}"; got ${JSON.stringify(r.issues)}`);
}

const tp = (trafficPolicy: object) => ({ host: 'reviews', trafficPolicy });
const sub = (name: string) => ({ name, labels: { version: name } });

describe('DestinationRule: Istio samples', () => {
  it('accepts Bookinfo destination-rule-all.yaml', () => {
    ok({ host: 'productpage', subsets: [sub('v1')] });
    ok({ host: 'reviews', subsets: [sub('v1'), sub('v2'), sub('v3')] });
    ok({ host: 'ratings', subsets: [sub('v1'), sub('v2'), sub('v2-mysql'), sub('v2-mysql-vm')] });
    ok({ host: 'details', subsets: [sub('v1'), sub('v2')] });
    ok({ host: 'reviews', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, subsets: [sub('v1')] });
  });
  it('accepts the httpbin circuit-breaking example', () => {
    ok({
      host: 'httpbin',
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
        outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
      },
    });
  });
  it('accepts every less common field', () => {
    ok({
      host: '*.example.com',
      exportTo: ['.'],
      workloadSelector: { matchLabels: { app: 'client' } },
      trafficPolicy: {
        loadBalancer: {
          consistentHash: { httpCookie: { name: 'user', path: '/', ttl: '0s', attributes: [{ name: 'SameSite', value: 'Strict' }] }, maglev: { tableSize: 65537 } },
          localityLbSetting: { enabled: true, distribute: [{ from: 'us-west/zone1/*', to: { 'us-west/zone1/*': 80, 'us-west/zone2/*': 20 } }] },
          warmup: { duration: '60s', minimumPercent: 10, aggression: 1.5 },
        },
        connectionPool: {
          tcp: { maxConnections: 100, connectTimeout: '30ms', tcpKeepalive: { probes: 3, time: '7200s', interval: '75s' }, maxConnectionDuration: '1h', idleTimeout: '0s' },
          http: { http2MaxRequests: 1000, maxRetries: 3, idleTimeout: '1h', h2UpgradePolicy: 'UPGRADE', maxConcurrentStreams: 100 },
        },
        outlierDetection: { splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 5, consecutiveGatewayErrors: 3, minHealthPercent: 50 },
        tls: { mode: 'SIMPLE', credentialName: 'client-credential', sni: 'my.example.com', subjectAltNames: ['my.example.com'] },
        portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'RANDOM', warmupDurationSecs: '10s' } }],
        retryBudget: { percent: 20, minRetryConcurrency: 3 },
      },
      subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { tunnel: { protocol: 'CONNECT', targetHost: '10.0.0.1', targetPort: 8443 } } }],
    });
    ok(tp({ proxyProtocol: { version: 'V2' }, tls: { mode: 'MUTUAL', clientCertificate: '/c.pem', privateKey: '/k.pem', caCertificates: '/ca.pem' } }));
  });
});

describe('DestinationRule: deprecated fields', () => {
  it('ignores outlierDetection.consecutiveErrors with IST0133, as Istio since 1.7 (no ejection setting derived from it)', () => {
    const r = validate({ host: 'reviews', trafficPolicy: { outlierDetection: { consecutiveErrors: 7 } }, subsets: [{ name: 'v1', trafficPolicy: { outlierDetection: { consecutiveErrors: 2, consecutive5xxErrors: 4 } } }] });
    assert.deepEqual(r.spec?.trafficPolicy?.outlierDetection, {});
    assert.deepEqual(r.spec?.subsets?.[0]?.trafficPolicy?.outlierDetection, { consecutive5xxErrors: 4 });
    const w = r.issues.filter((i) => i.level === 'Warning');
    assert.equal(w.length, 2);
    assert.deepEqual(w[0]?.path, ['spec', 'trafficPolicy', 'outlierDetection', 'consecutiveErrors']);
    assert.equal(w[0]?.code, 'IST0133');
    assert.equal(w[0]?.message, 'Schema validation warning: outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead');
    const zero = validate({ host: 'reviews', trafficPolicy: { outlierDetection: { consecutiveErrors: 0 } } });
    assert.equal(zero.issues.length, 0, 'a zero value is not warned about (Istio warns only when it is set)');
  });
  it('maps LEAST_CONN to LEAST_REQUEST, also at port level', () => {
    const r = validate(tp({ loadBalancer: { simple: 'LEAST_CONN' }, portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'LEAST_CONN' } }] }));
    assert.equal(r.spec?.trafficPolicy?.loadBalancer?.simple, 'LEAST_REQUEST');
    assert.equal(r.spec?.trafficPolicy?.portLevelSettings?.[0]?.loadBalancer?.simple, 'LEAST_REQUEST');
    assert.equal(r.issues.filter((i) => i.level === 'Warning').length, 2);
  });
  it('maps consistentHash.minimumRingSize to ringHash.minimumRingSize', () => {
    const input = tp({ loadBalancer: { consistentHash: { useSourceIp: true, minimumRingSize: 2048 } } });
    const before = JSON.stringify(input);
    const r = validate(input);
    assert.deepEqual(r.spec?.trafficPolicy?.loadBalancer?.consistentHash, { useSourceIp: true, ringHash: { minimumRingSize: 2048 } });
    assert.ok(r.issues.some((i) => i.level === 'Warning' && /minimumRingSize/.test(i.message)));
    assert.equal(JSON.stringify(input), before);
    fails(tp({ loadBalancer: { consistentHash: { useSourceIp: true, minimumRingSize: 2048, maglev: { tableSize: 65537 } } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'consistentHash', 'minimumRingSize'], 'only one of MinimumRingSize');
  });
});

describe('DestinationRule: webhook rules', () => {
  it('rejects unknown fields and missing host', () => {
    fails(tp({ loadBalancer: { simple: 'ROUND_ROBIN', foo: 1 } }), ['spec', 'trafficPolicy', 'loadBalancer', 'foo'], 'unknown field');
    fails({}, ['spec', 'host'], '');
  });
  it('checks the host', () => fails({ host: 'a.*.com' }, ['spec', 'host'], 'invalid'));
  it('requires traffic policy content', () => fails(tp({}), ['spec', 'trafficPolicy'], 'at least one field'));
  it('enforces loadBalancer oneofs', () => {
    fails(tp({ loadBalancer: { simple: 'RANDOM', consistentHash: { useSourceIp: true } } }), ['spec', 'trafficPolicy', 'loadBalancer'], 'only one of simple or consistentHash');
    fails(tp({ loadBalancer: { consistentHash: { useSourceIp: true, httpHeaderName: 'x' } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'consistentHash'], 'only one of httpHeaderName');
    fails(tp({ loadBalancer: { consistentHash: { useSourceIp: true, ringHash: {}, maglev: { tableSize: 65537 } } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'consistentHash'], 'only one of ringHash or maglev');
    fails(tp({ loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 65536 } } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'consistentHash', 'maglev', 'tableSize'], 'prime');
    fails(tp({ loadBalancer: { consistentHash: { httpCookie: { ttl: '10s' } } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'consistentHash', 'httpCookie', 'name'], 'name required');
  });
  it('checks locality settings', () => {
    fails(tp({ outlierDetection: {}, loadBalancer: { localityLbSetting: { distribute: [{ from: 'a/*', to: { 'a/*': 50 } }] } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'localityLbSetting', 'distribute', 0, 'to'], 'total locality weight 50 != 100');
    fails(tp({ outlierDetection: {}, loadBalancer: { localityLbSetting: { failover: [{ from: 'a', to: 'a' }] } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'localityLbSetting', 'failover', 0], 'different regions');
    fails(tp({ loadBalancer: { localityLbSetting: { distribute: [{ from: 'a', to: { b: 100 } }], failover: [{ from: 'a', to: 'b' }] } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'localityLbSetting'], "'distribute' and 'failover'");
  });
  it('checks connection pools and outlier detection', () => {
    fails(tp({ connectionPool: {} }), ['spec', 'trafficPolicy', 'connectionPool'], 'at least one field');
    fails(tp({ connectionPool: { http: { http2MaxRequests: -1 } } }), ['spec', 'trafficPolicy', 'connectionPool', 'http', 'http2MaxRequests'], 'non-negative');
    fails(tp({ connectionPool: { http: { h2UpgradePolicy: 'UPGRADE', useClientProtocol: true } } }), ['spec', 'trafficPolicy', 'connectionPool', 'http', 'useClientProtocol'], 'must not be true');
    fails(tp({ connectionPool: { tcp: { connectTimeout: '0s' } } }), ['spec', 'trafficPolicy', 'connectionPool', 'tcp', 'connectTimeout'], 'greater than 1ms');
    fails(tp({ outlierDetection: { maxEjectionPercent: 150 } }), ['spec', 'trafficPolicy', 'outlierDetection', 'maxEjectionPercent'], 'not in range 0..100');
    fails(tp({ outlierDetection: { consecutiveLocalOriginFailures: 3 } }), ['spec', 'trafficPolicy', 'outlierDetection', 'consecutiveLocalOriginFailures'], 'split external local origin errors is set to false');
  });
  it('checks client TLS', () => {
    fails(tp({ tls: { mode: 'MUTUAL' } }), ['spec', 'trafficPolicy', 'tls', 'clientCertificate'], 'client certificate required');
    fails(tp({ tls: { mode: 'SIMPLE', credentialName: 'c', caCertificates: '/ca.pem' } }), ['spec', 'trafficPolicy', 'tls', 'credentialName'], 'cannot specify client certificates');
    fails(tp({ tls: { mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/ca.pem' } }), ['spec', 'trafficPolicy', 'tls', 'insecureSkipVerify'], 'InsecureSkipVerify');
    fails(tp({ tls: { mode: 'SIMPLE', credentialName: 'configmap://other/ca' } }), ['spec', 'trafficPolicy', 'tls', 'credentialName'], 'namespace must match');
  });
  it('requires a port on port-level settings', () => {
    fails(tp({ portLevelSettings: [{ loadBalancer: { simple: 'RANDOM' } }] }), ['spec', 'trafficPolicy', 'portLevelSettings', 0], 'must have valid port');
    fails(tp({ portLevelSettings: [{ port: { number: 80 } }] }), ['spec', 'trafficPolicy', 'portLevelSettings', 0], 'at least one field');
  });
  it('checks tunnel and proxy protocol', () => {
    fails(tp({ tunnel: { protocol: 'GET', targetHost: 'a.example.com', targetPort: 443 } }), ['spec', 'trafficPolicy', 'tunnel', 'protocol'], 'CONNECT');
    fails(tp({ tunnel: { targetHost: 'a.example.com' } }), ['spec', 'trafficPolicy', 'tunnel', 'targetPort'], 'tunnel target port is invalid');
    fails(tp({ tunnel: { targetHost: 'a.example.com', targetPort: 443 }, proxyProtocol: { version: 'V1' } }), ['spec', 'trafficPolicy'], 'tunnel and proxyProtocol');
  });
  it('checks subsets', () => {
    fails({ host: 'r', subsets: [sub('v1'), sub('v1')] }, ['spec', 'subsets', 1, 'name'], 'duplicate subset names');
    fails({ host: 'r', subsets: [{ name: 'V_1' }] }, ['spec', 'subsets', 0, 'name'], 'subset name is invalid');
    fails({ host: 'r', subsets: [{ name: 'v1', labels: { 'bad key!': 'x' } }] }, ['spec', 'subsets', 0, 'labels', 'bad key!'], 'invalid tag key');
  });
  it('checks exportTo and workload selectors', () => {
    fails({ host: 'r', exportTo: ['~'] }, ['spec', 'exportTo', 0], 'not allowed');
    fails({ host: 'r', workloadSelector: { matchLabels: { app: 'a' } }, exportTo: ['*'] }, ['spec', 'exportTo'], 'beyond current namespace');
    fails({ host: 'r', workloadSelector: { matchLabels: { app: 'a*' } } }, ['spec', 'workloadSelector', 'matchLabels', 'app'], 'wildcard is not supported');
  });
});

describe('DestinationRule: retryBudget', () => {
  it('budgetInterval is accepted; the loader warns WFT0100 that it is not enforced (Envoy retry_budget has no interval)', () => {
    const r = validate(tp({ retryBudget: { percent: 20, budgetInterval: '10s' } }));
    assert.ok(r.spec, 'accepted');
    const yaml = [
      'apiVersion: networking.istio.io/v1', 'kind: DestinationRule', 'metadata: {name: r}', 'spec:', '  host: reviews',
      '  trafficPolicy:', '    retryBudget:', '      percent: 20', '      budgetInterval: 10s', '',
    ].join('\n');
    const out = parseText('dr.yaml', yaml);
    assert.equal(out.resources.length, 1);
    const w = out.diagnostics.find((d) => d.code === 'WFT0100' && d.field === 'spec.trafficPolicy.retryBudget.budgetInterval');
    assert.ok(w, JSON.stringify(out.diagnostics));
    assert.equal(w.level, 'Warning');
    assert.equal(w.source?.line, 9);
    assert.match(w.message, /no interval/);
    assert.equal(parseText('dr.yaml', yaml.replace('      budgetInterval: 10s\n', '')).diagnostics.length, 0);
  });
});

describe('DestinationRule: connectionPool.http.http2KeepAlive (Istio 2025)', () => {
  it('is accepted with interval and timeout; each is required when http2KeepAlive is set', () => {
    ok(tp({ connectionPool: { http: { http2KeepAlive: { interval: '30s', timeout: '5s' } } } }));
    fails(tp({ connectionPool: { http: { http2KeepAlive: { interval: '30s' } } } }), ['spec', 'trafficPolicy', 'connectionPool', 'http', 'http2KeepAlive', 'timeout'], 'required');
    fails(tp({ connectionPool: { http: { http2KeepAlive: { timeout: '5s' } } } }), ['spec', 'trafficPolicy', 'connectionPool', 'http', 'http2KeepAlive', 'interval'], 'required');
  });
});

describe('DestinationRule: outlierDetection.outlierDetectionHttpErrorCodes (Istio 2026)', () => {
  it('is accepted with statuses in 100..599 (and warned about as unsupported by the loader); others are refused', () => {
    ok(tp({ outlierDetection: { consecutive5xxErrors: 3, outlierDetectionHttpErrorCodes: [429, 503] } }));
    fails(tp({ outlierDetection: { outlierDetectionHttpErrorCodes: [429, 600] } }), ['spec', 'trafficPolicy', 'outlierDetection', 'outlierDetectionHttpErrorCodes', 1], '100..599');
  });
});
