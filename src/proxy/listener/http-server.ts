/**
 * One bound HTTP listener socket of the proxy, HTTP/1.1 and HTTP/2 cleartext with prior knowledge
 * (each accepted connection is sniffed once, src/proxy/h2): a `net.Server` whose HTTP/1.x
 * connections are served by Weft's own strict codec (src/proxy/h1/server-connection.ts: Envoy's
 * HTTP/1 server codec behaviour, malformed requests refused before the handler with the local
 * replies of filters/codec-guard.ts, oversized heads 431, slow heads 408), and whose HTTP/2 ones go
 * to node:http2 (h2/h2-downstream.ts). Keep-alive, pipelining (one request at a time, in order),
 * `Expect: 100-continue`, connection tracking, and a graceful close: stop accepting, let in-flight
 * requests finish, close idle keep-alive connections, and force-close whatever remains after a
 * deadline. CONNECT heads (and upgrades, when someone listens) leave the codec and are emitted on
 * {@link HttpListener.server} as node:http emits them (`'connect'` / `'upgrade'` with
 * `(req, socket, head)`), so tcp/connect-tunnel.ts attaches as it did to node:http.
 * Resource limits: a cap on open downstream connections (Envoy's per-listener connection limit,
 * `envoy.resource_limits.listener.<name>.connection_limit`: a connection over it is closed as soon
 * as it is accepted and counted as `downstream_cx_overflow`), and the HTTP/2 stream and window
 * limits of the HCM (h2/h2-limits.ts). Accept errors (EMFILE, ENFILE) are reported, never thrown.
 */
import type { DownstreamRequest, DownstreamResponse } from '../http/downstream.js';
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { codecLimits, codecLocalReply } from '../filters/codec-guard.js';
import { H1IncomingRequest } from '../h1/downstream-request.js';
import type { RequestHead } from '../h1/request-parser.js';
import { H1ServerConnection } from '../h1/server-connection.js';
import { H2Downstream } from '../h2/h2-downstream.js';
import { h2LimitsFrom } from '../h2/h2-limits.js';
import type { Http2ProtocolOptions } from '../../envoy/types.js';
import { sniffProtocol } from '../h2/preface-sniffer.js';

/** Handles one request; must not throw. */
export type RequestHandler = (req: DownstreamRequest, res: DownstreamResponse) => void;

/** Settings of a listener. */
export interface HttpListenerOptions {
  /** Idle keep-alive timeout of downstream connections (ms) until {@link HttpListener.configure} sets the HCM's. */
  readonly keepAliveTimeoutMs?: number;
  /** Largest request head accepted (bytes, request line and CRLFs included); larger gets 431. Default 16 KiB, node:http's. */
  readonly maxHeaderSize?: number;
  /** Time allowed for a request's headers to arrive once its first byte has (ms); 408 and close after it. */
  readonly headersTimeoutMs?: number;
  /**
   * Called when a socket's inactivity timeout fires (stream idle or keep-alive idle); it must close
   * or answer. Without it the socket is destroyed.
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
  /**
   * The listening socket. Besides `net.Server`'s events it emits node:http's `'connect'` (and
   * `'upgrade'`) with `(req, socket, head)`; emitting `'connection'` with a socket serves it here.
   */
  readonly server: net.Server;
  private readonly sockets = new Set<Socket>();
  /** HTTP/1.x connections being served by the codec. */
  private readonly h1 = new Map<Duplex, H1ServerConnection>();
  private closing: Promise<void> | undefined;
  private readonly onTimeout: ((socket: Socket) => void) | undefined;
  private readonly onServerError: ((err: Error) => void) | undefined;
  private readonly maxHeadBytes: number;
  private keepAliveTimeoutMs: number;
  private headersTimeoutMs: number;
  /** Inactivity timeout armed on each new connection (0: none; then the codec's keep-alive idle timeout applies). */
  private socketTimeoutMs = 0;
  /** The HTTP/2 (h2c prior knowledge / ALPN h2) side of this listener. */
  readonly h2: H2Downstream;

