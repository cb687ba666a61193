/**
 * Formats a {@link LoadResult} the way fortio does: the text summary (`Ended after …`,
 * `Aggregated Function Time : …`, the `# range, mid point, percentile, count` buckets,
 * `# target 50% 0.0021`, `Sockets used: …`, `Code 200 : 17 (85.0 %)`, sizes, `All done …`), and
 * fortio's JSON result shape (`RunType`, `DurationHistogram {…, Data, Percentiles}`, `RetCodes`, …).
 *
 * Latencies print in seconds. Percentiles come from the HdrHistogram-style histogram (nearest
 * rank, ≤ 0.05 % error) rather than fortio's interpolation inside coarse buckets; the bucket
 * lines group the same data into round-numbered ranges for reading.
 */
import type { Histogram } from './histogram.js';
import type { LoadPlan, LoadResult } from './runner.js';
import { formatDuration } from './duration.js';
import { splitCalls } from './schedule.js';

/** Default percentiles, as fortio's `-p`. */
export const DEFAULT_PERCENTILES: readonly number[] = [50, 75, 90, 99, 99.9];

/** What the header lines need beyond the result. */
export interface ReportContext {
  /** Version string printed in the first line. */
  readonly version: string;
  /** Processors available (fortio's "gomax"). */
  readonly procs: number;
  readonly percentiles?: readonly number[];
  readonly labels?: string;
}

/** One bucket of fortio's `Data` list. */
export interface FortioBucket {
  readonly Start: number;
  readonly End: number;
  /** Cumulative percentage of calls up to `End`. */
  readonly Percent: number;
  readonly Count: number;
}

/** fortio's HistogramData. */
export interface FortioHistogram {
  readonly Count: number;
  readonly Min: number;
  readonly Max: number;
  readonly Sum: number;
  readonly Avg: number;
  readonly StdDev: number;
  readonly Data: readonly FortioBucket[];
  readonly Percentiles: readonly { readonly Percentile: number; readonly Value: number }[] | null;
}

/** fortio's HTTP runner result, as `-json` writes it (plus a few weft fields at the end). */
export interface FortioResult {
  readonly RunType: 'HTTP';
  readonly Labels: string;
  readonly StartTime: string;
  readonly RequestedQPS: string;
  readonly RequestedDuration: string;
  readonly ActualQPS: number;
  /** Nanoseconds, as Go's time.Duration. */
  readonly ActualDuration: number;
  readonly NumThreads: number;
  readonly Version: string;
  readonly DurationHistogram: FortioHistogram;
  readonly ErrorsDurationHistogram: FortioHistogram;
  readonly Exactly: number;
  readonly Jitter: boolean;
  readonly Uniform: boolean;
  readonly NoCatchUp: boolean;
  readonly RetCodes: Readonly<Record<string, number>>;
  readonly URL: string;
  readonly Method: string;
  readonly DisableKeepAlive: boolean;
  readonly Sizes: FortioHistogram;
  readonly HeaderSizes: FortioHistogram;
  readonly Sockets: readonly number[];
  readonly SocketCount: number;
  readonly ErrorReasons: Readonly<Record<string, number>>;
  readonly StartDelayHistogram: FortioHistogram;
  readonly Interrupted: boolean;
}

/** Round-numbered latency ranges (ns) for the bucket lines: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 per decade from 1 µs to 1 h. */
const LATENCY_EDGES_NS: readonly number[] = (() => {
  const out: number[] = [0];
  for (let e = 3; e <= 12; e++) for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8]) out.push(Math.round(m * 10 ** e));
  out.push(3.6e12);
  return out;
})();

/** Round-numbered byte ranges for size buckets: 1, 2, 5 per decade. */
const SIZE_EDGES: readonly number[] = (() => {
  const out: number[] = [0];
  for (let e = 0; e <= 12; e++) for (const m of [1, 2, 5]) out.push(m * 10 ** e);
  return out;
})();

/** Formats a number like Go's %g for the summary: up to 6 significant digits, no trailing zeros. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/** `count N avg A +/- S min M max X sum T` with values multiplied by `scale`. */
function statsLine(h: Histogram, scale: number): string {
  return `count ${h.count} avg ${num(h.mean * scale)} +/- ${num(h.stdDev * scale)} min ${num(h.min * scale)} max ${num(h.max * scale)} sum ${num(h.sum * scale)}`;
}

