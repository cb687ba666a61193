import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '../../config/resource.js';
import { telemetryKind, type TelemetrySpec } from '../../config/schema/telemetry.js';
import { DEFAULT_MESH_CONFIG, meshConfigWith } from '../../config/mesh-config.js';
import { buildMetricsConfig, NO_METRICS } from './metrics.js';

const tel = (namespace: string, spec: TelemetrySpec): Resource<TelemetrySpec> =>
  ({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: `t-${namespace}`, namespace }, spec }) as unknown as Resource<TelemetrySpec>;

test('no Telemetry metrics: the standard metrics apply unchanged (no stats config)', () => {
  assert.equal(buildMetricsConfig([tel('istio-system', { accessLogging: [{ providers: [{ name: 'envoy' }] }] })], DEFAULT_MESH_CONFIG, 'CLIENT'), undefined);
});

test('a provider other than Prometheus in scope: no Istio metrics for that scope, as without istiod\'s stats filter', () => {
  const mesh = meshConfigWith({ extensionProviders: [...DEFAULT_MESH_CONFIG.extensionProviders, { name: 'sd', stackdriver: {} } as never] });
  assert.deepEqual(buildMetricsConfig([tel('default', { metrics: [{ providers: [{ name: 'sd' }] }] })], mesh, 'SERVER'), NO_METRICS);
  // The workload level names prometheus again: back in scope.
  const back = [tel('istio-system', { metrics: [{ providers: [{ name: 'sd' }] }] }), tel('default', { metrics: [{ providers: [{ name: 'prometheus' }], overrides: [{ match: { metric: 'REQUEST_SIZE' }, disabled: true }] }] })];
  assert.deepEqual(buildMetricsConfig(back, mesh, 'SERVER'), { metrics: [{ name: 'request_bytes', drop: true }] });
});

test('ALL_METRICS disabled in the root namespace drops everything until a namespace override enables one again', () => {
  const root = tel('istio-system', { metrics: [{ overrides: [{ match: { metric: 'ALL_METRICS' }, disabled: true }] }] });
  assert.deepEqual(buildMetricsConfig([root], DEFAULT_MESH_CONFIG, 'CLIENT'), NO_METRICS);
  const ns = tel('default', { metrics: [{ overrides: [{ match: { metric: 'REQUEST_COUNT' }, disabled: false }] }] });
  assert.equal(buildMetricsConfig([root, ns], DEFAULT_MESH_CONFIG, 'CLIENT'), undefined, 'nothing left to change');
});

test('overrides merge root → workload per metric and mode; customMetric names the filter metric; reportingInterval', () => {
  const root = tel('istio-system', { metrics: [{ reportingInterval: '500ms', overrides: [{ tagOverrides: { a: { value: 'request.host' } } }, { match: { metric: 'REQUEST_COUNT', mode: 'CLIENT' }, tagOverrides: { b: { operation: 'REMOVE' } } }] }] });
  const wl = tel('default', { metrics: [{ overrides: [{ match: { metric: 'REQUEST_COUNT' }, tagOverrides: { a: { operation: 'REMOVE' } } }, { match: { customMetric: 'tcp_sent_bytes_total' }, disabled: true }] }] });
  const client = buildMetricsConfig([root, wl], DEFAULT_MESH_CONFIG, 'CLIENT')!;
  assert.equal(client.tcp_reporting_duration, '0.5s');
  assert.deepEqual(client.metrics?.find((m) => m.name === 'requests_total'), { name: 'requests_total', tags_to_remove: ['a', 'b'] });
  assert.deepEqual(client.metrics?.find((m) => m.name === 'request_bytes'), { name: 'request_bytes', dimensions: { a: 'request.host' } });
  // As istiod, a customMetric is its own entry; the filter applies every entry naming the metric.
  assert.deepEqual(client.metrics?.filter((m) => m.name === 'tcp_sent_bytes_total'), [{ name: 'tcp_sent_bytes_total', dimensions: { a: 'request.host' } }, { name: 'tcp_sent_bytes_total', drop: true }]);
  const server = buildMetricsConfig([root, wl], DEFAULT_MESH_CONFIG, 'SERVER')!;
  assert.deepEqual(server.metrics?.find((m) => m.name === 'requests_total'), { name: 'requests_total', tags_to_remove: ['a'] }, 'the CLIENT-only removal stays on the client');
});

test('a tag expression Weft cannot evaluate is left out at translation and warned about at load (WFT0101)', () => {
  const spec: TelemetrySpec = { metrics: [{ overrides: [{ match: { metric: 'REQUEST_COUNT' }, tagOverrides: { peer: { value: "node.metadata['CLUSTER_ID']" }, host: { value: 'request.host' } } }] }] };
  const cfg = buildMetricsConfig([tel('default', spec)], DEFAULT_MESH_CONFIG, 'SERVER')!;
  assert.deepEqual(cfg.metrics, [{ name: 'requests_total', dimensions: { host: 'request.host' } }]);
  const r = telemetryKind.validate(spec, { name: 'x', namespace: 'default' });
  assert.ok(r.spec, 'valid Istio YAML is accepted');
  const w = r.issues.find((i) => i.level === 'Warning' && i.code === 'WFT0101');
  assert.ok(w, JSON.stringify(r.issues));
  assert.deepEqual(w.path.slice(-3), ['tagOverrides', 'peer', 'value']);
  assert.match(w.message, /tag peer is not added: attribute "node" is not available in Weft/);
});
