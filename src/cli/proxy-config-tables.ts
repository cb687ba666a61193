/**
 * Tables for `weft proxy-config`, laid out as `istioctl proxy-config` prints them, built from a
 * proxy's `/config_dump` (and `/clusters` for endpoint health). Pure: dump in, rows out.
 */
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration } from '../envoy/types.js';
import { routeOrigin } from '../translate/route/route-metadata.js';

/** The parts of a config dump the tables read. */
export interface ConfigDumpParts {
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
}

interface DumpShape {
  configs?: Record<string, unknown>[];
}

/** Extracts resources from an Envoy-style `/config_dump`. */
export function parseConfigDump(dump: unknown): ConfigDumpParts {
  const configs = (dump as DumpShape).configs ?? [];
  const of = (suffix: string) => configs.find((c) => String(c['@type'] ?? '').endsWith(suffix)) ?? {};
  const strip = <T>(o: Record<string, unknown> | undefined): T => {
    const { '@type': _t, ...rest } = o ?? {};
    return rest as T;
  };
  const cl = of('ClustersConfigDump') as { dynamicActiveClusters?: { cluster?: Record<string, unknown> }[]; staticClusters?: { cluster?: Record<string, unknown> }[] };
  const li = of('ListenersConfigDump') as { dynamicListeners?: { activeState?: { listener?: Record<string, unknown> } }[] };
  const ro = of('RoutesConfigDump') as { dynamicRouteConfigs?: { routeConfig?: Record<string, unknown> }[] };
  const ep = of('EndpointsConfigDump') as { dynamicEndpointConfigs?: { endpointConfig?: Record<string, unknown> }[] };
  return {
    clusters: [...(cl.staticClusters ?? []), ...(cl.dynamicActiveClusters ?? [])].map((c) => strip<Cluster>(c.cluster)),
    listeners: (li.dynamicListeners ?? []).map((l) => strip<Listener>(l.activeState?.listener)),
    routes: (ro.dynamicRouteConfigs ?? []).map((r) => strip<RouteConfiguration>(r.routeConfig)),
    endpoints: (ep.dynamicEndpointConfigs ?? []).map((e) => strip<ClusterLoadAssignment>(e.endpointConfig)),
  };
}

/** `SERVICE FQDN  PORT  SUBSET  DIRECTION  TYPE  DESTINATION RULE`. */
export function clusterRows(parts: ConfigDumpParts): string[][] {
  const rows = [['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE']];
  for (const c of [...parts.clusters].sort((a, b) => cmp(a.name, b.name))) {
    const name = c.name ?? '';
    const [direction, port, subset, fqdn] = name.split('|');
    const config = c.metadata?.filterMetadata?.istio?.fields?.config?.stringValue;
    const dr = config ? drName(config) : '';
    if (name.includes('|')) rows.push([fqdn ?? '', port ?? '', subset || '-', direction ?? '', c.type ?? 'EDS', dr]);
    else rows.push([name, '-', '-', '-', c.type ?? 'STATIC', '']);
  }
  return rows;
}

/** `ADDRESSES  PORT  MATCH  DESTINATION`, one row per filter chain. */
export function listenerRows(parts: ConfigDumpParts): string[][] {
  const rows = [['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION']];
  for (const l of [...parts.listeners].sort((a, b) => cmp(a.name, b.name))) {
    const sa = l.address?.socketAddress;
    const chains = [...(l.filterChains ?? []), ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])];
    if (chains.length === 0) rows.push([sa?.address ?? '', String(sa?.portValue ?? ''), 'ALL', l.useOriginalDst ? 'PassthroughCluster' : '']);
    for (const fc of chains) {
      const m = fc.filterChainMatch;
      const match = [
        m?.destinationPort?.value !== undefined ? `port ${m.destinationPort.value}` : '',
        m?.serverNames?.length ? `SNI: ${m.serverNames.join(',')}` : '',
        m?.transportProtocol ? `Trans: ${m.transportProtocol}` : '',
        m?.applicationProtocols?.length ? `App: ${m.applicationProtocols.join(',')}` : '',
      ].filter(Boolean).join('; ') || 'ALL';
      rows.push([sa?.address ?? '', String(sa?.portValue ?? ''), match, chainDestination(fc.filters ?? [])]);
    }
  }
  return rows;
}

/** `NAME  VHOST NAME  DOMAINS  MATCH  VIRTUAL SERVICE`. */
export function routeRows(parts: ConfigDumpParts): string[][] {
  const rows = [['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE']];
  for (const rc of [...parts.routes].sort((a, b) => cmp(a.name, b.name))) {
    for (const vh of rc.virtualHosts ?? []) {
      const domains = vh.domains ?? [];
      const shown = domains.length > 2 ? `${domains[0]} + ${domains.length - 1} more...` : domains.join(', ');
      for (const r of vh.routes ?? []) {
        const m = r.match;
        const match = m?.prefix !== undefined ? `${m.prefix}*` : m?.path ?? (m?.safeRegex ? `~${m.safeRegex.regex}` : m?.pathSeparatedPrefix ?? '/*');
        const origin = routeOrigin(r.metadata);
        rows.push([rc.name ?? '', vh.name ?? '', shown, match, origin ? origin.virtualService.replace(/^(.*)\/(.*)$/, '$2.$1') : '']);
      }
    }
  }
  return rows;
}

/** `ENDPOINT  STATUS  OUTLIER CHECK  CLUSTER` from `/clusters` text (`cluster::host::field::value`). */
export function endpointRows(clustersText: string): string[][] {
  const hosts = new Map<string, { cluster: string; host: string; flags: string }>();
  for (const line of clustersText.split('\n')) {
    const parts = line.split('::');
    if (parts.length !== 4) continue;
    const [cluster, host, field, value] = parts as [string, string, string, string];
    if (!/:\d+$/.test(host)) continue;
    const key = `${cluster}::${host}`;
    const entry = hosts.get(key) ?? { cluster, host, flags: 'healthy' };
    if (field === 'health_flags') entry.flags = value;
    hosts.set(key, entry);
  }
  const rows = [['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER']];
  for (const e of [...hosts.values()].sort((a, b) => cmp(a.host, b.host) || cmp(a.cluster, b.cluster))) {
    const healthy = e.flags === 'healthy';
    const outlier = e.flags.includes('failed_outlier_check') ? 'FAILED' : 'OK';
    rows.push([e.host, healthy ? 'HEALTHY' : 'UNHEALTHY', outlier, e.cluster]);
  }
  return rows;
}

function chainDestination(filters: readonly { name?: string; typedConfig?: Record<string, unknown> }[]): string {
  for (const f of filters) {
    const tc = f.typedConfig ?? {};
    if (f.name === 'envoy.filters.network.http_connection_manager') {
      const rds = (tc.rds as { routeConfigName?: string } | undefined)?.routeConfigName;
      if (rds) return `Route: ${rds}`;
      const inline = tc.routeConfig as RouteConfiguration | undefined;
      const cluster = inline?.virtualHosts?.[0]?.routes?.[0]?.route?.cluster;
      return cluster ? `Inline Route: ${cluster}` : 'Inline Route';
    }
    if (f.name === 'envoy.filters.network.tcp_proxy') {
      const cluster = tc.cluster as string | undefined;
      return cluster ? `Cluster: ${cluster}` : 'Weighted clusters';
    }
  }
  return '';
}

function drName(config: string): string {
  const m = /namespaces\/([^/]+)\/destination-rule\/([^/]+)$/.exec(config);
  return m ? `${m[2]}.${m[1]}` : '';
}

function cmp(a: string | undefined, b: string | undefined): number {
  return (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;
}
