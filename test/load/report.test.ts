/**
 * Unit tests of the fortio-style text summary and JSON document, on a synthetic result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram } from '../../src/load/histogram.js';
import { fortioBuckets, formatStart, formatSummary, num, toFortioJson } from '../../src/load/report.js';
import type { LoadResult } from '../../src/load/runner.js';

function result(): LoadResult {
  const durations = new Histogram();
  const errorDurations = new Histogram();
  const headerSizes = new Histogram();
  const totalSizes = new Histogram();
  // 17 × 1 ms (200), 3 × 3 ms (-1)
  for (let i = 0; i < 17; i++) {
    durations.record(1_000_000);
    headerSizes.record(100);
    totalSizes.record(110);
  }
  for (let i = 0; i < 3; i++) {
    durations.record(3_000_000);
    errorDurations.record(3_000_000);
    headerSizes.record(0);
    totalSizes.record(0);
  }
  return {
    url: 'http://127.0.0.1:8080/',
    method: 'GET',
    addresses: ['127.0.0.1'],
    mode: 'closed',
    requestedQps: 0,
    requestedCalls: 20,
    connections: 2,
    startTime: new Date('2024-01-02T03:04:05.000Z'),
    keepAlive: true,
    timeoutMs: 3000,
    warmupConnections: 2,
    actualDurationMs: 500,
    calls: 20,
    actualQps: 40,
    durations,
    errorDurations,
    startDelays: new Histogram(),
    headerSizes,
    totalSizes,
    retCodes: new Map([[200, 17], [-1, 3]]),
    errorReasons: new Map([['ECONNRESET', 3]]),
    socketCount: 5,
    socketsPerConnection: [2, 3],
    callsPerConnection: [10, 10],
    aborted: false,
  };
}

const ctx = { version: '9.9.9', procs: 2, percentiles: [50, 90, 99.9] };

test('summary lines keep fortio shapes', () => {
  const text = formatSummary(result(), ctx);
  const lines = text.split('\n');
  assert.ok(lines.includes('Ended after 0.5 s : 20 calls. qps=40'), text);
  assert.ok(lines.includes('Aggregated Function Time : count 20 avg 0.0013 +/- 0.000714143 min 0.001 max 0.003 sum 0.026'), text);
  // Percentiles carry the histogram's bucket precision (≤ 0.05 % here), not the exact sample.
  const target = (p: string) => Number(new RegExp(`^# target ${p.replace('.', '\\.')}% (\\S+)$`, 'm').exec(text)?.[1]);
  assert.ok(Math.abs(target('50') - 0.001) / 0.001 < 0.0005, text);
  assert.ok(Math.abs(target('90') - 0.003) / 0.003 < 0.0005, text);
  assert.ok(Math.abs(target('99.9') - 0.003) / 0.003 < 0.0005, text);
  assert.ok(lines.includes('Error cases : count 3 avg 0.003 +/- 0 min 0.003 max 0.003 sum 0.009'), text);
  assert.ok(lines.includes('Sockets used: 5 (for perfect keepalive, would be 2)'), text);
  assert.ok(lines.indexOf('Code -1 : 3 (15.0 %)') >= 0 && lines.indexOf('Code -1 : 3 (15.0 %)') < lines.indexOf('Code 200 : 17 (85.0 %)'), text);
  assert.ok(lines.includes('Response Header Sizes : count 20 avg 85 +/- 35.7071 min 0 max 100 sum 1700'), text);
  assert.ok(lines.includes('All done 20 calls (plus 2 warmup) 1.300 ms avg, 40.0 qps'), text);
  assert.ok(lines.includes('# range, mid point, percentile, count'));
  assert.ok(lines.includes('>= 0.001 <= 0.001 , 0.001 , 85.00, 17'), text);
  assert.equal(lines.filter((l) => /^>=? /.test(l)).length, 2, text);
  assert.ok(lines.includes('> 0.0025 <= 0.003 , 0.00275 , 100.00, 3'), text);
});

test('start lines describe the plan', () => {
  const r = result();
  assert.match(formatStart(r, ctx), /^Fortio-like 'weft load' 9\.9\.9 running at max queries per second, 2->2 procs, for exactly 20 calls: http:\/\/127\.0\.0\.1:8080\/\nStarting at max qps with 2 thread\(s\) \[gomax 2\] for exactly 20 calls \(10 per thread \+ 0\)\nClosed loop/);
  const open = formatStart({ ...r, mode: 'open', requestedQps: 8, requestedCalls: undefined, requestedDurationMs: 5000, plannedCalls: 40, connections: 8 }, ctx);
  assert.match(open, /Starting at 8 qps with 8 thread\(s\) \[gomax 2\] for 5s : 5 calls each \(total 40\)\nOpen loop/);
});

test('JSON document has fortio fields in seconds and string RetCodes keys', () => {
  const j = toFortioJson(result(), { ...ctx, labels: 'l1' });
  assert.equal(j.RunType, 'HTTP');
  assert.equal(j.Labels, 'l1');
  assert.equal(j.StartTime, '2024-01-02T03:04:05.000Z');
  assert.equal(j.RequestedQPS, 'max');
  assert.equal(j.RequestedDuration, 'exactly 20 calls');
  assert.equal(j.ActualDuration, 500_000_000);
  assert.equal(j.NumThreads, 2);
  assert.deepEqual(j.RetCodes, { '-1': 3, '200': 17 });
  assert.equal(j.DurationHistogram.Count, 20);
  assert.equal(j.DurationHistogram.Min, 0.001);
  assert.deepEqual(j.DurationHistogram.Percentiles?.map((p) => p.Percentile), [50, 90, 99.9]);
  const values = j.DurationHistogram.Percentiles!.map((p) => p.Value);
  [0.001, 0.003, 0.003].forEach((v, i) => assert.ok(Math.abs(values[i]! - v) / v < 0.0005, `${values[i]} vs ${v}`));
  assert.equal(j.DurationHistogram.Data.at(-1)?.Percent, 100);
  assert.equal(j.Sizes.Percentiles, null);
  assert.equal(j.SocketCount, 5);
  assert.equal(j.URL, 'http://127.0.0.1:8080/');
  const round = JSON.parse(JSON.stringify(j)) as Record<string, unknown>;
  for (const k of ['RunType', 'Labels', 'StartTime', 'RequestedQPS', 'RequestedDuration', 'ActualQPS', 'ActualDuration', 'NumThreads', 'DurationHistogram', 'RetCodes', 'Sizes', 'HeaderSizes', 'URL', 'SocketCount']) {
    assert.ok(k in round, k);
  }
});

test('bucket grouping: cumulative percents, first bucket starts at min, last ends at max', () => {
  const h = new Histogram();
  for (let v = 1000; v <= 100_000; v += 1000) h.record(v);
  const b = fortioBuckets(h, [0, 10_000, 50_000, 1e9], 1);
  assert.deepEqual(b.map((x) => [x.Start, x.End, x.Count]), [[1000, 10_000, 10], [10_000, 50_000, 40], [50_000, 100_000, 50]]);
  assert.deepEqual(b.map((x) => x.Percent), [10, 50, 100]);
  assert.deepEqual(fortioBuckets(new Histogram(), [0, 1], 1), []);
  assert.equal(num(0.000123456789), '0.000123457');
  assert.equal(num(40), '40');
});
