import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore, type Scalar } from './stats-store.js';
import { Histogram, DURATION_BUCKETS_MS } from './histogram.js';

test('counters render in Envoy text and Prometheus forms', () => {
  const s = new StatsStore();
  const rq = s.family<Scalar>({
    name: 'envoy_cluster_upstream_rq_pending_overflow',
    type: 'counter',
    help: 'Requests overflowing the pending queue.',
    labelNames: ['cluster_name'],
    envoyName: (l) => `cluster.${l.cluster_name}.upstream_rq_pending_overflow`,
  });
  const c = rq.with({ cluster_name: 'outbound|8000||httpbin.default.svc.cluster.local' });
  c.inc(20);
  c.inc();
  assert.match(s.renderText(), /^cluster\.outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local\.upstream_rq_pending_overflow: 21$/m);
  const prom = s.renderPrometheus();
  assert.match(prom, /^# TYPE envoy_cluster_upstream_rq_pending_overflow counter$/m);
  assert.match(prom, /^envoy_cluster_upstream_rq_pending_overflow\{cluster_name="outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local"\} 21$/m);
});

test('histograms expose cumulative buckets, sum and count; label values are escaped', () => {
  const s = new StatsStore();
  const h = s.family<Histogram>({ name: 'istio_request_duration_milliseconds', type: 'histogram', help: 'd', labelNames: ['reporter', 'x'], buckets: DURATION_BUCKETS_MS });
  const child = h.with({ reporter: 'source', x: 'a"b' });
  for (const v of [0.2, 3, 3, 700]) child.record(v);
  const prom = s.renderPrometheus();
  assert.match(prom, /istio_request_duration_milliseconds_bucket\{reporter="source",x="a\\"b",le="0.5"\} 1/);
  assert.match(prom, /istio_request_duration_milliseconds_bucket\{reporter="source",x="a\\"b",le="5"\} 3/);
  assert.match(prom, /istio_request_duration_milliseconds_bucket\{reporter="source",x="a\\"b",le="\+Inf"\} 4/);
  assert.match(prom, /istio_request_duration_milliseconds_count\{reporter="source",x="a\\"b"\} 4/);
  assert.match(prom, /istio_request_duration_milliseconds_sum\{reporter="source",x="a\\"b"\} 706.2/);
});

test('histogram quantiles interpolate within buckets', () => {
  const h = new Histogram([10, 20, 30]);
  for (let i = 0; i < 10; i++) h.record(15);
  const q = h.quantile(0.5)!;
  assert.ok(q > 10 && q <= 20, `p50 ${q}`);
  assert.equal(new Histogram([1]).quantile(0.5), undefined);
});
