/**
 * The proxy's immutable runtime snapshot: everything a request needs, compiled from one consistent
 * set of accepted xDS resources — HTTP entry points by port (sidecar outbound `0.0.0.0_<port>`,
 * `virtualInbound` chains by destination port, gateway listeners), compiled route tables by RDS
 * name, and clusters (validated at compile time; host sets and load balancers built on first use,
 * see cluster-table.ts). A new snapshot is built for every accepted push and swapped in with one
 * reference assignment; requests keep the snapshot they started on.
 * A resource set that cannot compile throws {@link SnapshotError}, which the xDS client NACKs.
 */
import { hcmMetricsPolicy, type MetricsPolicy } from './stats/metrics-policy.js';
import { compileFilterChainMatcher } from '../envoy/filter-chain-matcher.js';
import { compileRouteTable, type RouteTable } from '../envoy/route-table.js';
import type { Cluster, ClusterLoadAssignment, FilterChain, HttpConnectionManager, Listener, RouteConfiguration, TcpProxy } from '../envoy/types.js';
import { TypeUrl } from '../envoy/type-url.js';
import type { ClusterManager } from './cluster-manager.js';
import { compileClusters, type ClusterTable } from './cluster-table.js';
import { DEFAULT_DOWNSTREAM_IDLE_TIMEOUT_MS, DEFAULT_STREAM_IDLE_TIMEOUT_MS } from '../envoy/defaults.js';
import { durationMs } from '../envoy/duration.js';
import { compileHcmSecurity, type HcmSecurity } from './filters/hcm-security.js';
import { compileAccessLogs, type AccessLogger } from './access-log/access-logger.js';
import { compileTracing, type TracingRuntime } from './tracing/tracing-config.js';
import { compileGatewayTls, isTlsGatewayListener, type GatewayTlsPlan } from './tls/gateway-tls-plan.js';
import type { HttpFilter } from './http/filter.js';
import { compileHttpFilterChain, defaultHttpFilterChain } from './filters/http-filter-registry.js';
import { validateCorsPolicies } from './filters/cors-filter.js';
import { WeftError } from '../util/weft-error.js';

/** The accepted xDS resources a snapshot is compiled from, by name, with their versions. */
export interface XdsResources {
  readonly listeners: ReadonlyMap<string, Listener>;
  readonly routes: ReadonlyMap<string, RouteConfiguration>;
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly endpoints: ReadonlyMap<string, ClusterLoadAssignment>;
  /** Accepted version per type URL. */
  readonly versions: Readonly<Record<string, string>>;
}

/** No resources at all (the proxy before its first push). */
export const EMPTY_RESOURCES: XdsResources = Object.freeze({
  listeners: new Map(), routes: new Map(), clusters: new Map(), endpoints: new Map(), versions: Object.freeze({}),
});

/** `resources` with one type replaced by an update; unknown types leave it unchanged. */
export function withUpdate(resources: XdsResources, typeUrl: string, update: ReadonlyMap<string, object>, version: string): XdsResources {
  const versions = { ...resources.versions, [typeUrl]: version };
  switch (typeUrl) {
    case TypeUrl.Listener:
      return { ...resources, versions, listeners: update as ReadonlyMap<string, Listener> };
    case TypeUrl.RouteConfiguration:
      return { ...resources, versions, routes: update as ReadonlyMap<string, RouteConfiguration> };
    case TypeUrl.Cluster:
      return { ...resources, versions, clusters: update as ReadonlyMap<string, Cluster> };
    case TypeUrl.ClusterLoadAssignment:
      return { ...resources, versions, endpoints: update as ReadonlyMap<string, ClusterLoadAssignment> };
    default:
      return { ...resources, versions };
  }
}

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
  /** The HTTP filter chain built from the HCM's `httpFilters` (filters/http-filter-registry.ts); absent = the proxy's default chain. */
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

/** A gateway listener to bind. */
export interface GatewayBinding {
  readonly listenerName: string;
  readonly port: number;
  readonly hcm: HcmRuntime;
  /** Present when the listener expects TLS: its chains by SNI (gateway TLS termination / PASSTHROUGH). */
  readonly tls?: GatewayTlsPlan;
}

/** Stable codes of snapshot compilation failures. */
export const SnapshotErrorCode = {
  InvalidListener: 'PROXY_INVALID_LISTENER',
  InvalidRoute: 'PROXY_INVALID_ROUTE_CONFIG',
  InvalidCluster: 'PROXY_INVALID_CLUSTER',
} as const;

