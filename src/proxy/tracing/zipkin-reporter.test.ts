/**
 * The Zipkin reporter's bounds (pure, no sockets): spans beyond the queue limit are dropped and
 * counted; a collector cluster the proxy does not know drops the batch and counts the skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from '../stats/stats-store.js';
import { ZipkinReporter } from './zipkin-reporter.js';
import type { CollectorClusters } from './zipkin-reporter.js';
import type { ZipkinSpan } from './zipkin-span.js';

const span = (i: number): ZipkinSpan => ({
  traceId: 'a'.repeat(32), id: i.toString(16).padStart(16, '0'), name: 'n', kind: 'CLIENT', timestamp: 1, duration: 1, localEndpoint: { serviceName: 's' }, tags: {},
});
const noClusters: CollectorClusters = { clusters: new Map() };
const collector = { cluster: 'outbound|9411||zipkin', endpoint: '/api/v2/spans', hostname: 'zipkin' };

test('a full queue drops and counts; a missing collector cluster drops the batch and counts the skip', async () => {
  const r = new ZipkinReporter(() => noClusters, new StatsStore(), { maxQueuedSpans: 3, minFlushSpans: 100, flushIntervalMs: 60_000 });
  for (let i = 0; i < 5; i++) r.report(collector, span(i));
  assert.equal(r.stats.spansDropped.value, 2, 'two spans over the bound of 3');
  await r.close();
  assert.deepEqual([r.stats.reportsSkippedNoCluster.value, r.stats.spansDropped.value, r.stats.spansSent.value], [1, 5, 0]);
  r.report(collector, span(9));
  assert.equal(r.stats.spansDropped.value, 6, 'after close every span is dropped');
});
