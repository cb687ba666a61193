/**
 * Istio's stats filter config (`stats.PluginConfig`, from Telemetry `metrics`; see
 * src/translate/telemetry/metrics.ts) compiled for the proxy's stats layer, applied as Istio's
 * `istio.stats` filter does (proxy `source/extensions/filters/http/istio_stats`):
 * - each `metrics[]` entry applies to the metric it names (`requests_total`, `tcp_sent_bytes_total`,
 *   … without the `istio_` prefix), or to every metric when it names none, in order;
 * - `drop` stops reporting the metric;
 * - `tags_to_remove` leaves standard labels out of its series;
 * - `dimensions` sets a label (a standard one, or a new one added after them) to the value of a CEL
 *   expression evaluated per request (per connection for TCP); a value that fails to evaluate
 *   (a missing header…) is `unknown`, as the filter reports it;
 * - `tcp_reporting_duration`: open TCP connections report their byte counters at this interval
 *   (the filter's default 5 s), not only when they close. It has no effect on HTTP, as in Istio:
 *   requests are reported when they end (Istio's filter uses the timer on HTTP only for gRPC
 *   streams' message counts, `istio_request_messages_total`, which Weft's proxy does not count).
 * An expression the proxy cannot parse (the translation already leaves those out) is reported as
 * `unknown` rather than refusing the listener.
 */
import { CelError, compileCel, type CelProgram, type CelResolver, type CelValue } from '../../cel/cel.js';
import { parseDuration } from '../../config/duration.js';
import type { Filter, HttpConnectionManager, HttpFilter as HttpFilterConfig } from '../../envoy/types.js';
import { ISTIO_STATS_FILTER, ISTIO_STATS_TYPE_URL } from '../../envoy/types.js';
import { fromStruct, type JsonValue } from '../../xds/node-info.js';
import type { LabelValues } from './stats-store.js';

/** The stats filter's default TCP reporting interval (`tcp_reporting_duration`), ms. */
export const DEFAULT_TCP_REPORTING_MS = 5000;

/** What the policy says about one metric. */
export interface MetricRule {
  readonly drop: boolean;
  readonly remove: ReadonlySet<string>;
  readonly upsert: readonly (readonly [string, CelProgram | undefined])[];
}

const NO_RULE: MetricRule = Object.freeze({ drop: false, remove: new Set<string>(), upsert: [] });

/** A compiled stats config. */
export class MetricsPolicy {
  private readonly rules = new Map<string, MetricRule>();
  constructor(
    private readonly entries: readonly { name: string; drop: boolean; remove: readonly string[]; dims: readonly (readonly [string, CelProgram | undefined])[] }[],
    /** Interval of TCP byte reports for open connections, ms. */
    readonly tcpReportingMs: number,
  ) {}

  /** The merged rule for one metric (by the stats filter's name). */
  rule(metric: string): MetricRule {
    let r = this.rules.get(metric);
    if (r === undefined) {
      let drop = false;
      const remove = new Set<string>();
      const upsert = new Map<string, CelProgram | undefined>();
      for (const e of this.entries) {
        if (e.name !== '' && e.name !== metric) continue;
        drop ||= e.drop;
        for (const t of e.remove) remove.add(t);
        for (const [k, p] of e.dims) upsert.set(k, p);
      }
      r = drop || remove.size > 0 || upsert.size > 0 ? { drop, remove, upsert: [...upsert] } : NO_RULE;
      this.rules.set(metric, r);
    }
    return r;
  }

