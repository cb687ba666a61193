/**
 * Telemetry `metrics` for one proxy side, as istiod computes them (pilot/pkg/model/telemetry.go
 * `mergeMetrics`, `generateStatsConfig`) into Istio's stats filter config:
 * - the Telemetries' `metrics` entries apply in order root namespace → namespace → workload (later
 *   overrides earlier); the providers in scope are those named by the last entry that names any
 *   (else `defaultProviders.metrics`), an entry without providers applies to its parent's;
 * - each override's `match` selects a standard metric (`metric`, `ALL_METRICS` or none: every
 *   standard metric) or a `customMetric` by name, and a `mode` (CLIENT / SERVER / both); its
 *   `disabled` and `tagOverrides` (UPSERT: the tag's value is a CEL expression; REMOVE) merge on top
 *   of earlier ones per metric, tag by tag;
 * - `disabled: true` with ALL_METRICS drops the provider altogether, until a later override enables
 *   something again;
 * - `reportingInterval` becomes the filter's `tcp_reporting_duration` (the last one set wins).
 * Only Prometheus providers (mesh config `extensionProviders[].prometheus`, and Istio's built-in
 * `prometheus`) feed the proxy's Prometheus endpoint: when none is in scope the side reports no
 * Istio metrics, as a proxy without istiod's stats filter. A tag expression Weft cannot evaluate
 * (src/cel/attributes.ts) is left out; the loader warns about it (WFT0101, schema/telemetry.ts).
 * With no Telemetry metrics at all the proxy reports Istio's standard metrics unchanged (no config).
 */
import type { Resource } from '../../config/resource.js';
import type { Metrics, TelemetrySpec } from '../../config/schema/telemetry.js';
import type { IstioStatsConfig, IstioStatsMetric } from '../../envoy/types.js';
import type { MeshConfig } from '../../config/mesh-config.js';
import { celUnsupportedReason } from '../../cel/attributes.js';
import { parseDuration } from '../../config/duration.js';
import type { WorkloadMode } from './telemetry-scope.js';

/** Istio's `metricToPrometheusMetric`: Telemetry metric enum → stats filter metric name. */
export const PROMETHEUS_METRIC_NAMES: Readonly<Record<string, string>> = {
  REQUEST_COUNT: 'requests_total',
  REQUEST_DURATION: 'request_duration_milliseconds',
  REQUEST_SIZE: 'request_bytes',
  RESPONSE_SIZE: 'response_bytes',
  TCP_OPENED_CONNECTIONS: 'tcp_connections_opened_total',
  TCP_CLOSED_CONNECTIONS: 'tcp_connections_closed_total',
  TCP_SENT_BYTES: 'tcp_sent_bytes_total',
  TCP_RECEIVED_BYTES: 'tcp_received_bytes_total',
  GRPC_REQUEST_MESSAGES: 'request_messages_total',
  GRPC_RESPONSE_MESSAGES: 'response_messages_total',
};
const ALL_METRICS = Object.keys(PROMETHEUS_METRIC_NAMES).sort();

interface TagOverride {
  readonly remove: boolean;
  readonly value: string;
}
interface MetricOverride {
  disabled: boolean | undefined;
  readonly tags: Map<string, TagOverride>;
}
interface ProviderState {
  readonly byMode: Record<WorkloadMode, Map<string, MetricOverride>>;
  disabledAll: boolean;
  interval: string | undefined;
}

const names = (m: Metrics): string[] => (m.providers ?? []).map((p) => p.name);

function matches(o: NonNullable<Metrics['overrides']>[number]): string[] {
  const c = o.match?.customMetric;
  if (c !== undefined && c !== '') return [c];
  const m = o.match?.metric;
  return m === undefined || m === 'ALL_METRICS' ? ALL_METRICS : [m];
}

function modes(o: NonNullable<Metrics['overrides']>[number]): WorkloadMode[] {
  const m = o.match?.mode;
  return m === 'CLIENT' || m === 'SERVER' ? [m] : ['CLIENT', 'SERVER'];
}

