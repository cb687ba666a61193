/**
 * One HTTP connection manager (`envoy.filters.network.http_connection_manager`) compiled for the
 * proxy: its route source (RDS name or inline table), request-id/XFF settings, downstream timeouts,
 * security settings, access logs, tracing, Istio stats policy and the HTTP filter chain built from
 * its `httpFilters` (http-filter-registry.ts). Everything that can fail compiles here, at
 * push time, so a config the proxy cannot run is NACKed instead of failing a request later (Envoy
 * builds the HCM's filter factories when the listener is added:
 * source/extensions/filters/network/http_connection_manager/config.cc `HttpConnectionManagerConfig`).
 * Compiled once per HCM config object.
 */
import { hcmMetricsPolicy, type MetricsPolicy } from '../stats/metrics-policy.js';
import { compileRouteTable, type RouteTable } from '../../envoy/route-table.js';
import type { FilterChain, HttpConnectionManager, RouteConfiguration } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { DEFAULT_DOWNSTREAM_IDLE_TIMEOUT_MS, DEFAULT_STREAM_IDLE_TIMEOUT_MS } from '../../envoy/defaults.js';
import { durationMs } from '../../envoy/duration.js';
import { compileHcmSecurity, type HcmSecurity } from '../filters/hcm-security.js';
import { compileAccessLogs, type AccessLogger } from '../access-log/access-logger.js';
import { compileTracing, type TracingRuntime } from '../tracing/tracing-config.js';
import type { HttpFilter } from '../http/filter.js';
import { compileHttpFilterChain, defaultHttpFilterChain } from './http-filter-registry.js';
import { validateCorsPolicies } from '../filters/cors-filter.js';
import { SnapshotError, SnapshotErrorCode } from './snapshot-error.js';

/** Where requests of one HTTP connection manager came in. */
export type Direction = 'outbound' | 'inbound' | 'gateway';

/** A compiled HttpConnectionManager: where its routes come from and its request-id/XFF settings. */
export interface HcmRuntime {
  /** Listener (or filter chain) name, for diagnostics. */
  readonly name: string;
  readonly direction: Direction;
  /** RDS name, when routes come from RDS. */
  readonly rdsName: string | undefined;
  /** Inline route table, when the HCM carries `routeConfig`. */
  readonly inlineTable: RouteTable | undefined;
  readonly useRemoteAddress: boolean;
  readonly generateRequestId: boolean;
  /** Stream idle timeout (ms; 0 = none; absent = default): HCM `streamIdleTimeout`, Envoy's default 5 min. */
  readonly streamIdleTimeoutMs?: number;
  /** Time allowed to receive request headers (ms): HCM `requestHeadersTimeout`, else Weft's 60 s. */
  readonly requestHeadersTimeoutMs?: number;
  /** Downstream connection idle timeout (ms): HCM `commonHttpProtocolOptions.idleTimeout`, Envoy's default 1 h. */
  readonly idleTimeoutMs?: number;
  /** Path handling, edge sanitization and security filters (jwt_authn, ext_authz, RBAC) from the HCM config. */
  readonly security?: HcmSecurity;
  /** File access loggers from the HCM's `accessLog` (src/proxy/access-log/); absent = no access log. */
  readonly accessLogs?: readonly AccessLogger[];
  /** Trace context handling from the HCM's `tracing` (src/proxy/tracing/); absent = headers pass through. */
  readonly tracing?: TracingRuntime;
  /** Istio's stats filter config (Telemetry metrics) from the HCM's `istio.stats` filter; absent = standard metrics. */
  readonly metrics?: MetricsPolicy;
  /** The HTTP filter chain built from the HCM's `httpFilters` (http-filter-registry.ts); absent = the proxy's default chain. */
  readonly filters?: readonly HttpFilter[];
  readonly config: HttpConnectionManager;
}

/** Weft's request-headers timeout when the HCM sets none (Envoy's is disabled; slow clients must not hold sockets). */
export const DEFAULT_REQUEST_HEADERS_TIMEOUT_MS = 60_000;