/** Groups a histogram into fortio-style buckets (Start/End scaled by `scale`, first starts at min, last ends at max). */
export function fortioBuckets(h: Histogram, edges: readonly number[], scale: number): FortioBucket[] {
  if (h.count === 0) return [];
  const counts = new Map<number, number>();
  for (const b of h.buckets()) {
    // Place each histogram bucket by its lowest value, so a value exactly on an edge stays in the lower range.
    const v = Math.min(h.max, Math.max(h.min, b.from));
    // Bin k is (edges[k], edges[k+1]]; a value equal to edges[0] falls in bin 0.
    let lo = 0;
    let hi = edges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (edges[mid]! < v) lo = mid;
      else hi = mid - 1;
    }
    counts.set(lo, (counts.get(lo) ?? 0) + b.count);
  }
  const bins = [...counts.keys()].sort((a, b) => a - b);
  let cumulative = 0;
  return bins.map((k, idx) => {
    const count = counts.get(k)!;
    cumulative += count;
    const start = idx === 0 ? h.min : Math.max(h.min, edges[k]!);
    const end = idx === bins.length - 1 ? h.max : Math.min(h.max, edges[k + 1] ?? h.max);
    return { Start: start * scale, End: end * scale, Percent: (100 * cumulative) / h.count, Count: count };
  });
}

function histogramJson(h: Histogram, edges: readonly number[], scale: number, percentiles: readonly number[] | null): FortioHistogram {
  return {
    Count: h.count,
    Min: h.min * scale,
    Max: h.max * scale,
    Sum: h.sum * scale,
    Avg: h.mean * scale,
    StdDev: h.stdDev * scale,
    Data: fortioBuckets(h, edges, scale),
    Percentiles: percentiles && h.count > 0 ? percentiles.map((p) => ({ Percentile: p, Value: h.valueAtPercentile(p) * scale })) : null,
  };
}

/** "8" / "max", as fortio's RequestedQPS. */
function requestedQps(r: LoadPlan): string {
  return r.requestedQps > 0 ? num(r.requestedQps) : 'max';
}

/** "5s" / "exactly 30 calls" / "until stopped". */
function requestedDuration(r: LoadPlan): string {
  if (r.requestedCalls !== undefined) return `exactly ${r.requestedCalls} calls`;
  return r.requestedDurationMs ? formatDuration(r.requestedDurationMs) : 'until stopped';
}

/** The lines printed before the run starts. */
export function formatStart(r: LoadPlan, ctx: ReportContext): string {
  const qps = requestedQps(r);
  const span = r.requestedCalls !== undefined || r.requestedDurationMs ? `for ${requestedDuration(r)}` : 'until interrupted';
  const lines = [`Fortio-like 'weft load' ${ctx.version} running at ${qps} queries per second, ${ctx.procs}->${ctx.procs} procs, ${span}: ${r.url}`];
  let tail: string;
  if (r.requestedCalls !== undefined) {
    const { each, remainder } = splitCalls(r.requestedCalls, r.connections);
    tail = ` for exactly ${r.requestedCalls} calls (${each} per thread + ${remainder})`;
  } else if (!r.requestedDurationMs) tail = ' until interrupted';
  else if (r.plannedCalls !== undefined) tail = ` for ${formatDuration(r.requestedDurationMs)} : ${splitCalls(r.plannedCalls, r.connections).each} calls each (total ${r.plannedCalls})`;
  else tail = ` for ${formatDuration(r.requestedDurationMs)}`;
  lines.push(`Starting at ${qps} qps with ${r.connections} thread(s) [gomax ${ctx.procs}]${tail}`);
  lines.push(
    r.mode === 'open'
      ? `Open loop at a constant ${qps} qps: latency counts from each request's scheduled start (no coordinated omission)`
      : 'Closed loop: each connection sends its next request when the previous one completes',
  );
  return `${lines.join('\n')}\n`;
}

