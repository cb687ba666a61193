/**
 * Translation of access logging and tracing: mesh config `accessLogFile` / `accessLogEncoding`,
 * Telemetry `accessLogging` at root-namespace, namespace and workload scope with Istio's precedence,
 * `disabled`, `filter.expression`, `match.mode` (outbound = CLIENT, inbound = SERVER), providers
 * from mesh config, default providers, and the tracing block; every result encodes as real xDS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessLog, HttpConnectionManager, Listener } from '../../src/envoy/types.js';
import { BOOKINFO, resourcesFor, snapshotOf } from '../../src/simulate/testing/bookinfo-sim.js';
import { encodeResource, decodeResource } from '../../src/xds/protos.js';
import { TypeUrl } from '../../src/envoy/type-url.js';
import { ISTIO_TEXT_FORMAT } from '../../src/translate/telemetry/log-formats.js';
import type { MeshConfig } from '../../src/config/mesh-config.js';
import { compileAccessLogs } from '../../src/proxy/access-log/access-logger.js';

const HCM = 'envoy.filters.network.http_connection_manager';

function hcms(l: Listener): HttpConnectionManager[] {
  return [...(l.filterChains ?? []), ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]
    .flatMap((c) => c.filters ?? []).filter((f) => f.name === HCM).map((f) => f.typedConfig as unknown as HttpConnectionManager);
}

/** Access logs of reviews-v1's outbound (CLIENT) and inbound (SERVER) HCMs, and of the gateway. */
function logsOf(extra: string[], mesh: Partial<MeshConfig> = {}, workload = 'reviews-v1'): { client: readonly AccessLog[]; server: readonly AccessLog[]; all: Listener[] } {
  const snap = snapshotOf([BOOKINFO, ...extra].join('---\n'), mesh);
  const res = resourcesFor(snap, workload);
  const out = res.listeners.filter((l) => l.name !== 'virtualInbound').flatMap(hcms);
  const inb = res.listeners.filter((l) => l.name === 'virtualInbound').flatMap(hcms);
  assert.ok(out.length > 0 && inb.length > 0);
  const one = (list: HttpConnectionManager[]) => {
    const first = JSON.stringify(list[0]!.accessLog ?? []);
    for (const h of list) assert.equal(JSON.stringify(h.accessLog ?? []), first, 'every HCM of one side gets the same access logs');
    return list[0]!.accessLog ?? [];
  };
  return { client: one(out), server: one(inb), all: [...res.listeners] };
}

const path = (al: AccessLog) => (al.typedConfig as { path?: string }).path;
const filterOf = (al: AccessLog) => ((al.filter as { extensionFilter?: { typedConfig?: { expression?: string } } } | undefined)?.extensionFilter?.typedConfig?.expression);

const telemetry = (name: string, ns: string, spec: string, created?: string) => `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: ${name}, namespace: ${ns}${created ? `, creationTimestamp: "${created}"` : ''}}
spec:
${spec}
`;

test('off by default: no accessLog and no tracing anywhere', () => {
  const { client, server, all } = logsOf([]);
  assert.deepEqual([client.length, server.length], [0, 0]);
  for (const l of all) for (const h of hcms(l)) assert.equal(h.tracing, undefined);
});

test('mesh config accessLogFile: Istio text format, or its JSON fields with accessLogEncoding JSON', () => {
  const text = logsOf([], { accessLogFile: '/dev/stdout' });
  assert.equal(text.client.length, 1);
  assert.equal(text.client[0]!.name, 'envoy.access_loggers.file');
  assert.deepEqual(text.client[0]!.typedConfig, { '@type': TypeUrl.FileAccessLog, path: '/dev/stdout', logFormat: { textFormatSource: { inlineString: ISTIO_TEXT_FORMAT } } });
  assert.equal(text.server.length, 1);
  const json = logsOf([], { accessLogFile: '/tmp/a.log', accessLogEncoding: 'JSON' });
  const fields = (json.client[0]!.typedConfig as unknown as { logFormat: { jsonFormat: { fields: Record<string, { stringValue: string }> } } }).logFormat.jsonFormat.fields;
  assert.equal(fields['response_flags']!.stringValue, '%RESPONSE_FLAGS%');
  assert.equal(fields['upstream_cluster']!.stringValue, '%UPSTREAM_CLUSTER_RAW%');
  assert.equal(path(json.client[0]!), '/tmp/a.log');
});