/** The downstream timeouts of an HCM config, with defaults. */
export function downstreamTimeouts(config: HttpConnectionManager): { streamIdleTimeoutMs: number; requestHeadersTimeoutMs: number; idleTimeoutMs: number } {
  const streamIdle = durationMs(config.streamIdleTimeout);
  const headers = durationMs(config.requestHeadersTimeout);
  const idle = durationMs(config.commonHttpProtocolOptions?.idleTimeout);
  return {
    streamIdleTimeoutMs: streamIdle ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    requestHeadersTimeoutMs: headers !== undefined && headers > 0 ? headers : DEFAULT_REQUEST_HEADERS_TIMEOUT_MS,
    idleTimeoutMs: idle ?? DEFAULT_DOWNSTREAM_IDLE_TIMEOUT_MS,
  };
}

const HCM_NAME = 'envoy.filters.network.http_connection_manager';
const tableCache = new WeakMap<RouteConfiguration, RouteTable>();

/** Compiles a route configuration (once per object); throws {@link SnapshotError} `PROXY_INVALID_ROUTE_CONFIG`. */
export function compileRouteConfiguration(rc: RouteConfiguration, what: string): RouteTable {
  let t = tableCache.get(rc);
  if (t) return t;
  try {
    t = compileRouteTable(rc);
    validateCorsPolicies(rc);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new SnapshotError(SnapshotErrorCode.InvalidRoute, `${what}: ${typeof code === 'string' ? `${code} ` : ''}${(err as Error).message}`, { cause: err });
  }
  tableCache.set(rc, t);
  return t;
}

/** The HttpConnectionManager config of a filter chain, when its network filter is one. */
export function hcmConfigOf(chain: FilterChain | undefined): HttpConnectionManager | undefined {
  const f = chain?.filters?.find((x) => x.name === HCM_NAME || x.typedConfig?.['@type'] === TypeUrl.HttpConnectionManager);
  return f?.typedConfig as unknown as HttpConnectionManager | undefined;
}

const hcmCache = new WeakMap<HttpConnectionManager, Map<string, HcmRuntime>>();

/**
 * Compiles one HCM config for an entry point named `name` facing `direction` (cached per config
 * object, name and direction). Throws on anything it cannot run (the push is NACKed).
 */
export function compileHcmRuntime(config: HttpConnectionManager, name: string, direction: Direction): HcmRuntime {
  let byKey = hcmCache.get(config);
  const key = `${direction}\u0000${name}`;
  const cached = byKey?.get(key);
  if (cached) return cached;
  const inline = config.routeConfig ? compileRouteConfiguration(config.routeConfig, `${name} inline route configuration`) : undefined;
  const rdsName = config.rds?.routeConfigName;
  if (!inline && !rdsName) throw new SnapshotError(SnapshotErrorCode.InvalidListener, `${name}: http connection manager has neither rds nor routeConfig`);
  const hcm: HcmRuntime = {
    name, direction, rdsName, inlineTable: inline,
    useRemoteAddress: config.useRemoteAddress?.value === true,
    generateRequestId: config.generateRequestId?.value !== false,
    ...downstreamTimeouts(config),
    security: compileHcmSecurity(config, name),
    accessLogs: compileAccessLogs(config.accessLog),
    tracing: compileTracing(config.tracing, config.requestIdExtension?.typedConfig),
    filters: compileHttpFilterChain(config, name),
    metrics: hcmMetricsPolicy(config),
    config,
  };
  if (!byKey) hcmCache.set(config, (byKey = new Map()));
  byKey.set(key, hcm);
  return hcm;
}

const fallbackCache = new Map<string, HcmRuntime>();

/** An HTTP entry that sends everything to one cluster (the original-destination hand-off's default). */
export function fallbackHcm(cluster: string): HcmRuntime {
  let hcm = fallbackCache.get(cluster);
  if (!hcm) {
    const routeConfig: RouteConfiguration = {
      name: cluster,
      virtualHosts: [{ name: cluster, domains: ['*'], routes: [{ name: cluster, match: { prefix: '/' }, route: { cluster, timeout: {} } }] }],
    };
    hcm = {
      name: 'virtualOutbound', direction: 'outbound', rdsName: undefined, inlineTable: compileRouteConfiguration(routeConfig, cluster), useRemoteAddress: false,
      generateRequestId: true, ...downstreamTimeouts({}), filters: defaultHttpFilterChain(), config: { routeConfig },
    };
    fallbackCache.set(cluster, hcm);
  }
  return hcm;
}
