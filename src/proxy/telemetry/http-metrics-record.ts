/**
 * Records Istio's HTTP metrics of one finished request under a Telemetry metrics policy
 * (stats/metrics-policy.ts): per metric, dropped ones are skipped, and the series' labels are the
 * target's standard labels with the policy's removals and CEL-valued upserts (evaluated over the
 * request's attributes, src/proxy/access-log/access-logger.ts `celAttributes`). Without a policy
 * the connection manager uses the target's cached children (the fast path).
 */
import { celAttributes } from '../access-log/access-logger.js';
import { entryOf } from '../access-log/entry.js';
import { ISTIO_LABELS, type ProxyStats } from '../stats/proxy-stats.js';
import type { StreamInfo } from '../http/stream-info.js';
import type { TelemetryTarget } from '../stats/telemetry.js';
import type { MetricsPolicy } from '../stats/metrics-policy.js';

/** The measurements of one request. */
export interface HttpMeasurements {
  readonly status: number;
  readonly flag: string;
  readonly durationMs: number;
  /** Wire bytes in / out on the downstream socket (undefined: no socket, nothing recorded). */
  readonly bytesIn: number | undefined;
  readonly bytesOut: number | undefined;
  readonly endMs: number;
}

/** Records one request's Istio metrics under `policy`. */
export function recordHttpMetrics(stats: ProxyStats, policy: MetricsPolicy, target: TelemetryTarget, s: StreamInfo, m: HttpMeasurements): void {
  const standard = { ...target.labels, response_code: String(m.status), response_flags: m.flag };
  let resolver: ReturnType<typeof celAttributes> | undefined;
  const resolve = () => (resolver ??= celAttributes(entryOf(s, m.endMs, m.bytesIn ?? 0, m.bytesOut ?? 0)));
  const f = stats.istioHttpFamilies();
  const series = (metric: string) => policy.labels(metric, ISTIO_LABELS, standard, resolve);
  const rq = series('requests_total');
  if (rq) f.requests_total.withNames(rq.names, rq.labels).inc();
  const d = series('request_duration_milliseconds');
  if (d) f.request_duration_milliseconds.withNames(d.names, d.labels).record(m.durationMs);
  if (m.bytesIn !== undefined) {
    const b = series('request_bytes');
    if (b) f.request_bytes.withNames(b.names, b.labels).record(m.bytesIn);
  }
  if (m.bytesOut !== undefined) {
    const b = series('response_bytes');
    if (b) f.response_bytes.withNames(b.names, b.labels).record(m.bytesOut);
  }
}
