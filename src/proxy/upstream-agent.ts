/**
 * The keep-alive connection pool of one upstream host: a node:http Agent that counts connections
 * into the cluster's Envoy stats (`upstream_cx_total`, `upstream_cx_active`,
 * `upstream_cx_connect_fail`) and its circuit breaker, enforces the cluster's connect timeout, idle
 * timeout (HttpProtocolOptions `idleTimeout`, default 1 h), `maxRequestsPerConnection` (a connection
 * is closed after serving that many requests) and TCP keepalive. One per (cluster, host), kept across
 * config pushes so keep-alive connections survive them; {@link UpstreamAgent.configure} applies a
 * new cluster config. Requests waiting for a connection of this host (circuit breaker pending queue)
 * are parked in `waiters` by the cluster's {@link ClusterAdmission}.
 *
 * With Envoy's `auto_sni` / `auto_san_validation` (tls/auto-sni.ts), connections are also keyed by
 * the per-connection TLS options derived from the request's host: each distinct key gets its own
 * HTTP/1.1 pool and HTTP/2 session pool, so a connection verified for one host never carries a
 * request for another (Envoy hashes transport socket options into its pool key).
 */
import http from 'node:http';
import { dialPlain, pipePathOf } from './upstream-dial.js';
import net, { type Socket } from 'node:net';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { AdmissionWaiter, ClusterAdmission } from './admission.js';
import type { ClusterStats } from './proxy-stats.js';
import type { ConnectTarget, UpstreamTlsConnector } from './tls/upstream-connector.js';
import { DEFAULT_TRANSPORT, type UpstreamTransport } from './tls/auto-sni.js';
import { H2SessionPool } from './h2/h2-session-pool.js';
import { H1Pool, type UpstreamSocketFactory } from './h1/h1-pool.js';

/** Error code given to a socket destroyed because connecting took longer than the connect timeout. */
export const CONNECT_TIMEOUT_CODE = 'WEFT_CONNECT_TIMEOUT';

/** Pool settings of one host. */
export interface UpstreamAgentOptions {
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

const REQUESTS: unique symbol = Symbol('weft.socketRequests');
type CountedSocket = Socket & { [REQUESTS]?: number };

/**
 * The connections of one upstream host: HTTP/1.1 attempts use its own pool ({@link H1Pool}), mirrors
 * the node:http Agent it extends, HTTP/2 its session pool; all are counted the same way.
 */
export class UpstreamAgent extends http.Agent implements UpstreamSocketFactory {
  /** Streams waiting for a connection of this host (owned by the cluster's {@link ClusterAdmission}). */
  readonly waiters: AdmissionWaiter[] = [];
  /** The cluster pool this host belongs to (set by the cluster manager). */
  pool: ClusterAdmission | undefined;
  /** TLS towards this host (src/proxy/tls/upstream-tls-binding.ts); plaintext when undefined. */
  tls: UpstreamTlsConnector | undefined;
  /** Key of the TLS setting `tls` was built from ('' = plaintext). */
  tlsKey = '';
  /** HTTP/2 sessions to this host (src/proxy/h2); undefined until a request needs one. */
  h2: H2SessionPool | undefined;
  /** HTTP/1.1 connections of the router's attempts (src/proxy/h1); undefined until the first. */
  h1: H1Pool | undefined;
  /** HTTP/1.1 pools per auto-SNI transport key (hosts of requests), besides the default `h1`. */
  private h1Keyed: Map<string, H1Pool> | undefined;
  /** HTTP/2 session pools per auto-SNI transport key, besides the default `h2`. */
  private h2Keyed: Map<string, H2SessionPool> | undefined;
  private opts: UpstreamAgentOptions;
  private poolName: string | undefined;

  constructor(private readonly stats: ClusterStats, opts: UpstreamAgentOptions, private readonly breaker?: CircuitBreaker) {
    super({ keepAlive: true, keepAliveMsecs: 1000, scheduling: 'lifo', timeout: opts.idleTimeoutMs });
    this.opts = opts;
    this.on('free', onAgentFree);
  }

  /** Applies new settings (a config push); existing connections keep their sockets. */
  configure(opts: UpstreamAgentOptions): void {
    this.opts = opts;
    (this as unknown as { options: { timeout?: number } }).options.timeout = opts.idleTimeoutMs;
  }

  /** Current settings. */
  get settings(): UpstreamAgentOptions {
    return this.opts;
  }

  /** Idle pooled connections to `address:port` (the one host of this agent). */
  freeCount(address: string, port: number): number {
    let n = this.freeSockets[this.nameOf(address, port)]?.length ?? 0;
    if (this.h1 !== undefined) n += this.h1.idleCount;
    if (this.h1Keyed !== undefined) for (const p of this.h1Keyed.values()) n += p.idleCount;
    if (this.h2Keyed !== undefined) for (const p of this.h2Keyed.values()) n += p.freeCount();
    return this.h2 === undefined ? n : n + this.h2.freeCount();
  }

  /** All connections (busy and idle) to `address:port`. */
  socketCount(address: string, port: number): number {
    const n = this.nameOf(address, port);
    let keyed = 0;
    if (this.h1Keyed !== undefined) for (const p of this.h1Keyed.values()) keyed += p.size;
    if (this.h2Keyed !== undefined) for (const p of this.h2Keyed.values()) keyed += p.sessionCount;
    return (this.sockets[n]?.length ?? 0) + (this.freeSockets[n]?.length ?? 0) + (this.h2?.sessionCount ?? 0) + (this.h1?.size ?? 0) + keyed;
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
    this.pool?.countMaxDuration();
  }

