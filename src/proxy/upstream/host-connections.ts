/**
 * The connections of one upstream host: its HTTP/1.1 keep-alive pool ({@link H1Pool}) and its
 * HTTP/2 session pool ({@link H2SessionPool}), plus the socket factory both use. Every connection,
 * whoever asks for it (router attempts, request mirrors), is opened here and counted into the
 * cluster's Envoy stats (`upstream_cx_total`, `upstream_cx_active`, `upstream_cx_connect_fail`) and
 * its circuit breaker's connections; the factory applies the cluster's connect timeout and TCP
 * keepalive, and TLS when the cluster has it. The pools apply the idle timeout (HttpProtocolOptions
 * `idleTimeout`, default 1 h), `maxRequestsPerConnection` and `maxConnectionDuration` read from here.
 * There is no node:http Agent: Envoy's cluster manager keeps one connection pool per (host,
 * protocol, transport socket options) (`source/common/upstream/cluster_manager_impl.cc`,
 * `httpConnPoolForCluster`), and so does this class.
 *
 * One per (cluster, host), kept across config pushes so keep-alive connections survive them;
 * {@link HostConnections.configure} applies a new cluster config. Requests waiting for a connection
 * of this host (circuit breaker pending queue) are parked in `waiters` by the cluster's admission
 * ({@link ClusterAdmission}), which is told when a connection becomes free or closes.
 *
 * With Envoy's `auto_sni` / `auto_san_validation` (tls/auto-sni.ts), connections are also keyed by
 * the per-connection TLS options derived from the request's host: each distinct key gets its own
 * HTTP/1.1 pool and HTTP/2 session pool, so a connection verified for one host never carries a
 * request for another (Envoy hashes transport socket options into its pool key).
 */
import type { Socket } from 'node:net';
import { dialPlain } from './upstream-dial.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { AdmissionWaiter, ClusterAdmission } from './admission.js';
import type { ClusterStats } from '../stats/proxy-stats.js';
import type { UpstreamTlsConnector } from '../tls/upstream-connector.js';
import { DEFAULT_TRANSPORT, type UpstreamTransport } from '../tls/auto-sni.js';
import { H2SessionPool } from '../h2/h2-session-pool.js';
import { H1Pool, type UpstreamSocketFactory } from '../h1/h1-pool.js';
import { CONNECT_TIMEOUT_CODE } from './connect-timeout.js';

/** Connection settings of one host (from the cluster: `agentOptions` in cluster-manager.ts). */
export interface HostConnectionsOptions {
  readonly connectTimeoutMs: number;
  /** Idle keep-alive connections close after this long (ms). */
  readonly idleTimeoutMs: number;
  /** Requests per connection before it is closed; 0 = unlimited. */
  readonly maxRequestsPerConnection?: number;
  /** TCP keepalive idle time (ms) when the cluster configures `tcpKeepalive`; undefined = OS default off. */
  readonly tcpKeepaliveMs?: number;
  /**
   * HttpProtocolOptions `maxConnectionDuration` (ms; 0/undefined = none): a connection that old takes
   * no new request and closes once idle (HTTP/1.1) or after its streams end (HTTP/2), as Envoy drains it.
   */
  readonly maxConnectionDurationMs?: number;
  /**
   * HTTP/2 `connectionKeepalive` (Istio `http2KeepAlive`): a PING every `intervalMs` on each upstream
   * HTTP/2 session, which is closed when a PING is not answered within `timeoutMs`.
   */
  readonly h2Keepalive?: { readonly intervalMs: number; readonly timeoutMs: number };
}

/** Request headers as the upstream request carries them (Host / `:authority`). */
export type UpstreamHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Per-transport pools kept before idle ones are dropped. */
const MAX_KEYED_POOLS = 64;