/** A resource set that cannot be served; its message becomes the NACK's error detail. */
export class SnapshotError extends WeftError {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'SnapshotError';
  }
}

/** Options of {@link compileSnapshot}. */
export interface CompileOptions {
  /** The pod IP inbound filter chains are matched against. */
  readonly podIp: string;
  readonly clusterManager: ClusterManager;
}

const HCM_NAME = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY_NAME = 'envoy.filters.network.tcp_proxy';
const tableCache = new WeakMap<RouteConfiguration, RouteTable>();

/** A compiled, immutable runtime configuration. */
export class RuntimeSnapshot {
  constructor(
    readonly resources: XdsResources,
    /** Sidecar outbound HTTP entry points by destination port. */
    readonly outboundByPort: ReadonlyMap<number, HcmRuntime>,
    /**
     * Requests to a port without an outbound listener: routed to `virtualOutbound`'s default chain
     * cluster (PassthroughCluster under ALLOW_ANY, BlackHoleCluster under REGISTRY_ONLY).
     */
    readonly outboundFallback: HcmRuntime | undefined,
    /** Sidecar inbound HTTP entry points by destination port (`virtualInbound`). */
    readonly inboundByPort: ReadonlyMap<number, HcmRuntime>,
    /** Gateway listeners to bind, by listener name. */
    readonly gateways: ReadonlyMap<string, GatewayBinding>,
    readonly routeTables: ReadonlyMap<string, RouteTable>,
    /** Clusters by name; a cluster's runtime is built on first {@link ClusterTable.get} (cluster-table.ts). */
    readonly clusters: ClusterTable,
  ) {}

  /** The route table an HCM uses now (undefined: RDS not received yet). */
  routeTable(hcm: HcmRuntime): RouteTable | undefined {
    return hcm.inlineTable ?? (hcm.rdsName !== undefined ? this.routeTables.get(hcm.rdsName) : undefined);
  }

  /** True once listeners and clusters arrived and every referenced route configuration is present. */
  get ready(): boolean {
    if (this.resources.versions[TypeUrl.Listener] === undefined || this.resources.versions[TypeUrl.Cluster] === undefined) return false;
    for (const hcm of this.allHcms()) if (this.routeTable(hcm) === undefined) return false;
    return true;
  }

  private *allHcms(): Iterable<HcmRuntime> {
    yield* this.outboundByPort.values();
    yield* this.inboundByPort.values();
    for (const g of this.gateways.values()) {
      yield g.hcm;
      for (const c of g.tls?.chains ?? []) if (c.hcm) yield c.hcm;
    }
  }
}

