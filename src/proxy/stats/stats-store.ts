/**
 * The proxy's metrics: families of counters, gauges and histograms with labels, exposed in Envoy's
 * text form (`/stats`: `cluster.outbound|9080||reviews….upstream_rq_total: 12`) and in Prometheus'
 * exposition format (`/stats/prometheus`: `envoy_cluster_upstream_rq_total{cluster_name="…"} 12`).
 * Children are looked up once and kept by callers, so the hot path only increments numbers.
 */
import { Histogram } from './histogram.js';

/** Metric types, as Prometheus names them. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** A label set; keys in a stable order given by the family. */
export type LabelValues = Readonly<Record<string, string>>;

/** A counter or gauge value holder. */
export class Scalar {
  value = 0;
  /** Adds `n` (default 1). */
  inc(n = 1): void {
    this.value += n;
  }
  /** Subtracts `n` (default 1); gauges only. */
  dec(n = 1): void {
    this.value -= n;
  }
  /** Sets the value; gauges only. */
  set(v: number): void {
    this.value = v;
  }
}

/** Declaration of a family. */
export interface FamilySpec {
  /** Prometheus name (`istio_requests_total`, `envoy_cluster_upstream_rq_total`). */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Bucket bounds for histograms. */
  readonly buckets?: readonly number[];
  /** Envoy's `/stats` name for a child, e.g. `(l) => \`cluster.${l.cluster_name}.upstream_rq_total\``. */
  readonly envoyName?: (labels: LabelValues) => string;
}

/** One family with its children. */
export class Family<T extends Scalar | Histogram = Scalar | Histogram> {
  private readonly children = new Map<string, { labels: LabelValues; value: T; names?: readonly string[] }>();
  constructor(readonly spec: FamilySpec) {}

  /**
   * The child for a label set whose names differ from the family's (Telemetry tag overrides remove
   * standard labels or add new ones, Istio's stats filter `tags_to_remove` / `dimensions`). Such
   * children are exposed with their own label names. Keep the result when the labels repeat.
   */
  withNames(names: readonly string[], labels: LabelValues): T {
    const key = `${names.join('\u0001')}\u0002${names.map((n) => labels[n] ?? '').join('\u0000')}`;
    let child = this.children.get(key);
    if (!child) {
      const value = (this.spec.type === 'histogram' ? new Histogram(this.spec.buckets ?? []) : new Scalar()) as T;
      child = { labels, value, names };
      this.children.set(key, child);
    }
    return child.value;
  }

  /** The child for a label set, created on first use. Keep the result; don't call this per request. */
  with(labels: LabelValues = {}): T {
    const key = this.spec.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let child = this.children.get(key);
    if (!child) {
      const value = (this.spec.type === 'histogram' ? new Histogram(this.spec.buckets ?? []) : new Scalar()) as T;
      child = { labels, value };
      this.children.set(key, child);
    }
    return child.value;
  }

  /** All children. */
  entries(): IterableIterator<{ labels: LabelValues; value: T; names?: readonly string[] }> {
    return this.children.values();
  }
}

/** All families of one proxy. */
export class StatsStore {
  private readonly families = new Map<string, Family>();

  /** Registers (or returns the existing) family. */
  family<T extends Scalar | Histogram>(spec: FamilySpec): Family<T> {
    let f = this.families.get(spec.name);
    if (!f) {
      f = new Family(spec);
      this.families.set(spec.name, f);
    }
    return f as unknown as Family<T>;
  }

  /** Envoy's `/stats` text: one `name: value` line per scalar, histograms as `P0/P50/P99/P100`-less summaries. */
  renderText(): string {
    const lines: string[] = [];
    for (const f of this.families.values()) {
      for (const { labels, value, names } of f.entries()) {
        const name = f.spec.envoyName ? f.spec.envoyName(labels) : `${f.spec.name}${formatLabels(names ?? f.spec.labelNames, labels, ';')}`;
        if (value instanceof Histogram) {
          const p = (q: number) => (value.quantile(q) ?? 0).toFixed(1);
          lines.push(`${name}: P0(nan,${p(0)}) P50(nan,${p(0.5)}) P90(nan,${p(0.9)}) P99(nan,${p(0.99)}) count=${value.count} sum=${value.sum.toFixed(1)}`);
        } else lines.push(`${name}: ${value.value}`);
      }
    }
    return lines.sort().join('\n') + '\n';
  }

  /** Prometheus text exposition (version 0.0.4), passing `promtool check metrics`. */
  renderPrometheus(): string {
    const out: string[] = [];
    const names = [...this.families.keys()].sort();
    for (const n of names) {
      const f = this.families.get(n)!;
      const children = [...f.entries()];
      if (children.length === 0) continue;
      out.push(`# HELP ${n} ${f.spec.help}`, `# TYPE ${n} ${f.spec.type}`);
      for (const { labels, value, names } of children) {
        const ln = names ?? f.spec.labelNames;
        if (value instanceof Histogram) {
          const cum = value.cumulative();
          value.bounds.forEach((b, i) => out.push(`${n}_bucket${formatLabels(ln, labels, ',', ['le', String(b)])} ${cum[i]}`));
          out.push(`${n}_bucket${formatLabels(ln, labels, ',', ['le', '+Inf'])} ${cum[cum.length - 1]}`);
          out.push(`${n}_sum${formatLabels(ln, labels, ',')} ${value.sum}`);
          out.push(`${n}_count${formatLabels(ln, labels, ',')} ${value.count}`);
        } else out.push(`${n}${formatLabels(ln, labels, ',')} ${value.value}`);
      }
    }
    return out.join('\n') + '\n';
  }
}

function formatLabels(names: readonly string[], labels: LabelValues, sep: string, extra?: [string, string]): string {
  const parts = names.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${extra[1]}"`);
  return parts.length ? `{${parts.join(sep)}}` : '';
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