  /** An H1 connection reached `maxRequestsPerConnection`. */
  onMaxRequests(): void {
    this.pool?.countMaxRequests();
  }

  /** An H1 connection became idle: a request waiting for this host may take it. */
  onIdle(): void {
    if (this.waiters.length > 0) this.pool?.onFree(this);
  }

  /** Opens a counted connection to the host (H1 pool). */
  openSocket(address: string, port: number, transport?: UpstreamTransport): Socket {
    const socket = this.tls ? this.tls.connect({ host: address, port }, transport, 'http/1.1') : dialPlain(address, port);
    socket.setNoDelay(true);
    return this.track(socket);
  }

  /** The host's HTTP/2 sessions (clusters speaking HTTP/2 upstream), created on first use. */
  h2Pool(headers?: UpstreamHeaders): H2SessionPool {
    const t = this.transportFor(headers);
    if (t.key === '') return (this.h2 ??= new H2SessionPool(this, this.stats, this.breaker));
    const map = (this.h2Keyed ??= new Map());
    let p = map.get(t.key);
    if (p === undefined) {
      if (map.size >= MAX_KEYED_POOLS) for (const [k, q] of map) if (q.sessionCount === 0) map.delete(k);
      p = new H2SessionPool(this, this.stats, this.breaker, t);
      map.set(t.key, p);
    }
    return p;
  }

  /** Closes every connection, HTTP/1.1 and HTTP/2 (proxy shutdown). */
  override destroy(): void {
    super.destroy();
    this.h2?.destroy();
    this.h1?.destroy();
    for (const p of this.h1Keyed?.values() ?? []) p.destroy();
    for (const p of this.h2Keyed?.values() ?? []) p.destroy();
  }

  private nameOf(address: string, port: number): string {
    return (this.poolName ??= this.getName({ host: address, port }));
  }

  /** Node's hook for a new socket: counted, with a connect deadline. */
  override createConnection(options: object, callback?: (err: Error | null, s: Socket) => void): Socket {
    // http.Agent#createConnection is untyped in @types/node for subclasses; it returns a net.Socket.
    const create = http.Agent.prototype.createConnection as unknown as (this: http.Agent, o: object, cb?: unknown) => Socket;
    const socket = (this.tls
      ? this.tls.connect(options as ConnectTarget, this.tls.transportFor((options as { headers?: UpstreamHeaders }).headers), 'http/1.1')
      : pipePathOf(String((options as { host?: unknown }).host ?? '')) !== undefined
        ? dialPlain(String((options as { host?: unknown }).host), 0)
        : create.call(this, options, callback)) as CountedSocket;
    socket[REQUESTS] = 1;
    return this.track(socket);
  }

  /** Counts a new connection in the cluster's stats and breaker, with TCP keepalive and a connect deadline. */
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
      this.pool?.onConnectionClosed(this);
    });
    if (this.opts.connectTimeoutMs > 0) {
      const timer = setTimeout(onConnectTimeout, this.opts.connectTimeoutMs, socket, stats);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    }
    return socket;
  }

  /** Node's hook when a pooled socket is reused: counts the request against `maxRequestsPerConnection`. */
  override reuseSocket(socket: Socket, req: http.ClientRequest): void {
    const s = socket as CountedSocket;
    s[REQUESTS] = (s[REQUESTS] ?? 0) + 1;
    super.reuseSocket(socket, req);
  }

  /** Node's hook when a request is done with a socket: false closes it (request limit reached). */
  override keepSocketAlive(socket: Socket): boolean {
    const max = this.opts.maxRequestsPerConnection ?? 0;
    if (max > 0 && ((socket as CountedSocket)[REQUESTS] ?? 0) >= max) {
      this.pool?.countMaxRequests();
      return false;
    }
    // @types/node declares this hook as void; node returns whether the socket is kept.
    const ok = (super.keepSocketAlive as (s: Socket) => unknown).call(this, socket) !== false;
    if (ok && this.opts.tcpKeepaliveMs !== undefined) socket.setKeepAlive(true, this.opts.tcpKeepaliveMs);
    return ok;
  }

  /** Closes idle keep-alive sockets (used when the host leaves the cluster). */
  closeIdle(): void {
    for (const list of Object.values(this.freeSockets)) for (const s of list ?? []) s.destroy();
    this.h2?.closeIdle();
    this.h1?.closeIdle();
    for (const p of this.h1Keyed?.values() ?? []) p.closeIdle();
    for (const p of this.h2Keyed?.values() ?? []) p.closeIdle();
  }

  /**
   * Node's pool key for the Agent's own requests (mirrors): the per-connection TLS options are part
   * of it, so a mirror connection made for one host is not reused for another.
   */
  override getName(options?: http.ClientRequestArgs): string {
    const base = super.getName(options);
    const auto = this.tls?.autoSni === undefined ? undefined : this.tls.transportFor(options?.headers as UpstreamHeaders | undefined);
    return auto === undefined || auto.key === '' ? base : `${base}|${auto.key}`;
  }
}

function onAgentFree(this: UpstreamAgent): void {
  if (this.waiters.length > 0) this.pool?.onFree(this);
}

function onConnectTimeout(socket: Socket, stats: ClusterStats): void {
  if (!socket.connecting) return;
  stats.cxConnectFail.inc();
  const err = Object.assign(new Error('upstream connect timeout'), { code: CONNECT_TIMEOUT_CODE });
  socket.destroy(err);
}