/** Compiles a snapshot; throws {@link SnapshotError} when a resource cannot be served. */
export function compileSnapshot(resources: XdsResources, opts: CompileOptions): RuntimeSnapshot {
  const routeTables = new Map<string, RouteTable>();
  for (const [name, rc] of resources.routes) routeTables.set(name, compileTable(rc, `route configuration ${name}`));

  const outbound = new Map<number, HcmRuntime>();
  const inbound = new Map<number, HcmRuntime>();
  const gateways = new Map<string, GatewayBinding>();
  let fallback: HcmRuntime | undefined;
  for (const [name, l] of resources.listeners) {
    try {
      if (name === 'virtualOutbound') {
        const cluster = tcpCluster(l.defaultFilterChain);
        if (cluster !== undefined) fallback = fallbackHcm(cluster);
      } else if (name === 'virtualInbound') {
        compileInbound(l, opts.podIp, inbound);
      } else if (l.bindToPort?.value === false || (l.bindToPort !== undefined && l.bindToPort.value === undefined)) {
        const port = l.address?.socketAddress?.portValue;
        const hcm = hcmOf(l.filterChains?.[0], name, 'outbound');
        if (port !== undefined && hcm) outbound.set(port, hcm);
      } else if (isTlsGatewayListener(l)) {
        // Gateway TLS (src/proxy/tls/gateway-dispatch.ts): chains picked per connection by SNI.
        const port = l.address?.socketAddress?.portValue;
        const tls = compileGatewayTls(l, name, (c, n) => hcmOf(c, n, 'gateway'));
        const hcm = tls.chains.find((c) => c.hcm)?.hcm ?? fallbackHcm('BlackHoleCluster');
        if (port !== undefined) gateways.set(name, { listenerName: name, port, hcm, tls });
      } else {
        const port = l.address?.socketAddress?.portValue;
        const chain = compileFilterChainMatcher(l).select({ destinationIp: '127.0.0.1', destinationPort: port ?? 0, transportProtocol: 'raw_buffer', sourceIp: '127.0.0.1', sourcePort: 0 });
        const hcm = hcmOf(chain, name, 'gateway');
        if (port !== undefined && hcm) gateways.set(name, { listenerName: name, port, hcm });
      }
      // Every HCM of the listener must have a filter chain this proxy can run, even chains no
      // entry point above selected (TLS inbound chains): an unknown required filter NACKs the push.
      for (const [i, fc] of (l.filterChains ?? []).entries()) validateChainHttpFilters(fc, `filterChains[${i}]`);
      if (l.defaultFilterChain) validateChainHttpFilters(l.defaultFilterChain, 'defaultFilterChain');
    } catch (err) {
      if (err instanceof SnapshotError) throw err;
      throw new SnapshotError(SnapshotErrorCode.InvalidListener, `listener ${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  const cm = opts.clusterManager;
  const clusters = compileClusters(resources, cm, cm.committed, (c, cla) => cm.validate(c, cla), (name, err) => {
    const code = (err as { code?: unknown }).code;
    return new SnapshotError(SnapshotErrorCode.InvalidCluster, `cluster ${name}: ${typeof code === 'string' ? `${code} ` : ''}${(err as Error).message}`, { cause: err });
  });
  return new RuntimeSnapshot(resources, outbound, fallback, inbound, gateways, routeTables, clusters);
}

function compileTable(rc: RouteConfiguration, what: string): RouteTable {
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

function compileInbound(l: Listener, podIp: string, out: Map<number, HcmRuntime>): void {
  const matcher = compileFilterChainMatcher(l);
  const ports = new Set<number>();
  for (const fc of l.filterChains ?? []) {
    const p = fc.filterChainMatch?.destinationPort?.value;
    if (p !== undefined && p !== 15006) ports.add(p);
  }
  for (const port of ports) {
    const chain = matcher.select({ destinationIp: podIp, destinationPort: port, transportProtocol: 'raw_buffer', applicationProtocols: ['http/1.1'], sourceIp: '127.0.0.1', sourcePort: 0 });
    const hcm = hcmOf(chain, chain?.name ?? `inbound_${port}`, 'inbound');
    if (hcm) out.set(port, hcm);
  }
}

function hcmOf(chain: FilterChain | undefined, name: string, direction: Direction): HcmRuntime | undefined {
  const f = chain?.filters?.find((x) => x.name === HCM_NAME || x.typedConfig?.['@type'] === TypeUrl.HttpConnectionManager);
  if (!f?.typedConfig) return undefined;
  const config = f.typedConfig as unknown as HttpConnectionManager;
  const inline = config.routeConfig ? compileTable(config.routeConfig, `${name} inline route configuration`) : undefined;
  const rdsName = config.rds?.routeConfigName;
  if (!inline && !rdsName) throw new SnapshotError(SnapshotErrorCode.InvalidListener, `${name}: http connection manager has neither rds nor routeConfig`);
  return {
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
}

function validateChainHttpFilters(chain: FilterChain, where: string): void {
  const f = chain.filters?.find((x) => x.name === HCM_NAME || x.typedConfig?.['@type'] === TypeUrl.HttpConnectionManager);
  if (f?.typedConfig) compileHttpFilterChain(f.typedConfig as unknown as HttpConnectionManager, `${chain.name ?? where}`);
}

const fallbackCache = new Map<string, HcmRuntime>();

/** An HTTP entry that sends everything to one cluster (the original-destination hand-off's default). */
function fallbackHcm(cluster: string): HcmRuntime {
  let hcm = fallbackCache.get(cluster);
  if (!hcm) {
    const routeConfig: RouteConfiguration = {
      name: cluster,
      virtualHosts: [{ name: cluster, domains: ['*'], routes: [{ name: cluster, match: { prefix: '/' }, route: { cluster, timeout: {} } }] }],
    };
    hcm = {
      name: 'virtualOutbound', direction: 'outbound', rdsName: undefined, inlineTable: compileTable(routeConfig, cluster), useRemoteAddress: false,
      generateRequestId: true, ...downstreamTimeouts({}), filters: defaultHttpFilterChain(), config: { routeConfig },
    };
    fallbackCache.set(cluster, hcm);
  }
  return hcm;
}

function tcpCluster(chain: FilterChain | undefined): string | undefined {
  const f = chain?.filters?.find((x) => x.name === TCP_PROXY_NAME || x.typedConfig?.['@type'] === TypeUrl.TcpProxy);
  return (f?.typedConfig as TcpProxy | undefined)?.cluster;
}
