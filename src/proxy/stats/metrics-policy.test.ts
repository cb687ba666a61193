import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CelResolver } from '../../cel/cel.js';
import { compileMetricsPolicy, DEFAULT_TCP_REPORTING_MS } from './metrics-policy.js';
import { StatsStore, type Scalar } from './stats-store.js';

const req = (host: string): CelResolver => (name) => (name === 'request' ? { celField: (f: string) => (f === 'host' ? host : undefined) } : undefined);

test('entries apply to their metric or to every metric; drop, remove and upsert merge in order', () => {
  const p = compileMetricsPolicy({
    metrics: [
      { dimensions: { host: 'request.host' } },
      { name: 'requests_total', tags_to_remove: ['request_protocol'], dimensions: { reporter: "'custom'" } },
      { name: 'request_bytes', drop: true },
    ],
  });
  assert.equal(p.tcpReportingMs, DEFAULT_TCP_REPORTING_MS);
  assert.equal(p.labels('request_bytes', ['reporter'], { reporter: 'source' }, () => req('a')), undefined);
  const r = p.labels('requests_total', ['reporter', 'request_protocol'], { reporter: 'source', request_protocol: 'http' }, () => req('web:80'))!;
  assert.deepEqual(r.names, ['reporter', 'host']);
  assert.equal(r.labels['host'], 'web:80');
  assert.equal(r.labels['reporter'], 'custom', 'an upsert of a standard tag replaces its value');
  const d = p.labels('request_duration_milliseconds', ['reporter'], { reporter: 'source' }, () => () => undefined)!;
  assert.equal(d.labels['host'], 'unknown', 'an expression that fails to evaluate reports unknown');
});

test('tcp_reporting_duration sets the TCP report interval', () => {
  assert.equal(compileMetricsPolicy({ tcp_reporting_duration: '1.5s' }).tcpReportingMs, 1500);
});

test('series with their own label names are exposed with those names', () => {
  const store = new StatsStore();
  const f = store.family<Scalar>({ name: 'istio_requests_total', type: 'counter', help: 'h', labelNames: ['reporter', 'request_protocol'] });
  f.with({ reporter: 'source', request_protocol: 'http' }).inc();
  f.withNames(['reporter', 'host'], { reporter: 'source', host: 'web' }).inc(2);
  const text = store.renderPrometheus();
  assert.match(text, /^istio_requests_total\{reporter="source",request_protocol="http"\} 1$/m);
  assert.match(text, /^istio_requests_total\{reporter="source",host="web"\} 2$/m);
});
