/**
 * Where TCP connections go, read from a runtime snapshot's listeners (once per snapshot, cached):
 * every filter chain running `envoy.filters.network.tcp_proxy`, as a {@link TcpRoute} — the cluster
 * (or `weightedClusters`, weight/sum each, weight 0 never) and the idle timeout (Envoy's default
 * 1 h). Entry points:
 * - sidecar outbound: the `0.0.0.0_<port>` listeners of TCP service ports (not bound by Envoy);
 *   a connection for `host:port` takes the chain named for that host (`outbound|<port>||<fqdn>`),
 *   else the port's only service chain, else the listener's default chain (passthrough/blackhole);
 * - sidecar inbound: `virtualInbound` chains by destination port, plaintext and mTLS;
 * - gateway: bound listeners whose chain (matched as a plaintext connection) is a TCP proxy.
 * A chain's `envoy.filters.network.rbac` filters travel with its route (`rbac`); a config that does
 * not compile denies every connection of the chain (fail closed; Envoy would reject the listener).
 */
import { networkMetricsPolicy, type MetricsPolicy } from '../stats/metrics-policy.js';
import { compileFilterChainMatcher } from '../../envoy/filter-chain-matcher.js';
import { isNetworkRbacFilter, type NetworkRbacStage } from '../../envoy/rbac/network-rbac.js';
import { chainRbac } from './chain-rbac.js';
import type { DownstreamTlsContext, FilterChain, Listener, TcpProxy } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { DEFAULT_TCP_IDLE_TIMEOUT_MS } from '../../envoy/defaults.js';
import { durationMs } from '../../envoy/duration.js';
import type { RuntimeSnapshot } from '../runtime-snapshot.js';
import { downstreamTls } from '../tls/inbound-plan.js';
import { isTlsGatewayListener } from '../tls/gateway-tls-plan.js';

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

/** An inbound TCP port: plaintext and/or mTLS chains. */
export interface InboundTcpPort {
  readonly port: number;
  readonly plaintext: TcpRoute | undefined;
  readonly tls: { readonly route: TcpRoute; readonly context: DownstreamTlsContext; readonly requireClientCertificate: boolean } | undefined;
}

/** A sidecar outbound TCP service port. */
export interface OutboundTcpPort {
  readonly port: number;
  /** Chains by the host they serve (FQDN), from `outbound|<port>||<fqdn>` names. */
  readonly byHost: ReadonlyMap<string, TcpRoute>;
  /** The chain used when the host is unknown (single-service ports) or absent. */
  readonly fallback: TcpRoute | undefined;
}

/** Every TCP entry point of one snapshot. */
export interface TcpEntryPoints {
  readonly outbound: ReadonlyMap<number, OutboundTcpPort>;
  /** The `virtualOutbound` default chain (PassthroughCluster / BlackHoleCluster). */
  readonly outboundDefault: TcpRoute | undefined;
  readonly inbound: ReadonlyMap<number, InboundTcpPort>;
  /** Gateway TCP listeners by listener name. */
  readonly gateways: ReadonlyMap<string, { readonly port: number; readonly route: TcpRoute }>;
}

const cache = new WeakMap<RuntimeSnapshot, TcpEntryPoints>();
const routeCache = new WeakMap<object, TcpRoute>();

/** The TCP entry points of `snapshot` (computed once per snapshot). */
export function tcpEntryPoints(snapshot: RuntimeSnapshot, podIp: string): TcpEntryPoints {
  let e = cache.get(snapshot);
  if (e === undefined) {
    e = compute(snapshot, podIp);
    cache.set(snapshot, e);
  }
  return e;
}

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

const chainRoutes = new WeakMap<FilterChain, TcpRoute>();

/** The TCP route of a filter chain (its tcp_proxy and network RBAC), undefined for HCM chains. */
export function tcpRouteOfChain(chain: FilterChain | undefined, fallbackName: string): TcpRoute | undefined {
  return routeOf(chain, fallbackName);
}

function routeOf(chain: FilterChain | undefined, fallbackName: string): TcpRoute | undefined {
  const p = tcpProxyOf(chain);
  if (!p || !chain) return undefined;
  const base = compileTcpRoute(p, chain.name ?? fallbackName);
  const metrics = networkMetricsPolicy(chain.filters);
  if (!chain.filters?.some(isNetworkRbacFilter) && metrics === undefined) return base;
  let r = chainRoutes.get(chain);
  if (!r) {
    const rbac = chain.filters?.some(isNetworkRbacFilter) ? { rbac: chainRbac(chain, base.name) } : {};
    chainRoutes.set(chain, (r = { ...base, ...rbac, ...(metrics !== undefined ? { metrics } : {}) }));
  }
  return r;
}