/** The connections of one upstream host (see the file comment). */
export class HostConnections implements UpstreamSocketFactory {
  /** Streams waiting for a connection of this host (owned by the cluster's {@link ClusterAdmission}). */
  readonly waiters: AdmissionWaiter[] = [];
  /** The cluster admission this host belongs to (set by the cluster manager). */
  admission: ClusterAdmission | undefined;
  /** TLS towards this host (src/proxy/tls/upstream-tls-binding.ts); plaintext when undefined. */
  tls: UpstreamTlsConnector | undefined;
  /** Key of the TLS setting `tls` was built from ('' = plaintext). */
  tlsKey = '';
  /** HTTP/2 sessions to this host (src/proxy/h2); undefined until a request needs one. */
  h2: H2SessionPool | undefined;
  /** HTTP/1.1 connections to this host (src/proxy/h1); undefined until the first request. */
  h1: H1Pool | undefined;
  /** HTTP/1.1 pools per auto-SNI transport key (hosts of requests), besides the default `h1`. */
  private h1Keyed: Map<string, H1Pool> | undefined;
  /** HTTP/2 session pools per auto-SNI transport key, besides the default `h2`. */
  private h2Keyed: Map<string, H2SessionPool> | undefined;
  private opts: HostConnectionsOptions;

  constructor(private readonly stats: ClusterStats, opts: HostConnectionsOptions, private readonly breaker?: CircuitBreaker) {
    this.opts = opts;
  }

  /** Applies new settings (a config push); open connections keep their sockets. */
  configure(opts: HostConnectionsOptions): void {
    this.opts = opts;
  }

  /** Current settings. */
  get settings(): HostConnectionsOptions {
    return this.opts;
  }

  /**
   * Connections of this host that can take a request now: idle HTTP/1.1 connections and HTTP/2
   * sessions with a free stream slot. (`address`/`port` name the host; kept for the admission's call.)
   */
  freeCount(_address?: string, _port?: number): number {
    let n = this.h1?.idleCount ?? 0;
    if (this.h1Keyed !== undefined) for (const p of this.h1Keyed.values()) n += p.idleCount;
    if (this.h2Keyed !== undefined) for (const p of this.h2Keyed.values()) n += p.freeCount();
    return this.h2 === undefined ? n : n + this.h2.freeCount();
  }

  /** All connections (busy, idle and connecting) of this host. */
  socketCount(_address?: string, _port?: number): number {
    let n = (this.h1?.size ?? 0) + (this.h2?.sessionCount ?? 0);
    if (this.h1Keyed !== undefined) for (const p of this.h1Keyed.values()) n += p.size;
    if (this.h2Keyed !== undefined) for (const p of this.h2Keyed.values()) n += p.sessionCount;
    return n;
  }

  /** The per-connection TLS options for a request with these headers (plaintext: none). */
  transportFor(headers?: UpstreamHeaders): UpstreamTransport {
    return this.tls === undefined ? DEFAULT_TRANSPORT : this.tls.transportFor(headers);
  }

  /** The host's HTTP/1.1 pool for a request with these headers, created on first use. */
  h1Pool(address: string, port: number, headers?: UpstreamHeaders): H1Pool {
    const t = this.transportFor(headers);
    if (t.key === '') return (this.h1 ??= new H1Pool(this, address, port));
    const map = (this.h1Keyed ??= new Map());
    let p = map.get(t.key);
    if (p === undefined) {
      if (map.size >= MAX_KEYED_POOLS) for (const [k, q] of map) if (q.size === 0) map.delete(k);
      p = new H1Pool(this, address, port, t);
      map.set(t.key, p);
    }
    return p;
  }

  /** The host's HTTP/2 sessions (clusters speaking HTTP/2 upstream), created on first use. */
  h2Pool(headers?: UpstreamHeaders): H2SessionPool {
    const t = this.transportFor(headers);
    if (t.key === '') return (this.h2 ??= new H2SessionPool(this));
    const map = (this.h2Keyed ??= new Map());
    let p = map.get(t.key);
    if (p === undefined) {
      if (map.size >= MAX_KEYED_POOLS) for (const [k, q] of map) if (q.sessionCount === 0) map.delete(k);
      p = new H2SessionPool(this, t);
      map.set(t.key, p);
    }
    return p;
  }

