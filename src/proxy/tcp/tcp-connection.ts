/**
 * One proxied TCP connection (Envoy's tcp_proxy): picks the cluster of its {@link TcpRoute}
 * (weighted), a host from the cluster's load balancer (or the original destination for
 * PassthroughCluster), checks the circuit breaker's `maxConnections` (overflow: UO,
 * `upstream_cx_overflow`), connects within the cluster's connect timeout (plaintext, or the host's
 * TLS — mesh mTLS), then pipes bytes both ways with backpressure (`.pipe`) and half-close (a FIN
 * from one side ends the other side's writes only), closes both on the route's idle timeout, and
 * on failure closes the downstream with flag UH (no host), UF (connect failure), UO or NC.
 * A route's `maxDownstreamConnectionDuration` closes both sides when it elapses (flag DT, Envoy's
 * tcp_proxy onMaxDownstreamConnectionDuration), and a `sourceIp` hash policy makes RING_HASH /
 * MAGLEV clusters pick by the downstream address (Istio's `consistentHash.useSourceIp` on TCP).
 * A route carrying network RBAC filters (AuthorizationPolicy on TCP) is authorized first, once per
 * connection, after the TLS handshake (the peer identity is known) and before any upstream
 * connection: a denied connection is closed, counted in `tcp.rbac.denied` and in Istio's TCP
 * metrics (opened and closed), and never reaches the upstream.
 * Counted: cluster `upstream_cx_total` / `_active` / `_connect_fail`, the circuit breaker's
 * connections, outlier local-origin results, and Istio's TCP metrics (tcp-stats.ts).
 */
import net, { type Socket } from 'node:net';
import { dialPlain } from '../upstream/upstream-dial.js';
import type { HostRuntime, UpstreamCluster } from '../upstream/cluster-manager.js';
import type { LbContext } from '../lb/load-balancer.js';
import { addFlag } from '../http/local-reply.js';
import type { ProxyContext } from '../listener/proxy-context.js';
import type { TelemetryTarget } from '../stats/telemetry.js';
import { networkRbacAllows } from '../listener/network-authz.js';
import { peerTelemetry } from '../tls/peer-telemetry.js';
import { tcpRbacStatsObserver } from './tcp-rbac-stats.js';
import { CONNECT_TIMEOUT_CODE } from '../upstream/connect-timeout.js';
import { hashString } from '../lb/hash.js';
import type { TcpRoute } from '../listener/tcp-routes.js';
import { TcpByteReporter, tcpSeries } from './tcp-stats.js';
import type { MetricsPolicy } from '../stats/metrics-policy.js';

/** Where a connection came from and, for original-destination clusters, where it was going. */
export interface TcpConnectionOptions {
  /** True on a sidecar's inbound side (Istio `reporter="destination"`). */
  readonly inbound: boolean;
  /** The destination the client asked for (CONNECT target, bound listener address). */
  readonly originalDst?: { readonly host: string; readonly port: number };
  /** Called once the upstream is connected, before bytes flow (CONNECT answers 200 here). */
  readonly onConnected?: () => void;
  /**
   * Called instead of closing the downstream when no upstream can be reached, with Envoy's flag
   * (NC, UH, UO, UF), an HTTP status and a reason (CONNECT answers them).
   */
  readonly onFailed?: (flag: string, status: number, message: string) => void;
}

const lbCtx: LbContext = {};

/** Proxies `downstream` per `route` on the current snapshot of `ctx`. */
export function proxyTcp(ctx: ProxyContext, downstream: Socket, route: TcpRoute, opts: TcpConnectionOptions): void {
  const snapshot = ctx.snapshot;
  const name = route.pickCluster();
  const cluster = name !== undefined ? snapshot.clusters.get(name) : undefined;
  const noHost = (c: UpstreamCluster | undefined): TelemetryTarget => c?.noHostTelemetry ?? (opts.inbound ? ctx.noClusterInbound : ctx.noClusterOutbound);
  if (route.rbac !== undefined && !networkRbacAllows(route.rbac, downstream, tcpRbacStatsObserver(ctx.stats), opts.originalDst)) {
    // Envoy's network RBAC closes a denied connection before tcp_proxy opens an upstream one; Istio's
    // stats filter still saw the connection open and close.
    const c = tcpSeries(ctx.stats, route.metrics, peerTelemetry(noHost(cluster), opts.inbound, downstream, undefined), '-', downstream);
    c.opened?.inc();
    c.closed?.inc();
    downstream.destroy();
    return;
  }
  if (cluster === undefined) {
    fail(ctx, downstream, noHost(undefined), { ...opts, metrics: route.metrics }, 'NC', 503, `cluster not found: ${name ?? ''}`);
    return;
  }
  let rt: HostRuntime | undefined;
  if (cluster.lb === undefined) {
    const d = opts.originalDst ?? { host: downstream.localAddress ?? '', port: downstream.localPort ?? 0 };
    if (d.host !== '' && d.port > 0) rt = cluster.originalDstHost(d.host, d.port);
  } else {
    const ip = route.hashSourceIp === true && cluster.hashing ? downstream.remoteAddress : undefined;
    lbCtx.hash = ip !== undefined && ip.length > 0 ? hashString(ip) : undefined;
    const host = cluster.lb.pick(lbCtx);
    rt = host !== undefined ? cluster.runtime(host) : undefined;
  }
  if (rt === undefined) {
    fail(ctx, downstream, noHost(cluster), { ...opts, metrics: route.metrics }, 'UH', 503, 'no healthy upstream');
    return;
  }
  const breaker = cluster.resilience.breaker;
  if (!breaker.canConnect()) {
    cluster.stats.resilience().cxOverflow.inc();
    fail(ctx, downstream, rt.telemetry, { ...opts, metrics: route.metrics }, 'UO', 503, 'upstream connection overflow');
    return;
  }
  connect(ctx, downstream, route, cluster, rt, opts);
}

