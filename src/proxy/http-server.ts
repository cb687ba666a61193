/**
 * One bound HTTP listener socket of the proxy, HTTP/1.1 and HTTP/2 cleartext with prior knowledge
 * (each accepted connection is sniffed once, src/proxy/h2): a node:http server with keep-alive, Node's
 * strict parser (llhttp; malformed requests get 400, oversized headers 431, without reaching the
 * handler), connection tracking, and a graceful close: stop accepting, let in-flight requests
 * finish, close idle keep-alive connections, and force-close whatever remains after a deadline.
 * Resource limits: a cap on open downstream connections (Envoy's per-listener connection limit,
 * `envoy.resource_limits.listener.<name>.connection_limit`: a connection over it is closed as soon
 * as it is accepted and counted as `downstream_cx_overflow`), and the HTTP/2 stream and window
 * limits of the HCM (h2/h2-limits.ts). Accept errors (EMFILE, ENFILE) are reported, never thrown.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { hardenServer } from './filters/codec-guard.js';
import { H2Downstream } from './h2/h2-downstream.js';
import { h2LimitsFrom } from './h2/h2-limits.js';
import type { Http2ProtocolOptions } from '../envoy/types.js';
import { sniffProtocol } from './h2/preface-sniffer.js';

/** Handles one request; must not throw. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Settings of a listener. */
export interface HttpListenerOptions {
  /** Idle keep-alive timeout of downstream connections (ms). */
  readonly keepAliveTimeoutMs?: number;
  /** Largest request head accepted (bytes); larger gets 431. Node's default is 16 KiB. */
  readonly maxHeaderSize?: number;
  /** Time allowed for a request's headers to arrive (ms); Node answers 408 and closes after it. */
  readonly headersTimeoutMs?: number;
  /**
   * Called when a socket's inactivity timeout fires (stream idle or keep-alive idle); it must close
   * or answer. Without it Node destroys the socket.
   */
  readonly onSocketTimeout?: (socket: Socket) => void;
  /**
   * Sees each accepted TCP connection first (inbound TLS termination / PERMISSIVE detection) and
   * calls `deliver` with the stream HTTP should read, or destroys the connection.
   */
  readonly accept?: (socket: Socket, deliver: (stream: Socket) => void) => void;
  /** Most downstream connections open at once (TCP connections, any protocol); absent = no limit. */
  readonly maxConnections?: number;
  /** Called for each connection closed because the listener was at `maxConnections`. */
  readonly onOverflow?: () => void;
  /** Called with a server-level error after the listener is bound (e.g. accept failing with EMFILE). */
  readonly onError?: (err: Error) => void;
}

/** Downstream timeouts a listener applies (see {@link HttpListener.configure}). */
export interface DownstreamTimeouts {
  readonly requestHeadersTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly streamIdleTimeoutMs?: number;
  /** The HCM config; its `http2ProtocolOptions` set the HTTP/2 stream and window limits. */
  readonly config?: { readonly http2ProtocolOptions?: Http2ProtocolOptions };
}

/** A bound listener. */
export class HttpListener {
  readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;
  private readonly onTimeout: ((socket: Socket) => void) | undefined;
  private readonly onServerError: ((err: Error) => void) | undefined;
  /** The HTTP/2 (h2c prior knowledge / ALPN h2) side of this listener. */
  readonly h2: H2Downstream;

  constructor(handler: RequestHandler, opts: HttpListenerOptions = {}) {
    this.server = http.createServer({ keepAlive: true, maxHeaderSize: opts.maxHeaderSize, requestTimeout: 0, connectionsCheckingInterval: 5000 }, handler);
    this.server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 60_000;
    this.server.headersTimeout = opts.headersTimeoutMs ?? 60_000;
    hardenServer(this.server);
    // Node closes a connection accepted while `maxConnections` are open and emits 'drop'.
    if (opts.maxConnections !== undefined && opts.maxConnections > 0) this.server.maxConnections = opts.maxConnections;
    const onOverflow = opts.onOverflow;
    if (onOverflow !== undefined) this.server.on('drop', () => onOverflow());
    this.onServerError = opts.onError;
    this.onTimeout = opts.onSocketTimeout;
    if (opts.onSocketTimeout !== undefined) this.server.on('timeout', opts.onSocketTimeout);
    this.server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    const accept = opts.accept;
    // Accepted sockets go through `accept` (if any), then one peek tells h2c prior knowledge from
    // HTTP/1.x (src/proxy/h2): HTTP/1 reaches node:http's own connection handlers, h2 the h2 server.
    const handlers = this.server.listeners('connection') as ((s: Socket) => void)[];
    this.server.removeAllListeners('connection');
    const deliverH1 = (s: Socket): void => {
      for (const h of handlers) h.call(this.server, s);
    };
    this.h2 = new H2Downstream(handler);
    const deliverH2 = (s: Socket): void => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
      this.h2.serve(s);
    };
    // A connection that never sends is closed after the idle (or request-headers) timeout.
    const deliver = (s: Socket): void => {
      const idle = this.server.timeout > 0 ? this.server.timeout : Infinity;
      sniffProtocol(s, deliverH1, deliverH2, Math.min(idle, this.server.headersTimeout > 0 ? this.server.headersTimeout : 60_000));
    };
    this.server.on('connection', accept ? (socket: Socket) => accept(socket, deliver) : deliver);
  }

  /**
   * Applies the HCM's downstream timeouts: request headers, and one inactivity timeout per
   * connection, min(connection idle, stream idle), armed once when the connection opens (Node's
   * per-request keep-alive timer is off), so requests pay for no timer. Existing connections keep
   * the timeout they started with.
   */
  configure(t: DownstreamTimeouts): void {
    this.server.headersTimeout = t.requestHeadersTimeoutMs ?? 60_000;
    this.h2.setIdleTimeout(t.idleTimeoutMs ?? 3_600_000);
    this.h2.setLimits(h2LimitsFrom(t.config?.http2ProtocolOptions));
    if (this.onTimeout === undefined) return;
    const idle = t.idleTimeoutMs ?? 3_600_000;
    const stream = t.streamIdleTimeoutMs ?? 300_000;
    const m = idle > 0 && stream > 0 ? Math.min(idle, stream) : Math.max(idle, stream);
    this.server.timeout = m;
    this.server.keepAliveTimeout = 0;
  }

  /** Binds `host:port` (0 = any free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', onError);
        // Once bound, an accept error (EMFILE under a connection flood) must not crash the proxy.
        this.server.on('error', (err: Error) => this.onServerError?.(err));
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** Open downstream connections. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /**
   * Drains: stops accepting, closes idle connections (and each busy one once its response is
   * done, since Node then sends `Connection: close`), force-closes the rest after `graceMs`.
   */
  close(graceMs = 5000): Promise<void> {
    if (this.closing) return this.closing;
    void this.h2.close(graceMs);
    this.closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
      // Connections that finish their current response become idle: close them as they do.
      const sweep = setInterval(() => {
        this.server.closeIdleConnections();
        if (this.sockets.size === 0) clearInterval(sweep);
      }, 50);
      sweep.unref();
      this.server.once('close', () => clearInterval(sweep));
    });
    return this.closing;
  }
}