test('Telemetry: mesh-wide enable in the root namespace, namespace disable, workload re-enable with a filter', () => {
  const root = telemetry('mesh-default', 'istio-system', '  accessLogging: [{providers: [{name: envoy}]}]');
  const nsOff = telemetry('ns-off', 'default', '  accessLogging: [{providers: [{name: envoy}], disabled: true}]');
  const wlOn = telemetry('reviews-errors', 'default', "  selector: {matchLabels: {app: reviews}}\n  accessLogging: [{providers: [{name: envoy}], filter: {expression: 'response.code >= 400'}}]");
  const a = logsOf([root]);
  assert.equal(a.client.length, 1);
  assert.equal(path(a.client[0]!), '/dev/stdout');
  assert.equal(filterOf(a.client[0]!), undefined);
  assert.deepEqual(logsOf([root, nsOff]).client, [], 'the namespace overrides the root namespace');
  const c = logsOf([root, nsOff, wlOn]);
  assert.equal(c.client.length, 1, 'the workload overrides the namespace');
  assert.equal(filterOf(c.client[0]!), 'response.code >= 400');
  assert.deepEqual(logsOf([root, nsOff, wlOn], {}, 'ratings-v1').client, [], 'a selector for other labels does not apply');
  // A provider disabled through Telemetry also suppresses mesh config's accessLogFile.
  assert.deepEqual(logsOf([nsOff], { accessLogFile: '/dev/stdout' }).client, []);
});

test('match.mode: CLIENT applies to outbound only, SERVER to inbound only', () => {
  const clientOnly = logsOf([telemetry('t', 'default', '  accessLogging: [{providers: [{name: envoy}], match: {mode: CLIENT}}]')]);
  assert.deepEqual([clientOnly.client.length, clientOnly.server.length], [1, 0]);
  const serverOnly = logsOf([telemetry('t', 'default', '  accessLogging: [{providers: [{name: envoy}], match: {mode: SERVER}}]')]);
  assert.deepEqual([serverOnly.client.length, serverOnly.server.length], [0, 1]);
});

test('of two namespace-wide Telemetries the older applies; providers come from mesh config (JSON labels, text)', () => {
  const providers: Partial<MeshConfig> = {
    extensionProviders: [
      { name: 'json-file', envoyFileAccessLog: { path: '/tmp/json.log', logFormat: { labels: { code: '%RESPONSE_CODE%', flags: '%RESPONSE_FLAGS%' } } } },
      { name: 'short', envoyFileAccessLog: { path: '/tmp/short.log', logFormat: { text: '%RESPONSE_CODE% %RESPONSE_FLAGS%' } } },
    ],
  };
  const older = telemetry('b-older', 'default', '  accessLogging: [{providers: [{name: json-file}]}]', '2024-01-01T00:00:00Z');
  const newer = telemetry('a-newer', 'default', '  accessLogging: [{providers: [{name: short}]}]', '2024-06-01T00:00:00Z');
  const r = logsOf([older, newer], providers);
  assert.equal(r.client.length, 1);
  assert.equal(path(r.client[0]!), '/tmp/json.log');
  const lf = (r.client[0]!.typedConfig as unknown as { logFormat: { jsonFormat: { fields: Record<string, unknown> } } }).logFormat;
  assert.deepEqual(Object.keys(lf.jsonFormat.fields), ['code', 'flags']);
  const s = logsOf([newer], providers);
  assert.deepEqual((s.client[0]!.typedConfig as unknown as { logFormat: unknown }).logFormat, { textFormatSource: { inlineString: '%RESPONSE_CODE% %RESPONSE_FLAGS%\n' } }, 'Istio appends the newline');
});

test('defaultProviders.accessLogging turns logs on without any Telemetry; an unknown provider gives nothing', () => {
  assert.equal(logsOf([], { defaultProviders: { accessLogging: ['envoy'] } }).client.length, 1);
  assert.equal(logsOf([telemetry('t', 'default', '  accessLogging: [{providers: [{name: nope}]}]')]).client.length, 0);
});