  /**
   * The label names and values of one series of `metric`, from the standard ones; undefined when
   * the metric is dropped. `resolve` gives the request's (or connection's) attributes.
   */
  labels(metric: string, standardNames: readonly string[], standard: LabelValues, resolve: () => CelResolver): { names: readonly string[]; labels: LabelValues } | undefined {
    const r = this.rule(metric);
    if (r.drop) return undefined;
    if (r === NO_RULE) return { names: standardNames, labels: standard };
    const names = standardNames.filter((n) => !r.remove.has(n));
    const labels: Record<string, string> = { ...standard };
    let resolver: CelResolver | undefined;
    for (const [tag, program] of r.upsert) {
      if (!names.includes(tag)) names.push(tag);
      resolver ??= resolve();
      labels[tag] = program === undefined ? 'unknown' : celLabel(program.evaluate(resolver));
    }
    return { names, labels };
  }
}

/** A CEL result as a label value; errors and non-scalar values are `unknown`. */
function celLabel(v: CelValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return 'unknown';
}

function compileExpr(expr: string): CelProgram | undefined {
  try {
    return compileCel(expr);
  } catch (err) {
    if (err instanceof CelError) return undefined;
    throw err;
  }
}

const str = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : '');

/** Compiles a `stats.PluginConfig` in plain JSON form. */
export function compileMetricsPolicy(cfg: Readonly<Record<string, JsonValue>>): MetricsPolicy {
  const list = Array.isArray(cfg['metrics']) ? cfg['metrics'] : [];
  const entries = list.flatMap((m) => {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return [];
    const dims = m['dimensions'];
    const remove = m['tags_to_remove'];
    return [{
      name: str(m['name']),
      drop: m['drop'] === true,
      remove: Array.isArray(remove) ? remove.map((x) => str(x)).filter((x) => x !== '') : [],
      dims: dims !== null && typeof dims === 'object' && !Array.isArray(dims)
        ? Object.entries(dims).map(([k, v]) => [k, compileExpr(str(v))] as const)
        : [],
    }];
  });
  const d = cfg['tcp_reporting_duration'];
  const ms = typeof d === 'string' ? parseDuration(d) : undefined;
  return new MetricsPolicy(entries, ms !== undefined && ms > 0 ? ms : DEFAULT_TCP_REPORTING_MS);
}

type Obj = Readonly<Record<string, unknown>>;

/** The plain stats config of an `istio.stats` filter (TypedStruct-packed), else undefined. */
function statsConfigOf(f: { name?: string; typedConfig?: unknown }): Readonly<Record<string, JsonValue>> | undefined {
  const tc = f.typedConfig as Obj | undefined;
  const inner = (tc?.['typeUrl'] ?? tc?.['type_url']) as string | undefined;
  if (f.name !== ISTIO_STATS_FILTER && inner !== ISTIO_STATS_TYPE_URL) return undefined;
  const v = tc?.['value'] as Obj | undefined;
  if (v === undefined) return {};
  // Struct form ({fields}) as decoded from the wire or built by the translation.
  return 'fields' in v ? fromStruct(v as Parameters<typeof fromStruct>[0]) : (v as Readonly<Record<string, JsonValue>>);
}

const hcmCache = new WeakMap<object, MetricsPolicy | null>();

/** The metrics policy of an HCM's `istio.stats` filter; undefined: Istio's standard metrics unchanged. */
export function hcmMetricsPolicy(config: HttpConnectionManager): MetricsPolicy | undefined {
  let p = hcmCache.get(config);
  if (p === undefined) {
    const f = (config.httpFilters ?? []).find((x: HttpFilterConfig) => statsConfigOf(x) !== undefined);
    p = f !== undefined ? compileMetricsPolicy(statsConfigOf(f)!) : null;
    hcmCache.set(config, p);
  }
  return p ?? undefined;
}

/** The metrics policy of a TCP chain's `istio.stats` network filter, if any. */
export function networkMetricsPolicy(filters: readonly Filter[] | undefined): MetricsPolicy | undefined {
  const f = (filters ?? []).find((x) => statsConfigOf(x) !== undefined);
  if (f === undefined) return undefined;
  let p = hcmCache.get(f);
  if (p === undefined) hcmCache.set(f, (p = compileMetricsPolicy(statsConfigOf(f)!)));
  return p ?? undefined;
}
