/**
 * Istio's stats filter in a listener's config: the `istio.stats` HTTP filter istiod puts before the
 * router of every HTTP connection manager, and the `istio.stats` network filter it puts before the
 * tcp_proxy of every TCP chain (pilot/pkg/networking/core `buildHTTPTelemetryFilter` /
 * `buildTCPTelemetryFilter`). The config (`stats.PluginConfig`) travels in an
 * `xds.type.v3.TypedStruct`, as istiod packed it for Envoy before the stats filter became native.
 */
import type { Filter, HttpFilter, IstioStatsConfig } from '../../envoy/types.js';
import { ISTIO_STATS_FILTER, ISTIO_STATS_TYPE_URL } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { toStruct, type PlainValue } from '../cluster/struct-values.js';

/** `xds.type.v3.TypedStruct`'s type URL. */
export const TYPED_STRUCT_TYPE_URL = TypeUrl.TypedStruct;

const ROUTER = 'envoy.filters.http.router';

/** The stats config as a filter's typed config. */
export function statsTypedConfig(cfg: IstioStatsConfig): NonNullable<Filter['typedConfig']> {
  return { '@type': TYPED_STRUCT_TYPE_URL, typeUrl: ISTIO_STATS_TYPE_URL, value: toStruct(cfg as unknown as { readonly [k: string]: PlainValue }) } as unknown as NonNullable<Filter['typedConfig']>;
}

const isStats = (f: { name?: string }): boolean => f.name === ISTIO_STATS_FILTER;

/** An HCM's `httpFilters` with the stats filter placed before the router (replacing an earlier one). */
export function statsHttpFilters(list: readonly HttpFilter[] | undefined, cfg: IstioStatsConfig): HttpFilter[] {
  const base = (list === undefined || list.length === 0 ? [{ name: ROUTER, typedConfig: { '@type': TypeUrl.Router } }] : list).filter((f) => !isStats(f));
  const stats: HttpFilter = { name: ISTIO_STATS_FILTER, typedConfig: statsTypedConfig(cfg) } as HttpFilter;
  const at = base.findIndex((f) => f.name === ROUTER || (f.typedConfig as { '@type'?: string } | undefined)?.['@type'] === TypeUrl.Router);
  return at < 0 ? [...base, stats] : [...base.slice(0, at), stats, ...base.slice(at)];
}

/** A chain's network filters with the stats filter before its tcp_proxy (HCM chains are left as they are). */
export function withStatsNetworkFilter(filters: readonly Filter[], cfg: IstioStatsConfig): Filter[] {
  const at = filters.findIndex((f) => f.name === 'envoy.filters.network.tcp_proxy' || f.typedConfig?.['@type'] === TypeUrl.TcpProxy);
  if (at < 0) return [...filters];
  const rest = filters.filter((f) => !isStats(f));
  const i = rest.findIndex((f) => f.name === 'envoy.filters.network.tcp_proxy' || f.typedConfig?.['@type'] === TypeUrl.TcpProxy);
  return [...rest.slice(0, i), { name: ISTIO_STATS_FILTER, typedConfig: statsTypedConfig(cfg) }, ...rest.slice(i)];
}