/** The text summary printed after the run. */
export function formatSummary(r: LoadResult, ctx: ReportContext): string {
  const percentiles = ctx.percentiles ?? DEFAULT_PERCENTILES;
  const out: string[] = [];
  const seconds = r.actualDurationMs / 1000;
  if (r.aborted) out.push('Interrupted: stopped before the planned end, partial results follow');
  out.push(`Ended after ${num(seconds)} s : ${r.calls} calls. qps=${num(r.actualQps)}`);
  if (r.mode === 'open' && r.startDelays.count > 0) out.push(`Start delay vs schedule : ${statsLine(r.startDelays, 1e-9)}`);
  out.push(`Aggregated Function Time : ${statsLine(r.durations, 1e-9)}`);
  out.push(...bucketLines(r.durations));
  for (const p of percentiles) out.push(`# target ${num(p)}% ${num(r.durations.valueAtPercentile(p) * 1e-9)}`);
  out.push(r.errorDurations.count > 0 ? `Error cases : ${statsLine(r.errorDurations, 1e-9)}` : 'Error cases : no data');
  if (r.errorReasons.size > 0) out.push(`Error reasons : ${[...r.errorReasons].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push(`Sockets used: ${r.socketCount} (for perfect keepalive, would be ${r.connections})`);
  for (const [code, count] of [...r.retCodes].sort((a, b) => a[0] - b[0])) {
    out.push(`Code ${code} : ${count} (${r.calls ? ((100 * count) / r.calls).toFixed(1) : '0.0'} %)`);
  }
  out.push(`Response Header Sizes : ${statsLine(r.headerSizes, 1)}`);
  out.push(`Response Body/Total Sizes : ${statsLine(r.totalSizes, 1)}`);
  out.push(`All done ${r.calls} calls (plus ${r.warmupConnections} warmup) ${(r.durations.mean / 1e6).toFixed(3)} ms avg, ${r.actualQps.toFixed(1)} qps`);
  return `${out.join('\n')}\n`;
}

/** fortio's `# range, mid point, percentile, count` lines, in seconds. */
export function bucketLines(h: Histogram): string[] {
  const buckets = fortioBuckets(h, LATENCY_EDGES_NS, 1e-9);
  if (buckets.length === 0) return [];
  return [
    '# range, mid point, percentile, count',
    ...buckets.map((b, i) => `${i === 0 ? '>=' : '>'} ${num(b.Start)} <= ${num(b.End)} , ${num((b.Start + b.End) / 2)} , ${b.Percent.toFixed(2)}, ${b.Count}`),
  ];
}

/** The `-json` document. */
export function toFortioJson(r: LoadResult, ctx: ReportContext): FortioResult {
  const percentiles = ctx.percentiles ?? DEFAULT_PERCENTILES;
  const codes: Record<string, number> = {};
  for (const [code, count] of [...r.retCodes].sort((a, b) => a[0] - b[0])) codes[String(code)] = count;
  return {
    RunType: 'HTTP',
    Labels: ctx.labels ?? '',
    StartTime: r.startTime.toISOString(),
    RequestedQPS: requestedQps(r),
    RequestedDuration: requestedDuration(r),
    ActualQPS: r.actualQps,
    ActualDuration: Math.round(r.actualDurationMs * 1e6),
    NumThreads: r.connections,
    Version: `weft ${ctx.version}`,
    DurationHistogram: histogramJson(r.durations, LATENCY_EDGES_NS, 1e-9, percentiles),
    ErrorsDurationHistogram: histogramJson(r.errorDurations, LATENCY_EDGES_NS, 1e-9, percentiles),
    Exactly: r.requestedCalls ?? 0,
    Jitter: false,
    Uniform: r.mode === 'open',
    NoCatchUp: false,
    RetCodes: codes,
    URL: r.url,
    Method: r.method,
    DisableKeepAlive: !r.keepAlive,
    Sizes: histogramJson(r.totalSizes, SIZE_EDGES, 1, null),
    HeaderSizes: histogramJson(r.headerSizes, SIZE_EDGES, 1, null),
    Sockets: r.socketsPerConnection,
    SocketCount: r.socketCount,
    ErrorReasons: Object.fromEntries(r.errorReasons),
    StartDelayHistogram: histogramJson(r.startDelays, LATENCY_EDGES_NS, 1e-9, null),
    Interrupted: r.aborted,
  };
}