  /** Idle timeout of connections (ms). */
  get idleTimeoutMs(): number {
    return this.opts.idleTimeoutMs;
  }

  /** Requests per connection before it is closed (0 = unlimited). */
  get maxRequestsPerConnection(): number {
    return this.opts.maxRequestsPerConnection ?? 0;
  }

  /** Connection lifetime limit (ms; 0 = none). */
  get maxConnectionDurationMs(): number {
    return this.opts.maxConnectionDurationMs ?? 0;
  }

  /** A connection reached `maxConnectionDuration` and is being drained. */
  onMaxDuration(): void {
    this.admission?.countMaxDuration();
  }

  /** An H1 connection reached `maxRequestsPerConnection`. */
  onMaxRequests(): void {
    this.admission?.countMaxRequests();
  }

  /** A connection became free (idle H1 connection, ended H2 stream): a request waiting for this host may take it. */
  onIdle(): void {
    if (this.waiters.length > 0) this.admission?.onFree(this);
  }

  /** HTTP/2 `connectionKeepalive` of the host's sessions. */
  get h2Keepalive(): HostConnectionsOptions['h2Keepalive'] {
    return this.opts.h2Keepalive;
  }

  /** Opens a counted connection to the host (plain, pipe, or TLS offering `alpn`, default `http/1.1`). */
  openSocket(address: string, port: number, transport?: UpstreamTransport, alpn: 'http/1.1' | 'h2' = 'http/1.1'): Socket {
    const socket = this.tls ? this.tls.connect({ host: address, port }, transport, alpn) : dialPlain(address, port);
    socket.setNoDelay(true);
    return this.track(socket);
  }

  /**
   * Counts a new connection in the cluster's stats and circuit breaker until it closes, sets TCP
   * keepalive and arms the connect timeout (`upstream_cx_connect_fail`, error code
   * {@link CONNECT_TIMEOUT_CODE}; Envoy's `connect_timeout`).
   */
  private track(socket: Socket): Socket {
    const stats = this.stats;
    const breaker = this.breaker;
    stats.cxTotal.inc();
    stats.cxActive.inc();
    breaker?.addConnections(1);
    if (this.opts.tcpKeepaliveMs !== undefined) socket.setKeepAlive(true, this.opts.tcpKeepaliveMs);
    socket.once('close', () => {
      stats.cxActive.dec();
      breaker?.addConnections(-1);
      this.admission?.onConnectionClosed(this);
    });
    if (this.opts.connectTimeoutMs > 0) {
      const timer = setTimeout(onConnectTimeout, this.opts.connectTimeoutMs, socket, stats);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    }
    return socket;
  }

  /** Closes idle connections (the host left the cluster, or its TLS setting changed). */
  closeIdle(): void {
    this.h1?.closeIdle();
    this.h2?.closeIdle();
    for (const p of this.h1Keyed?.values() ?? []) p.closeIdle();
    for (const p of this.h2Keyed?.values() ?? []) p.closeIdle();
  }

  /** Closes every connection, HTTP/1.1 and HTTP/2, busy ones too (proxy shutdown). */
  destroy(): void {
    this.h1?.destroy();
    this.h2?.destroy();
    for (const p of this.h1Keyed?.values() ?? []) p.destroy();
    for (const p of this.h2Keyed?.values() ?? []) p.destroy();
  }
}

function onConnectTimeout(socket: Socket, stats: ClusterStats): void {
  if (!socket.connecting) return;
  stats.cxConnectFail.inc();
  socket.destroy(Object.assign(new Error('upstream connect timeout'), { code: CONNECT_TIMEOUT_CODE }));
}