  constructor(private readonly handler: RequestHandler, opts: HttpListenerOptions = {}) {
    // node:http's servers are half-open capable too: a client's FIN ends its requests, not their responses.
    this.server = net.createServer({ allowHalfOpen: true });
    this.keepAliveTimeoutMs = opts.keepAliveTimeoutMs ?? 60_000;
    this.headersTimeoutMs = opts.headersTimeoutMs ?? 60_000;
    this.maxHeadBytes = opts.maxHeaderSize ?? 16 * 1024;
    // net.Server closes a connection accepted while `maxConnections` are open and emits 'drop'.
    if (opts.maxConnections !== undefined && opts.maxConnections > 0) this.server.maxConnections = opts.maxConnections;
    const onOverflow = opts.onOverflow;
    if (onOverflow !== undefined) this.server.on('drop', () => onOverflow());
    this.onServerError = opts.onError;
    this.onTimeout = opts.onSocketTimeout;
    this.h2 = new H2Downstream(handler);
    const deliverH2 = (s: Socket): void => {
      this.track(s);
      this.h2.serve(s);
    };
    const deliverH1 = (s: Socket): void => this.serveH1(s);
    // Accepted sockets go through `accept` (if any), then one peek tells h2c prior knowledge from
    // HTTP/1.x (src/proxy/h2). A connection that never sends is closed after the idle (or
    // request-headers) timeout.
    const deliver = (s: Socket): void => {
      const idle = this.socketTimeoutMs > 0 ? this.socketTimeoutMs : Infinity;
      sniffProtocol(s, deliverH1, deliverH2, Math.min(idle, this.headersTimeoutMs > 0 ? this.headersTimeoutMs : 60_000));
    };
    const accept = opts.accept;
    this.server.on('connection', (socket: Socket) => {
      // On the accepted TCP socket itself: a TLS socket layered on it (mTLS inbound, gateway TLS)
      // does not pass setNoDelay down, and with Nagle on, a response written in two TLS records
      // waits for the peer's delayed ACK (40 ms) between them.
      socket.setNoDelay(true);
      if (accept !== undefined) accept(socket, deliver);
      else deliver(socket);
    });
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  /** Serves an HTTP/1.x connection with the codec (the socket is resumed by the sniffer). */
  private serveH1(s: Socket): void {
    s.setNoDelay(true);
    this.track(s);
    // node:http arms `server.timeout` on each connection and hands its expiry to the server's 'timeout' listener.
    if (this.socketTimeoutMs > 0) s.setTimeout(this.socketTimeoutMs);
    const onTimeout = this.onTimeout;
    s.on('timeout', onTimeout !== undefined ? () => onTimeout(s) : () => s.destroy());
    const limits = codecLimits();
    const handler = this.handler;
    const conn = new H1ServerConnection(s, {
      onRequest: (req, res) => handler(req.body, res),
      onUpgrade: (head, socket, rest) => this.upgraded(head, socket, rest),
      // node:http takes every CONNECT, and an Upgrade only when an 'upgrade' listener exists; any other is an ordinary request.
      takesUpgrade: (head) => head.method === 'CONNECT' || this.server.listenerCount('upgrade') > 0,
      localReply: codecLocalReply,
      sendDate: true,
      continueAtHead: true,
      // A client's FIN aborts its in-flight request (DC), as with node:http before and Envoy.
      halfOpen: false,
      limits: { maxHeadBytes: this.maxHeadBytes, maxHeaders: limits.maxHeadersCount, maxUriBytes: limits.maxUriBytes },
      headersTimeoutMs: this.headersTimeoutMs,
      idleTimeoutMs: this.socketTimeoutMs > 0 ? 0 : this.keepAliveTimeoutMs,
    });
    this.h1.set(s, conn);
    s.once('close', () => this.h1.delete(s));
    if (this.closing !== undefined) conn.close();
  }

  /** A CONNECT (or upgrade) head left the codec: emitted as node:http does, or the connection is closed. */
  private upgraded(head: RequestHead, socket: Duplex, rest: Buffer): void {
    this.h1.delete(socket);
    const event = head.method === 'CONNECT' ? 'connect' : 'upgrade';
    if (this.server.listenerCount(event) === 0) {
      // node:http destroys a CONNECT nobody listens for (lib/_http_server.js onParserExecuteCommon).
      socket.destroy();
      return;
    }
    const req = new H1IncomingRequest(head, socket, () => undefined);
    req.push(null);
    // As node:http: the tunnel's owner resumes the socket by reading it (pipe, 'data').
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    this.server.emit(event, req, socket, rest);
  }

  /**
   * Applies the HCM's downstream timeouts: request headers, and one inactivity timeout per
   * connection, min(connection idle, stream idle), armed once when the connection opens (no
   * per-request keep-alive timer then), so requests pay for no timer. Existing connections keep
   * the timeout they started with.
   */
  configure(t: DownstreamTimeouts): void {
    this.headersTimeoutMs = t.requestHeadersTimeoutMs ?? 60_000;
    this.h2.setIdleTimeout(t.idleTimeoutMs ?? 3_600_000);
    this.h2.setLimits(h2LimitsFrom(t.config?.http2ProtocolOptions));
    if (this.onTimeout === undefined) return;
    const idle = t.idleTimeoutMs ?? 3_600_000;
    const stream = t.streamIdleTimeoutMs ?? 300_000;
    const m = idle > 0 && stream > 0 ? Math.min(idle, stream) : Math.max(idle, stream);
    this.socketTimeoutMs = m;
    this.keepAliveTimeoutMs = 0;
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
   * Drains: stops accepting, closes idle HTTP/1 connections now and each busy one once its
   * response is done (sent with `Connection: close`), force-closes the rest after `graceMs`.
   */
  close(graceMs = 5000): Promise<void> {
    if (this.closing) return this.closing;
    void this.h2.close(graceMs);
    this.closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const c of this.h1.values()) c.destroy();
      }, graceMs);
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const c of this.h1.values()) c.close();
    });
    return this.closing;
  }
}