test('translated access logs and tracing encode as xDS and compile in the proxy', () => {
  const mesh: Partial<MeshConfig> = {
    extensionProviders: [{ name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } }, { name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } }],
    defaultProviders: { tracing: ['zipkin'] },
  };
  const t = telemetry('t', 'istio-system', "  tracing: [{randomSamplingPercentage: 25}]\n  accessLogging: [{providers: [{name: envoy}], filter: {expression: \"response.code >= 500 || request.headers['x-debug'] == '1'\"}}]");
  const { all } = logsOf([t], mesh);
  let seen = 0;
  for (const l of all) {
    const round = decodeResource<Listener>(TypeUrl.Listener, encodeResource(TypeUrl.Listener, l));
    for (const h of hcms(round)) {
      seen++;
      assert.equal(h.tracing?.provider?.name, 'envoy.tracers.zipkin');
      assert.equal(h.tracing?.randomSampling?.value, 25);
      const loggers = compileAccessLogs(h.accessLog)!;
      assert.equal(loggers.length, 1);
      assert.ok(loggers[0]!.filter !== undefined);
    }
  }
  assert.ok(seen >= 2);
  const gw = snapshotOf([BOOKINFO, t].join('---\n'), mesh);
  void gw;
});

test('tracing: Istio tags and root customTags; a workload Telemetry replaces customTags, turns off Istio tags and request-id sampling; encodes and compiles', async () => {
  const { compileTracing } = await import('../../src/proxy/tracing/tracing-config.js');
  const mesh: Partial<MeshConfig> = {
    extensionProviders: [{ name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411, maxTagLength: 99 } }],
    defaultProviders: { tracing: ['zipkin'] },
  };
  const root = telemetry('root', 'istio-system', '  tracing: [{customTags: {team: {literal: {value: core}}, who: {header: {name: X-User, defaultValue: anon}}}}]');
  const tracingOf = (extra: string[], workload: string) => {
    const res = resourcesFor(snapshotOf([BOOKINFO, ...extra].join('---\n'), mesh), workload);
    const out = res.listeners.filter((l) => l.name !== 'virtualInbound');
    const decoded = out.map((l) => decodeResource<Listener>(TypeUrl.Listener, encodeResource(TypeUrl.Listener, l)));
    const h = decoded.flatMap(hcms)[0]!;
    return { h, rt: compileTracing(h.tracing, h.requestIdExtension?.typedConfig)! };
  };
  const base = tracingOf([root], 'reviews-v1');
  assert.deepEqual(base.h.tracing?.customTags, [
    { tag: 'istio.canonical_revision', literal: { value: 'v1' } }, { tag: 'istio.canonical_service', literal: { value: 'reviews' } },
    { tag: 'istio.cluster_id', literal: { value: 'Kubernetes' } }, { tag: 'istio.mesh_id', literal: { value: 'cluster.local' } },
    { tag: 'istio.namespace', literal: { value: 'default' } }, { tag: 'team', literal: { value: 'core' } },
    { tag: 'who', requestHeader: { name: 'X-User', defaultValue: 'anon' } },
  ]);
  assert.equal(base.h.tracing?.maxPathTagLength?.value, 99);
  assert.deepEqual([base.rt.maxPathTagLength, base.rt.useRequestIdForTraceSampling, base.rt.collector?.cluster], [99, true, 'outbound|9411||zipkin.istio-system.svc.cluster.local']);
  const wl = telemetry('reviews', 'default', '  selector: {matchLabels: {app: reviews}}\n  tracing: [{enableIstioTags: false, useRequestIdForTraceSampling: false, customTags: {env: {environment: {name: POD_NAME, defaultValue: none}}}}]');
  const over = tracingOf([root, wl], 'reviews-v1');
  assert.deepEqual(over.h.tracing?.customTags, [{ tag: 'env', environment: { name: 'POD_NAME', defaultValue: 'none' } }], 'customTags replaced as a whole, no istio.* tags');
  assert.deepEqual(over.rt.customTags, [{ tag: 'env', kind: 'environment', name: 'POD_NAME', defaultValue: 'none' }]);
  assert.equal(over.rt.useRequestIdForTraceSampling, false);
  assert.equal(tracingOf([root, wl], 'ratings-v1').rt.customTags.length, 7, 'other workloads keep the root settings');
});