function compute(snapshot: RuntimeSnapshot, podIp: string): TcpEntryPoints {
  const outbound = new Map<number, OutboundTcpPort>();
  const inbound = new Map<number, InboundTcpPort>();
  const gateways = new Map<string, { port: number; route: TcpRoute }>();
  let outboundDefault: TcpRoute | undefined;
  for (const [name, l] of snapshot.resources.listeners) {
    const port = l.address?.socketAddress?.portValue;
    if (name === 'virtualOutbound') outboundDefault = routeOf(l.defaultFilterChain, 'virtualOutbound');
    else if (name === 'virtualInbound') compileInbound(l, podIp, inbound);
    else if (port === undefined) continue;
    else if (l.bindToPort !== undefined && l.bindToPort.value !== true) {
      const byHost = new Map<string, TcpRoute>();
      let only: TcpRoute | undefined;
      // Distinct chains by name: an auto-protocol port repeats a service's TCP chain per transport.
      const distinct = new Set<string>();
      for (const fc of l.filterChains ?? []) {
        const r = routeOf(fc, name);
        if (!r) continue;
        distinct.add(r.name);
        only = r;
        const m = /^outbound\|\d+\|[^|]*\|(.+)$/.exec(fc.name ?? '');
        if (m) byHost.set(m[1]!, r);
      }
      if (distinct.size > 0) outbound.set(port, { port, byHost, fallback: distinct.size === 1 && !l.filterChains?.some((f) => f.filterChainMatch?.serverNames?.length) ? only : routeOf(l.defaultFilterChain, name) });
    } else {
      // TLS gateway listeners (SNI, termination, PASSTHROUGH) belong to src/proxy/tls/gateway-dispatch.ts.
      if (isTlsGatewayListener(l)) continue;
      const chain = compileFilterChainMatcher(l).select({ destinationIp: '127.0.0.1', destinationPort: port, transportProtocol: 'raw_buffer', sourceIp: '127.0.0.1', sourcePort: 0 });
      if (chain && downstreamTls(chain)) continue;
      const r = routeOf(chain, name);
      if (r) gateways.set(name, { port, route: r });
    }
  }
  return { outbound, outboundDefault, inbound, gateways };
}

function compileInbound(l: Listener, podIp: string, out: Map<number, InboundTcpPort>): void {
  const matcher = compileFilterChainMatcher(l);
  const ports = new Set<number>();
  for (const fc of l.filterChains ?? []) {
    const p = fc.filterChainMatch?.destinationPort?.value;
    if (p !== undefined && p !== 15006) ports.add(p);
  }
  const base = { destinationIp: podIp, sourceIp: '127.0.0.1', sourcePort: 0 };
  for (const port of ports) {
    const raw = matcher.select({ ...base, destinationPort: port, transportProtocol: 'raw_buffer' });
    const tls = matcher.select({ ...base, destinationPort: port, transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange', 'istio'] });
    // Only ports whose own chains are TCP proxies (not the passthrough default, not HTTP ports).
    const own = (c: FilterChain | undefined) => c !== undefined && c.filterChainMatch?.destinationPort?.value === port;
    const plain = own(raw) && !downstreamTls(raw!) ? routeOf(raw, `inbound_${port}`) : undefined;
    const ctx = own(tls) ? downstreamTls(tls!) : undefined;
    const tlsRoute = ctx ? routeOf(tls, `inbound_${port}_mtls`) : undefined;
    if (!plain && !tlsRoute) continue;
    out.set(port, {
      port,
      plaintext: plain,
      tls: tlsRoute && ctx ? { route: tlsRoute, context: ctx, requireClientCertificate: ctx.requireClientCertificate?.value === true } : undefined,
    });
  }
}

/** The route for an outbound connection to `host:port` (CONNECT target or a bound per-port listener). */
export function outboundTcpRoute(entries: TcpEntryPoints, host: string | undefined, port: number, namespace: string): TcpRoute | undefined {
  const p = entries.outbound.get(port);
  if (p === undefined) return undefined;
  if (host !== undefined && host !== '') {
    const h = host.toLowerCase();
    for (const candidate of [h, `${h}.${namespace}.svc.cluster.local`, `${h}.svc.cluster.local`, `${h}.cluster.local`]) {
      const r = p.byHost.get(candidate);
      if (r) return r;
    }
  }
  return p.fallback;
}
