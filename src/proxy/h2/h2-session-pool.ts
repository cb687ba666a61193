/**
 * The HTTP/2 connections of one upstream host (clusters that speak HTTP/2 upstream): a few
 * `http2.connect` sessions, each carrying up to `maxConcurrentStreams` streams (the cluster's
 * `http2ProtocolOptions.maxConcurrentStreams`, DestinationRule `http2MaxRequests` per connection,
 * and never more than the peer's SETTINGS allow). A new session is opened only when every open one
 * is full. Sessions count like the HTTP/1.1 pool's sockets: `upstream_cx_total`,
 * `upstream_cx_active`, `upstream_cx_connect_fail`, the circuit breaker's connections; streams count
 * as requests in the cluster's {@link ClusterAdmission} (the host's `freeCount` includes free stream slots,
 * so `maxRequests` bounds streams and waiters are woken when a stream ends). A session that receives
 * GOAWAY, reaches `maxRequestsPerConnection` or fails stops taking streams; its in-flight streams
 * finish and it closes; the next request opens a fresh one (reconnect). Idle sessions close after
 * the cluster's idle timeout, and a session older than `maxConnectionDuration` is drained the same
 * way (Envoy sends GOAWAY and closes once its streams end). With `connectionKeepalive` (Istio
 * `http2KeepAlive`) each session sends a PING every interval and is destroyed when one is not
 * answered within the timeout (Envoy's KeepaliveSettings); its streams fail and the next request
 * opens a new session. Plaintext (h2c prior knowledge) or over the host's TLS connector.
 */
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { UpstreamSocketFactory } from '../h1/h1-pool.js';
import type { UpstreamTransport } from '../tls/auto-sni.js';

/** One session and its stream accounting. */
interface Entry {
  readonly session: http2.ClientHttp2Session;
  readonly socket: Socket;
  active: number;
  total: number;
  /** No new streams (GOAWAY, request limit, error). */
  draining: boolean;
  /** When the last stream ended (performance.now()), for the idle timeout under keepalive PINGs. */
  idleSince: number;
}

/**
 * What the session pool needs from its host (implemented by HostConnections): counted sockets
 * (stats, circuit breaker, connect timeout, TLS with ALPN `h2`), the host's limits and callbacks,
 * and the HTTP/2 keepalive settings.
 */
export interface H2SessionFactory extends UpstreamSocketFactory {
  /** HTTP/2 `connectionKeepalive` (PING interval and timeout); undefined = none. */
  readonly h2Keepalive: { readonly intervalMs: number; readonly timeoutMs: number } | undefined;
}

/** A stream opened by {@link H2SessionPool.request}. */
export interface PooledStream {
  readonly stream: http2.ClientHttp2Stream;
  /** The session carrying it. */
  readonly session: http2.ClientHttp2Session;
  /** The session's socket (TLS peer identity, telemetry). */
  readonly socket: Socket;
}

const UNLIMITED = 2 ** 31 - 1;

/** HTTP/2 sessions to one host. */
export class H2SessionPool {
  private readonly entries = new Set<Entry>();
  /** The cluster's stream cap per session (0 = the peer's), as of the last request. */
  private maxStreams = 0;

  /**
   * @param host the host's connections: opens and counts sessions' sockets, holds the settings and callbacks.
   * @param transport per-connection TLS options (auto SNI) every session of this pool uses.
   */
  constructor(private readonly host: H2SessionFactory, private readonly transport?: UpstreamTransport) {}

  /** Sessions open or connecting (they count as connections). */
  get sessionCount(): number {
    return this.entries.size;
  }

  /** Sessions that can take another stream now (the pool's notion of a free connection). */
  freeCount(): number {
    let n = 0;
    for (const e of this.entries) if (this.hasRoom(e, this.maxStreams)) n++;
    return n;
  }

  /** Opens a stream to `address:port` on a session with room, connecting a new session if needed. */
  request(address: string, port: number, headers: http2.OutgoingHttpHeaders, endStream: boolean, maxStreams: number): PooledStream {
    this.maxStreams = maxStreams;
    let best: Entry | undefined;
    for (const e of this.entries) if (this.hasRoom(e, maxStreams) && (best === undefined || e.active < best.active)) best = e;
    const e = best ?? this.open(address, port);
    const stream = e.session.request(headers, { endStream });
    e.active++;
    e.total++;
    const maxReq = this.host.maxRequestsPerConnection;
    if (maxReq > 0 && e.total >= maxReq && !e.draining) {
      e.draining = true;
      this.host.onMaxRequests();
    }
    stream.once('close', () => this.streamClosed(e));
    return { stream, session: e.session, socket: e.socket };
  }

