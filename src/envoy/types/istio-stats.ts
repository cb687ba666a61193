/**
 * Istio's stats filter configuration (`stats.PluginConfig`, istio.io/api
 * `envoy/extensions/stats/config.proto`), in the JSON form istiod hands the filter (proto field
 * names). istiod emits it as the `istio.stats` HTTP filter of every HTTP connection manager and
 * the `istio.stats` network filter of every TCP proxy chain; Weft's translation emits it packed in
 * an `xds.type.v3.TypedStruct` whose `typeUrl` is {@link ISTIO_STATS_TYPE_URL} (istiod packs the
 * same message into a Wasm or TypedStruct config), and Weft's proxy applies it in its stats layer.
 */

/** Name of the stats filter (HTTP and network), as istiod names it (`xds.StatsFilterName`). */
export const ISTIO_STATS_FILTER = 'istio.stats';
/** Type URL of {@link IstioStatsConfig}. */
export const ISTIO_STATS_TYPE_URL = 'type.googleapis.com/stats.PluginConfig';

/** One metric override (`stats.MetricConfig`). */
export interface IstioStatsMetric {
  /** Metric name without the `istio_` prefix (`requests_total`, `tcp_sent_bytes_total`); empty: every metric. */
  readonly name?: string;
  /** Tag name → CEL expression giving its value (a new tag, or a new value for a standard one). */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Standard tags left out of the metric. */
  readonly tags_to_remove?: readonly string[];
  /** The metric is not reported. */
  readonly drop?: boolean;
}

/** The stats filter config (`stats.PluginConfig`), the fields Weft uses. */
export interface IstioStatsConfig {
  readonly metrics?: readonly IstioStatsMetric[];
  /** Interval of TCP byte reports for open connections, a proto JSON duration (`"5s"`); the filter's default is 5 s. */
  readonly tcp_reporting_duration?: string;
}