/** istiod's `mergeMetrics`: provider name → merged overrides per mode. */
export function mergeMetrics(entries: readonly Metrics[], defaults: readonly string[]): Map<string, ProviderState> {
  const providers = new Map<string, ProviderState>();
  const fresh = (): ProviderState => ({ byMode: { CLIENT: new Map(), SERVER: new Map() }, disabledAll: false, interval: undefined });
  if (entries.length === 0) {
    for (const d of defaults) providers.set(d, fresh());
    return providers;
  }
  let inScope: readonly string[] = defaults;
  for (const m of entries) if (names(m).length > 0) inScope = names(m);
  const scope = new Set(inScope);
  let parent: readonly string[] = defaults;
  for (const m of entries) {
    let ps = names(m);
    if (ps.length === 0) ps = [...parent];
    parent = ps;
    for (const p of ps) {
      if (!scope.has(p)) continue;
      let st = providers.get(p);
      if (st === undefined) providers.set(p, (st = fresh()));
      if (m.reportingInterval !== undefined) st.interval = m.reportingInterval;
      for (const o of m.overrides ?? []) {
        const all = o.match?.customMetric === undefined && (o.match?.metric === undefined || o.match.metric === 'ALL_METRICS');
        if (all && o.disabled === true) {
          st.disabledAll = true;
          continue;
        }
        st.disabledAll = false;
        for (const mode of modes(o)) {
          for (const metric of matches(o)) {
            let mo = st.byMode[mode].get(metric);
            if (mo === undefined) st.byMode[mode].set(metric, (mo = { disabled: undefined, tags: new Map() }));
            if (o.disabled !== undefined && o.disabled !== null) mo.disabled = o.disabled;
            for (const [tag, to] of Object.entries(o.tagOverrides ?? {})) {
              mo.tags.set(tag, to.operation === 'REMOVE' ? { remove: true, value: '' } : { remove: false, value: to.value ?? '' });
            }
          }
        }
      }
    }
  }
  return providers;
}

const isPrometheus = (mesh: MeshConfig, name: string): boolean => {
  const p = mesh.extensionProviders.find((x) => x.name.toLowerCase() === name.toLowerCase());
  return p !== undefined ? p.prometheus !== undefined : name === 'prometheus';
};

/** Every standard metric dropped: what a side without a Prometheus provider reports. */
export const NO_METRICS: IstioStatsConfig = Object.freeze({ metrics: Object.freeze([Object.freeze({ drop: true })]) });

/**
 * The stats filter config for one proxy side, or undefined when the proxy's standard metrics apply
 * unchanged (no Telemetry `metrics` in scope, or nothing to change).
 */
export function buildMetricsConfig(telemetries: readonly Resource<TelemetrySpec>[], mesh: MeshConfig, mode: WorkloadMode): IstioStatsConfig | undefined {
  const entries = telemetries.flatMap((t) => t.spec.metrics ?? []);
  if (entries.length === 0) return undefined;
  // Weft's mesh config parser drops unset defaultProviders fields; Istio merges them over its default.
  const merged = mergeMetrics(entries, mesh.defaultProviders.metrics ?? ['prometheus']);
  const prom = [...merged.entries()].filter(([name, st]) => isPrometheus(mesh, name) && !st.disabledAll);
  if (prom.length === 0) return NO_METRICS;
  const [, st] = prom.sort(([a], [b]) => a.localeCompare(b))[0]!;
  const metrics: IstioStatsMetric[] = [];
  for (const metric of [...st.byMode[mode].keys()].sort()) {
    const mo = st.byMode[mode].get(metric)!;
    const dimensions: Record<string, string> = {};
    const remove: string[] = [];
    for (const tag of [...mo.tags.keys()].sort()) {
      const t = mo.tags.get(tag)!;
      if (t.remove) remove.push(tag);
      else if (celUnsupportedReason(t.value) === undefined) dimensions[tag] = t.value;
    }
    metrics.push({
      name: PROMETHEUS_METRIC_NAMES[metric] ?? metric,
      ...(Object.keys(dimensions).length > 0 ? { dimensions } : {}),
      ...(remove.length > 0 ? { tags_to_remove: remove } : {}),
      ...(mo.disabled === true ? { drop: true } : {}),
    });
  }
  const useful = metrics.filter((m) => m.drop === true || m.dimensions !== undefined || m.tags_to_remove !== undefined);
  if (useful.length === 0 && st.interval === undefined) return undefined;
  const intervalMs = st.interval !== undefined ? parseDuration(st.interval) : undefined;
  return {
    ...(useful.length > 0 ? { metrics: useful } : {}),
    // A proto JSON duration, as istiod marshals `tcp_reporting_duration`.
    ...(intervalMs !== undefined ? { tcp_reporting_duration: `${intervalMs / 1000}s` } : {}),
  };
}