  /** Closes sessions without streams (host left the cluster, TLS setting changed). */
  closeIdle(): void {
    for (const e of this.entries) {
      e.draining = true;
      if (e.active === 0) e.session.close();
    }
  }

  /** Destroys every session (proxy shutdown). */
  destroy(): void {
    for (const e of this.entries) e.session.destroy();
  }

  private hasRoom(e: Entry, maxStreams: number): boolean {
    if (e.draining || e.session.destroyed || e.session.closed) return false;
    const peer = e.session.remoteSettings?.maxConcurrentStreams ?? UNLIMITED;
    const limit = Math.min(maxStreams > 0 ? maxStreams : UNLIMITED, peer > 0 ? peer : UNLIMITED);
    return e.active < limit;
  }

  private open(address: string, port: number): Entry {
    const conns = this.host;
    // Counted (stats, circuit breaker) until the socket closes, with TCP keepalive and the connect timeout.
    const socket = conns.openSocket(address, port, this.transport, 'h2');
    const authority = address.includes(':') ? `[${address}]` : address;
    const session = http2.connect(`http://${authority}:${port}`, {
      createConnection: () => socket,
      settings: { enablePush: false },
      maxSessionMemory: 64,
    });
    const e: Entry = { session, socket, active: 0, total: 0, draining: false, idleSince: performance.now() };
    this.entries.add(e);
    // Errors reach the streams; the session itself only stops taking new ones.
    session.on('error', () => {
      e.draining = true;
    });
    session.on('goaway', () => {
      e.draining = true;
      if (e.active === 0) session.close();
    });
    const life = conns.maxConnectionDurationMs;
    const lifetime = life > 0
      ? setTimeout(() => {
          e.draining = true;
          conns.onMaxDuration();
          if (e.active === 0) session.close();
        }, life)
      : undefined;
    lifetime?.unref();
    // PINGs are socket activity, which would reset node's session timeout: under keepalive the idle
    // timeout (no active streams, as Envoy counts it) is checked on each PING tick instead.
    const idleCheck = (): void => {
      if (conns.idleTimeoutMs > 0 && e.active === 0 && performance.now() - e.idleSince >= conns.idleTimeoutMs) session.close();
    };
    const keepalive = conns.h2Keepalive !== undefined ? startKeepalive(session, conns.h2Keepalive, idleCheck) : undefined;
    if (conns.idleTimeoutMs > 0) {
      session.setTimeout(conns.idleTimeoutMs, () => {
        if (e.active === 0) session.close();
      });
    }
    // The socket's close uncounts the connection and tells the host (its factory).
    session.once('close', () => {
      if (lifetime !== undefined) clearTimeout(lifetime);
      if (keepalive !== undefined) clearInterval(keepalive);
      this.entries.delete(e);
      if (!socket.destroyed) socket.destroy();
    });
    return e;
  }

  private streamClosed(e: Entry): void {
    e.active--;
    if (e.active === 0) e.idleSince = performance.now();
    if (e.draining && e.active === 0 && !e.session.closed) e.session.close();
    this.host.onIdle();
  }
}

/** PINGs `session` every interval; destroys it when a PING goes unanswered for the timeout. */
function startKeepalive(session: http2.ClientHttp2Session, ka: { readonly intervalMs: number; readonly timeoutMs: number }, onTick: () => void): NodeJS.Timeout {
  let waiting = false;
  const timer = setInterval(() => {
    onTick();
    if (waiting || session.destroyed || session.closed || session.connecting) return;
    waiting = true;
    const deadline = setTimeout(() => {
      session.destroy(Object.assign(new Error('HTTP/2 keepalive PING timed out'), { code: 'WEFT_H2_KEEPALIVE_TIMEOUT' }));
    }, ka.timeoutMs);
    deadline.unref();
    const sent = session.ping((err) => {
      clearTimeout(deadline);
      waiting = false;
      if (err && !session.destroyed) session.destroy(err);
    });
    if (!sent) {
      clearTimeout(deadline);
      waiting = false;
    }
  }, ka.intervalMs);
  timer.unref();
  return timer;
}
