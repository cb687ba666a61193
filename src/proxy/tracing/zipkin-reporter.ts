/**
 * Exports finished spans to Zipkin collectors as Envoy's Zipkin tracer does (`ReporterImpl`): spans
 * are buffered and POSTed as a Zipkin v2 JSON array to the ZipkinConfig `collector_endpoint` on an
 * endpoint of `collector_cluster`, through the proxy's own cluster manager (the cluster's hosts and
 * their connection pools), with `collector_hostname` as Host. A report is sent every flush interval
 * (Envoy's `tracing.zipkin.flush_interval_ms`; Weft uses 1 s) or as soon as `min_flush_spans` (5)
 * spans wait, and once more when the proxy stops. The request path only appends to a bounded queue:
 * a slow or dead collector never delays a request. At most one report per collector is in flight;
 * spans that find the queue full, or whose report fails, are dropped and counted.
 *
 * Stats (`/stats`, Envoy's names plus Weft's drop counter): `tracing.zipkin.spans_sent`,
 * `tracing.zipkin.reports_sent`, `tracing.zipkin.reports_dropped` (collector answered non-2xx),
 * `tracing.zipkin.reports_failed` (no answer), `tracing.zipkin.reports_skipped_no_cluster`,
 * `tracing.zipkin.timer_flushed`, `tracing.zipkin.spans_dropped` (every span that never reached a
 * collector: queue full, failed or dropped report, no cluster).
 */
import { H1Call } from '../h1/h1-call.js';
import { isH1Pool } from '../h1/h1-pool.js';
import type { Scalar } from '../stats/stats-store.js';
import type { StatsStore } from '../stats/stats-store.js';
import type { Host } from '../lb/host.js';
import type { CallableHost } from '../http/stream-info.js';
import type { ZipkinCollector } from './tracing-config.js';
import type { ZipkinSpan } from './zipkin-span.js';

/**
 * What the reporter needs of the proxy's configuration: the collector's cluster by name, its hosts
 * (healthy first), and the host's keep-alive agent (the runtime snapshot satisfies it), so tracing
 * does not depend on the snapshot itself.
 */
export interface CollectorClusters {
  readonly clusters: ReadonlyMap<string, {
    readonly hostSet: { readonly healthyHosts: readonly Host[]; readonly hosts: readonly Host[] };
    runtime(host: Host): CallableHost | undefined;
  }>;
}

/** Reporter settings. */
export interface ZipkinReporterOptions {
  /** Spans held at most, over all collectors (default 1000). */
  readonly maxQueuedSpans?: number;
  /** Flush interval in ms (default 1000). */
  readonly flushIntervalMs?: number;
  /** A report is sent as soon as this many spans wait (Envoy's `min_flush_spans`, default 5). */
  readonly minFlushSpans?: number;
  /** Timeout of one report in ms (default 5000). */
  readonly reportTimeoutMs?: number;
}

interface Queue {
  readonly collector: ZipkinCollector;
  spans: ZipkinSpan[];
  inFlight: Promise<void> | undefined;
  next: number;
}

/** The stats the reporter keeps. */
export interface ZipkinReporterStats {
  readonly spansSent: Scalar;
  readonly spansDropped: Scalar;
  readonly reportsSent: Scalar;
  readonly reportsDropped: Scalar;
  readonly reportsFailed: Scalar;
  readonly reportsSkippedNoCluster: Scalar;
  readonly timerFlushed: Scalar;
}

function stats(store: StatsStore): ZipkinReporterStats {
  const c = (name: string, help: string) => store.family<Scalar>({
    name: `envoy_tracing_zipkin_${name}`, type: 'counter', help, labelNames: [], envoyName: () => `tracing.zipkin.${name}`,
  }).with({});
  return {
    spansSent: c('spans_sent', 'Spans sent to Zipkin collectors.'),
    spansDropped: c('spans_dropped', 'Spans that never reached a collector (queue full, report failed, no cluster).'),
    reportsSent: c('reports_sent', 'Zipkin reports a collector accepted.'),
    reportsDropped: c('reports_dropped', 'Zipkin reports a collector answered with a non-2xx status.'),
    reportsFailed: c('reports_failed', 'Zipkin reports that got no answer (connection failure, timeout).'),
    reportsSkippedNoCluster: c('reports_skipped_no_cluster', 'Zipkin reports skipped: the collector cluster is unknown or has no endpoints.'),
    timerFlushed: c('timer_flushed', 'Zipkin flushes started by the flush timer.'),
  };
}

