/**
 * One `envoy.filters.network.tcp_proxy` filter compiled for the proxy, as a {@link TcpRoute}: the
 * cluster (or `weightedClusters`, weight/sum each, weight 0 never), the idle timeout (Envoy's
 * default 1 h), the max connection duration, source-IP hashing, and the chain's network RBAC
 * filters and Istio stats policy that travel with it.
 */
import { networkMetricsPolicy, type MetricsPolicy } from '../stats/metrics-policy.js';
import { compileNetworkRbac, type NetworkRbacStage } from '../../envoy/rbac/network-rbac.js';
import type { FilterChain, TcpProxy } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { DEFAULT_TCP_IDLE_TIMEOUT_MS } from '../../envoy/defaults.js';
import { durationMs } from '../../envoy/duration.js';

const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
const HCM = 'envoy.filters.network.http_connection_manager';

/** One compiled TCP proxy filter. */
export interface TcpRoute {
  /** Filter chain name (diagnostics). */
  readonly name: string;
  readonly statPrefix: string;
  /** Picks the cluster name for one connection. */
  pickCluster(): string | undefined;
  /** Idle timeout (ms; 0 = none). */
  readonly idleTimeoutMs: number;
  /** `maxDownstreamConnectionDuration` (ms; 0 = none): the connection is closed after it (flag DT). */
  readonly maxConnectionDurationMs?: number;
  /** `hashPolicy: [{sourceIp: {}}]`: hashing balancers pick by the downstream address. */
  readonly hashSourceIp?: boolean;
  /** The chain's network RBAC filters (AuthorizationPolicy on TCP), evaluated once per connection. */
  readonly rbac?: readonly NetworkRbacStage[];
  /** Telemetry metrics from the chain's `istio.stats` network filter (stats/metrics-policy.ts); absent = standard metrics. */
  readonly metrics?: MetricsPolicy;
}

const routeCache = new WeakMap<object, TcpRoute>();

/** The TcpProxy config of a chain, when its network filter is a TCP proxy (and not an HCM). */
export function tcpProxyOf(chain: FilterChain | undefined): TcpProxy | undefined {
  const filters = chain?.filters ?? [];
  if (filters.some((f) => f.name === HCM || f.typedConfig?.['@type'] === TypeUrl.HttpConnectionManager)) return undefined;
  const f = filters.find((x) => x.name === TCP_PROXY || x.typedConfig?.['@type'] === TypeUrl.TcpProxy);
  return f?.typedConfig as TcpProxy | undefined;
}

/** Compiles a TcpProxy (cached per config object). */
export function compileTcpRoute(proxy: TcpProxy, name: string): TcpRoute {
  const cached = routeCache.get(proxy);
  if (cached) return cached;
  const weighted = (proxy.weightedClusters?.clusters ?? []).filter((c) => (c.weight ?? 0) > 0 && c.name);
  const total = weighted.reduce((n, c) => n + (c.weight ?? 0), 0);
  const single = proxy.cluster;
  const pickCluster = weighted.length > 0
    ? (): string | undefined => {
        let v = Math.floor(Math.random() * total);
        for (const c of weighted) {
          v -= c.weight!;
          if (v < 0) return c.name;
        }
        return weighted[weighted.length - 1]!.name;
      }
    : (): string | undefined => single;
  const idle = durationMs(proxy.idleTimeout);
  const maxDuration = durationMs(proxy.maxDownstreamConnectionDuration);
  const route: TcpRoute = {
    name, statPrefix: proxy.statPrefix ?? '', pickCluster, idleTimeoutMs: idle ?? DEFAULT_TCP_IDLE_TIMEOUT_MS,
    ...(maxDuration !== undefined && maxDuration > 0 ? { maxConnectionDurationMs: maxDuration } : {}),
    ...(proxy.hashPolicy?.some((h) => h.sourceIp !== undefined && h.sourceIp !== null) ? { hashSourceIp: true } : {}),
  };
  routeCache.set(proxy, route);
  return route;
}

/**
 * The network RBAC filters of a chain, compiled strictly: a config that does not compile throws, so
 * the listener update is NACKed (Envoy's network RBAC filter factory rejects it at config load:
 * source/extensions/filters/network/rbac/config.cc). Undefined when the chain has none.
 */
export function compileChainNetworkRbac(chain: FilterChain, name: string): readonly NetworkRbacStage[] | undefined {
  return compileNetworkRbac(chain.filters ?? [], `${name}.filters`);
}

/** The TCP route of a chain with its network RBAC and stats policy (strict: throws on a bad RBAC config); undefined for HCM chains. */
export function compileChainTcpRoute(chain: FilterChain, name: string, rbac: readonly NetworkRbacStage[] | undefined): TcpRoute | undefined {
  const p = tcpProxyOf(chain);
  if (!p) return undefined;
  const base = compileTcpRoute(p, name);
  const metrics = networkMetricsPolicy(chain.filters);
  if (rbac === undefined && metrics === undefined) return base;
  return { ...base, ...(rbac !== undefined ? { rbac } : {}), ...(metrics !== undefined ? { metrics } : {}) };
}