function fail(ctx: ProxyContext, downstream: Socket, target: TelemetryTarget, opts: TcpConnectionOptions & { readonly metrics?: MetricsPolicy }, flag: string, status: number, message: string): void {
  const c = tcpSeries(ctx.stats, opts.metrics, peerTelemetry(target, opts.inbound, downstream, undefined), flag, downstream);
  c.opened?.inc();
  c.closed?.inc();
  if (opts.onFailed) opts.onFailed(flag, status, message);
  else downstream.destroy();
}

function connect(ctx: ProxyContext, downstream: Socket, route: TcpRoute, cluster: UpstreamCluster, rt: HostRuntime, opts: TcpConnectionOptions): void {
  const stats = cluster.stats;
  const breaker = cluster.resilience.breaker;
  const settings = rt.agent.settings;
  const upstream: Socket = rt.agent.tls ? rt.agent.tls.connect({ host: rt.address, port: rt.port }, rt.agent.tls.transportFor()) : dialPlain(rt.address, rt.port, true);
  // A FIN from the server must not end our writes (half-close), TLS included.
  upstream.allowHalfOpen = true;
  upstream.setNoDelay(true);
  stats.cxTotal.inc();
  stats.cxActive.inc();
  breaker.addConnections(1);
  rt.host.stats.activeRequests++;
  downstream.pause();
  let flag = '-';
  let connected = false;
  let done = false;
  let bytes: TcpByteReporter | undefined;
  const maxDuration = route.maxConnectionDurationMs !== undefined && route.maxConnectionDurationMs > 0
    ? setTimeout(() => {
        flag = addFlag(flag, 'DT');
        upstream.destroy();
        downstream.destroy();
      }, route.maxConnectionDurationMs)
    : undefined;
  const timer = settings.connectTimeoutMs > 0
    ? setTimeout(() => {
        if (connected) return;
        stats.cxConnectFail.inc();
        upstream.destroy(Object.assign(new Error('upstream connect timeout'), { code: CONNECT_TIMEOUT_CODE }));
      }, settings.connectTimeoutMs)
    : undefined;
  const ready = (): void => {
    connected = true;
    if (timer) clearTimeout(timer);
    rt.outlier?.putLocalOriginSuccess();
    const target = peerTelemetry(rt.telemetry, opts.inbound, downstream, upstream);
    tcpSeries(ctx.stats, route.metrics, target, '-', downstream, upstream).opened?.inc();
    // Byte counters are reported while the connection is open (Istio's tcp_reporting_duration).
    bytes = new TcpByteReporter(ctx.stats, route.metrics, target, downstream, upstream);
    bytes.start();
    opts.onConnected?.();
    if (route.idleTimeoutMs > 0) {
      const idle = (): void => {
        flag = addFlag(flag, 'SI');
        upstream.destroy();
        downstream.destroy();
      };
      downstream.setTimeout(route.idleTimeoutMs, idle);
      upstream.setTimeout(route.idleTimeoutMs, idle);
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.resume();
  };
  upstream.once(rt.agent.tls ? 'secureConnect' : 'connect', ready);
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (connected) {
      if (flag === '-') flag = 'UC';
      downstream.destroy();
      return;
    }
    if (err.code !== CONNECT_TIMEOUT_CODE) stats.cxConnectFail.inc();
    rt.outlier?.putLocalOriginFailure(err.code === CONNECT_TIMEOUT_CODE ? 'timeout' : 'connect');
    flag = 'UF';
  });
  downstream.on('error', () => {
    upstream.destroy();
  });
  // Each side's FIN reaches the other through pipe (half-close). A side that closes completely
  // closes the other once what it sent is flushed; both closed = done.
  const release = (): void => {
    if (timer) clearTimeout(timer);
    if (maxDuration) clearTimeout(maxDuration);
    stats.cxActive.dec();
    breaker.addConnections(-1);
    rt.host.stats.activeRequests--;
  };
  upstream.once('close', () => {
    if (!connected) {
      done = true;
      release();
      const gone = downstream.destroyed;
      const c = tcpSeries(ctx.stats, route.metrics, peerTelemetry(rt.telemetry, opts.inbound, downstream, undefined), gone ? 'DC' : 'UF', downstream);
      c.opened?.inc();
      c.closed?.inc();
      if (gone) return;
      if (opts.onFailed) opts.onFailed('UF', 503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
      else downstream.destroy();
      return;
    }
    if (!downstream.destroyed) downstream.end(() => downstream.destroy());
  });
  downstream.once('close', () => {
    if (!connected) {
      if (!upstream.destroyed) upstream.destroy();
      return;
    }
    if (!upstream.destroyed) upstream.destroy();
  });
  const closed = (): void => {
    if (done || !upstream.destroyed || !downstream.destroyed) return;
    done = true;
    release();
    const c = bytes !== undefined ? bytes.close(flag) : tcpSeries(ctx.stats, route.metrics, peerTelemetry(rt.telemetry, opts.inbound, downstream, upstream), flag, downstream, upstream);
    c.closed?.inc();
  };
  upstream.once('close', closed);
  downstream.once('close', closed);
}