/** Buffers spans and reports them to their collectors. */
export class ZipkinReporter {
  private readonly queues = new Map<string, Queue>();
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly maxQueued: number;
  private readonly minFlush: number;
  private readonly timeoutMs: number;
  /** Counters (also on `/stats`). */
  readonly stats: ZipkinReporterStats;

  constructor(private readonly snapshot: () => CollectorClusters, store: StatsStore, private readonly opts: ZipkinReporterOptions = {}) {
    this.stats = stats(store);
    this.maxQueued = opts.maxQueuedSpans ?? 1000;
    this.minFlush = opts.minFlushSpans ?? 5;
    this.timeoutMs = opts.reportTimeoutMs ?? 5000;
  }

  /** Queues a span for `collector`; drops (and counts) it when the queue is full or the reporter closed. */
  report(collector: ZipkinCollector, span: ZipkinSpan): void {
    if (this.closed || this.queued >= this.maxQueued) {
      this.stats.spansDropped.inc();
      return;
    }
    const key = `${collector.cluster}|${collector.endpoint}|${collector.hostname}`;
    let q = this.queues.get(key);
    if (q === undefined) {
      q = { collector, spans: [], inFlight: undefined, next: 0 };
      this.queues.set(key, q);
    }
    q.spans.push(span);
    this.queued++;
    if (q.spans.length >= this.minFlush) this.send(q);
    else this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.stats.timerFlushed.inc();
      for (const q of this.queues.values()) this.send(q);
    }, this.opts.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Sends what `q` holds unless a report of it is in flight (then the spans wait for the next flush). */
  private send(q: Queue): Promise<void> {
    if (q.inFlight !== undefined) {
      this.arm();
      return q.inFlight;
    }
    if (q.spans.length === 0) return Promise.resolve();
    const batch = q.spans;
    q.spans = [];
    this.queued -= batch.length;
    q.inFlight = this.post(q, batch).finally(() => {
      q.inFlight = undefined;
      if (q.spans.length > 0) this.arm();
    });
    return q.inFlight;
  }

  private post(q: Queue, batch: readonly ZipkinSpan[]): Promise<void> {
    const cluster = this.snapshot().clusters.get(q.collector.cluster);
    const hosts = cluster === undefined ? [] : cluster.hostSet.healthyHosts.length > 0 ? cluster.hostSet.healthyHosts : cluster.hostSet.hosts;
    if (cluster === undefined || hosts.length === 0) {
      this.stats.reportsSkippedNoCluster.inc();
      this.stats.spansDropped.inc(batch.length);
      return Promise.resolve();
    }
    const host = hosts[q.next++ % hosts.length]!;
    const rt = cluster.runtime(host);
    const body = JSON.stringify(batch);
    if (rt === undefined) {
      this.stats.reportsFailed.inc();
      this.stats.spansDropped.inc(batch.length);
      return Promise.resolve();
    }
    const headers = { host: q.collector.hostname, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    return new Promise<void>((resolve) => {
      const done = (status: number): void => {
        if (status >= 200 && status < 300) {
          this.stats.reportsSent.inc();
          this.stats.spansSent.inc(batch.length);
        } else {
          // A status is a collector's refusal (dropped); none means no answer (failed).
          (status !== 0 ? this.stats.reportsDropped : this.stats.reportsFailed).inc();
          this.stats.spansDropped.inc(batch.length);
        }
        resolve();
      };
      // On the collector host's own keep-alive connections (host-connections.ts), as Envoy's reporter
      // uses the collector cluster's async client; the report timeout bounds the whole exchange.
      try {
        const pool = rt.agent.h1Pool(host.address, host.port, headers);
        if (!isH1Pool(pool)) throw new Error(`zipkin: host ${host.address}:${host.port} has no HTTP/1.1 pool`);
        new H1Call(pool, 'POST', q.collector.endpoint, headers, { bodyless: false, timeoutMs: this.timeoutMs }, undefined, (_c, status) => done(status)).end(body);
      } catch {
        done(0);
      }
    });
  }

  /** Sends every queued span now and waits for the reports in flight (bounded by the report timeout). */
  async flush(): Promise<void> {
    await Promise.all([...this.queues.values()].map(async (q) => {
      await q.inFlight;
      await this.send(q);
    }));
  }

  /** Final flush on proxy shutdown; later spans are dropped. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    this.closed = true;
  }
}
