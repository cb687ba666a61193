/**
 * Unit tests of the log-linear histogram: percentiles against exact nearest-rank percentiles of
 * the sorted samples (≤ 0.1 % relative error), exact moments, merging, limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram } from '../../src/load/histogram.js';

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exactPercentile(sorted: readonly number[], p: number): number {
  if (p <= 0) return sorted[0]!;
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100 - 1e-9));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

const PERCENTILES = [0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

function checkAgainstExact(samples: number[], label: string): void {
  const h = new Histogram();
  for (const s of samples) h.record(s);
  const sorted = [...samples].sort((a, b) => a - b);
  for (const p of PERCENTILES) {
    const exact = exactPercentile(sorted, p);
    const got = h.valueAtPercentile(p);
    const err = exact === 0 ? Math.abs(got) : Math.abs(got - exact) / exact;
    assert.ok(err <= 0.001, `${label}: p${p} got ${got}, exact ${exact}, relative error ${err}`);
  }
  assert.equal(h.count, samples.length);
  assert.equal(h.min, sorted[0]);
  assert.equal(h.max, sorted[sorted.length - 1]);
  const sum = samples.reduce((a, b) => a + b, 0);
  assert.equal(h.sum, sum);
  const mean = sum / samples.length;
  assert.ok(Math.abs(h.mean - mean) <= 1e-9 * Math.max(1, mean), `${label}: mean ${h.mean} vs ${mean}`);
  const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / samples.length;
  assert.ok(Math.abs(h.stdDev - Math.sqrt(variance)) <= 1e-6 * Math.max(1, Math.sqrt(variance)), `${label}: stddev ${h.stdDev} vs ${Math.sqrt(variance)}`);
}

test('percentiles of uniform microsecond-to-second latencies (ns) are within 0.1 %', () => {
  const r = rng(1);
  checkAgainstExact(Array.from({ length: 20000 }, () => Math.floor(1e3 + r() * 1e9)), 'uniform');
});

test('percentiles of a log-normal distribution spanning 7 decades are within 0.1 %', () => {
  const r = rng(2);
  const samples = Array.from({ length: 20000 }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return Math.floor(Math.exp(12 + 3 * z));
  });
  checkAgainstExact(samples, 'log-normal');
});

test('small values below the sub-bucket count are exact', () => {
  const r = rng(3);
  const samples = Array.from({ length: 5000 }, () => Math.floor(r() * 2048));
  const h = new Histogram();
  for (const s of samples) h.record(s);
  const sorted = [...samples].sort((a, b) => a - b);
  for (const p of PERCENTILES) assert.equal(h.valueAtPercentile(p), exactPercentile(sorted, p), `p${p}`);
});

test('values up to one hour in nanoseconds keep 3 significant digits', () => {
  const values = [1, 999, 1_000_000, 123_456_789, 59_999_999_999, 3_599_999_999_999];
  for (const v of values) {
    const h = new Histogram();
    h.record(v);
    h.record(v + 1); // a second sample so p50 is not simply min
    const got = h.valueAtPercentile(50);
    assert.ok(Math.abs(got - v) / v <= 0.001, `${v}: got ${got}`);
  }
});

test('a bimodal distribution (fast and very slow calls) reports both modes', () => {
  const h = new Histogram();
  for (let i = 0; i < 990; i++) h.record(200_000 + i); // ~0.2 ms
  for (let i = 0; i < 10; i++) h.record(3_000_000_000 + i * 1000); // ~3 s
  assert.ok(Math.abs(h.valueAtPercentile(99) - 200_989) / 200_989 < 0.001);
  assert.ok(Math.abs(h.valueAtPercentile(99.5) - 3_000_004_000) / 3e9 < 0.001);
  assert.equal(h.valueAtPercentile(100), 3_000_009_000);
});

test('merging equals recording everything in one histogram', () => {
  const r = rng(4);
  const all = new Histogram();
  const parts = [new Histogram(), new Histogram(), new Histogram()];
  for (let i = 0; i < 9000; i++) {
    const v = Math.floor(r() ** 3 * 5e8);
    all.record(v);
    parts[i % 3]!.record(v);
  }
  const merged = new Histogram();
  for (const p of parts) merged.merge(p);
  assert.equal(merged.count, all.count);
  assert.equal(merged.min, all.min);
  assert.equal(merged.max, all.max);
  assert.equal(merged.sum, all.sum);
  assert.ok(Math.abs(merged.mean - all.mean) < 1e-6);
  assert.ok(Math.abs(merged.stdDev - all.stdDev) / all.stdDev < 1e-9);
  for (const p of PERCENTILES) assert.equal(merged.valueAtPercentile(p), all.valueAtPercentile(p), `p${p}`);
  assert.deepEqual([...merged.buckets()], [...all.buckets()]);
});

test('merging histograms of different precision is refused', () => {
  assert.throws(() => new Histogram().merge(new Histogram({ significantDigits: 2 })), RangeError);
});

test('record with a count, clone and reset', () => {
  const h = new Histogram();
  h.record(100, 3);
  h.record(300);
  assert.equal(h.count, 4);
  assert.equal(h.mean, 150);
  assert.equal(h.stdDev, Math.sqrt((3 * 50 ** 2 + 150 ** 2) / 4));
  const c = h.clone();
  h.reset();
  assert.equal(h.count, 0);
  assert.equal(h.valueAtPercentile(50), 0);
  assert.equal(h.min, 0);
  assert.equal(c.count, 4);
  assert.equal(c.valueAtPercentile(75), 100);
  assert.equal(c.valueAtPercentile(76), 300);
});

test('bucket iteration covers every recorded value exactly once', () => {
  const h = new Histogram();
  const r = rng(5);
  for (let i = 0; i < 1000; i++) h.record(Math.floor(r() * 1e7));
  let total = 0;
  let prevTo = -1;
  for (const b of h.buckets()) {
    assert.ok(b.from > prevTo && b.to >= b.from);
    assert.ok((b.to - b.from + 1) / b.from <= 1 / 1024 || b.from === b.to, `bucket ${b.from}-${b.to} too wide`);
    prevTo = b.to;
    total += b.count;
  }
  assert.equal(total, 1000);
});

test('values above the trackable range clamp into the last bucket; negatives count as 0', () => {
  const h = new Histogram({ highestTrackableValue: 1e6 });
  h.record(5e9);
  h.record(-5);
  assert.equal(h.max, 5e9);
  assert.equal(h.min, 0);
  assert.equal(h.valueAtPercentile(100), 5e9);
  assert.ok(h.valueAtPercentile(99) <= 5e9);
  assert.throws(() => new Histogram({ significantDigits: 7 }), RangeError);
});

test('more significant digits narrow the error further', () => {
  const r = rng(6);
  const samples = Array.from({ length: 5000 }, () => Math.floor(1e6 + r() * 1e10));
  const h = new Histogram({ significantDigits: 4 });
  for (const s of samples) h.record(s);
  const sorted = [...samples].sort((a, b) => a - b);
  for (const p of PERCENTILES) {
    const exact = exactPercentile(sorted, p);
    assert.ok(Math.abs(h.valueAtPercentile(p) - exact) / exact <= 0.0001, `p${p}`);
  }
});
