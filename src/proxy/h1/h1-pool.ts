/**
 * The HTTP/1.1 keep-alive connections of one upstream host: idle connections are reused last in,
 * first out (the warmest socket; the rest age out by the idle timeout), new ones are opened through
 * the host's {@link UpstreamSocketFactory} (which counts them in the cluster's stats and circuit
 * breaker, applies the connect timeout, TCP keepalive and TLS), and a connection that served
 * `maxRequestsPerConnection` requests is closed instead of reused. When a connection becomes idle
 * while requests wait for this host (circuit breaker queue), the factory's `onIdle` hands it to the
 * first of them. A connection older than the host's `maxConnectionDuration` takes no new request:
 * closed at once when idle, else when its exchange ends (Envoy drains HTTP/1.1 connections so).
 */
import type { Socket } from 'node:net';
import { H1Connection, type H1ConnectionOwner } from './h1-connection.js';
import type { UpstreamTransport } from '../tls/auto-sni.js';

/** What a pool needs from its host (implemented by HostConnections, host-connections.ts). */
export interface UpstreamSocketFactory {
  /**
   * Opens a counted connection (plain or TLS, with per-connection TLS options) to the host; `alpn`
   * is the protocol offered over TLS (default `http/1.1`; the HTTP/2 session pool asks for `h2`).
   */
  openSocket(address: string, port: number, transport?: UpstreamTransport, alpn?: 'http/1.1' | 'h2'): Socket;
  /** Idle timeout of connections (ms; 0 = none). */
  readonly idleTimeoutMs: number;
  /** Requests per connection before it is closed (0 = unlimited). */
  readonly maxRequestsPerConnection: number;
  /** Connection lifetime (ms; 0 = unlimited). */
  readonly maxConnectionDurationMs: number;
  /** A connection reached `maxConnectionDurationMs`. */
  onMaxDuration(): void;
  /** A connection reached `maxRequestsPerConnection` and was closed. */
  onMaxRequests(): void;
  /** A connection became idle. */
  onIdle(): void;
}

/** One host's HTTP/1.1 connections. */
export class H1Pool implements H1ConnectionOwner {
  private readonly idle: H1Connection[] = [];
  private readonly all = new Set<H1Connection>();
  /** Lifetime timers of connections (maxConnectionDuration), and those past it. */
  private readonly lifetimes = new Map<H1Connection, NodeJS.Timeout>();
  private readonly expired = new WeakSet<H1Connection>();

  /** @param transport per-connection TLS options (auto SNI) every connection of this pool uses. */
  constructor(private readonly factory: UpstreamSocketFactory, private readonly address: string, private readonly port: number, private readonly transport?: UpstreamTransport) {}

  /** Idle connections. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** All open connections. */
  get size(): number {
    return this.all.size;
  }

  /** An idle connection (`reused`) or a new one. */
  acquire(): { conn: H1Connection; reused: boolean } {
    for (;;) {
      const c = this.idle.pop();
      if (c === undefined) break;
      if (!c.closed && !c.socket.destroyed) return { conn: c, reused: true };
    }
    const socket = this.factory.openSocket(this.address, this.port, this.transport);
    const t = this.factory.idleTimeoutMs;
    if (t > 0) socket.setTimeout(t);
    const conn = new H1Connection(socket, this);
    this.all.add(conn);
    const life = this.factory.maxConnectionDurationMs;
    if (life > 0) {
      const timer = setTimeout(() => {
        this.lifetimes.delete(conn);
        this.expired.add(conn);
        this.factory.onMaxDuration();
        if (!conn.busy) conn.destroy();
      }, life);
      timer.unref();
      this.lifetimes.set(conn, timer);
    }
    return { conn, reused: false };
  }

  released(conn: H1Connection, reusable: boolean): void {
    if (!reusable || this.expired.has(conn)) {
      conn.destroy();
      return;
    }
    const max = this.factory.maxRequestsPerConnection;
    if (max > 0 && conn.requests >= max) {
      this.factory.onMaxRequests();
      conn.destroy();
      return;
    }
    this.idle.push(conn);
    this.factory.onIdle();
  }

  closed(conn: H1Connection): void {
    this.all.delete(conn);
    const timer = this.lifetimes.get(conn);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.lifetimes.delete(conn);
    }
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes idle connections (the host left the cluster). */
  closeIdle(): void {
    for (const c of this.idle.splice(0)) c.destroy();
  }

  /** Closes every connection, busy ones too (proxy shutdown). */
  destroy(): void {
    for (const c of [...this.all]) c.destroy();
    this.idle.length = 0;
  }
}

/**
 * True when `pool` is an {@link H1Pool}: narrows the opaque pool a filter gets from
 * `http/stream-info.ts`'s `CallableHost` (the leaf contracts cannot name the codec's class).
 */
export function isH1Pool(pool: object): pool is H1Pool {
  return pool instanceof H1Pool;
}
