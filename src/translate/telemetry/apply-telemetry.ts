/**
 * Adds Telemetry-derived settings to every HTTP connection manager of a proxy's listeners: the
 * access logs (access-logging.ts) and the tracing block (tracing.ts); and Istio's stats filter
 * (`istio.stats`, metrics.ts) before the router of every HCM and before the tcp_proxy of every TCP
 * chain, as istiod's `HTTPFilters` / `TCPFilters`, when Telemetry `metrics` change anything. Listener side: the sidecar's
 * `virtualInbound` is SERVER, its outbound listeners and every gateway listener CLIENT, as istiod's
 * `workloadMode` maps listener classes. Pure: returns new listener objects, leaves input untouched,
 * and returns the input unchanged when nothing applies.
 */
import type { AccessLog, Filter, FilterChain, HcmTracing, HttpConnectionManager, IstioStatsConfig, Listener } from '../../envoy/types.js';
import { buildMetricsConfig } from './metrics.js';
import { statsHttpFilters, withStatsNetworkFilter } from './stats-filter.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { buildAccessLogs } from './access-logging.js';
import { applicableTelemetries, type WorkloadMode } from './telemetry-scope.js';
import { buildRequestIdExtension, buildTracing } from './tracing.js';

const HCM = 'envoy.filters.network.http_connection_manager';

interface SideSettings {
  readonly accessLog: readonly AccessLog[];
  readonly tracing: HcmTracing | undefined;
  readonly stats: IstioStatsConfig | undefined;
  readonly requestIdExtension: HttpConnectionManager['requestIdExtension'];
}

function withSettings(f: Filter, s: SideSettings): Filter {
  if (f.name !== HCM && f.typedConfig?.['@type'] !== TypeUrl.HttpConnectionManager) return f;
  const hcm = f.typedConfig as unknown as HttpConnectionManager & { '@type': string };
  const next = {
    ...hcm,
    ...(s.accessLog.length > 0 ? { accessLog: [...(hcm.accessLog ?? []), ...s.accessLog] } : {}),
    ...(s.tracing !== undefined && hcm.tracing === undefined ? { tracing: s.tracing } : {}),
    ...(s.stats !== undefined ? { httpFilters: statsHttpFilters(hcm.httpFilters, s.stats) } : {}),
    ...(s.requestIdExtension !== undefined && hcm.tracing === undefined && hcm.requestIdExtension === undefined ? { requestIdExtension: s.requestIdExtension } : {}),
  };
  return { ...f, typedConfig: next as unknown as Filter['typedConfig'] };
}

function chain(c: FilterChain | undefined, s: SideSettings): FilterChain | undefined {
  if (c === undefined || c.filters === undefined) return c;
  const filters = c.filters.map((f) => withSettings(f, s));
  return { ...c, filters: s.stats !== undefined ? withStatsNetworkFilter(filters, s.stats) : filters };
}

/** The listeners with access logs and tracing applied. */
export function applyTelemetry(listeners: Listener[], snapshot: MeshSnapshot, node: ProxyNode): Listener[] {
  const telemetries = applicableTelemetries(snapshot, node);
  const side = (mode: WorkloadMode): SideSettings => ({
    accessLog: buildAccessLogs(telemetries, snapshot.meshConfig, mode),
    tracing: buildTracing(telemetries, snapshot.meshConfig, mode, node),
    stats: buildMetricsConfig(telemetries, snapshot.meshConfig, mode),
    requestIdExtension: buildRequestIdExtension(telemetries, snapshot.meshConfig, mode),
  });
  const client = side('CLIENT');
  const server = node.role === 'router' ? client : side('SERVER');
  const empty = (s: SideSettings) => s.accessLog.length === 0 && s.tracing === undefined && s.stats === undefined;
  if (empty(client) && empty(server)) return listeners;
  return listeners.map((l) => {
    const s = node.role !== 'router' && (l.name === 'virtualInbound' || l.trafficDirection === 'INBOUND') ? server : client;
    if (empty(s)) return l;
    return {
      ...l,
      ...(l.filterChains !== undefined ? { filterChains: l.filterChains.map((c) => chain(c, s)!) } : {}),
      ...(l.defaultFilterChain !== undefined ? { defaultFilterChain: chain(l.defaultFilterChain, s) } : {}),
    };
  });
}
