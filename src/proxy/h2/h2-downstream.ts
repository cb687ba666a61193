/**
 * The HTTP/2 side of a proxy listener: a `node:http2` server (compatibility API) that is never
 * bound itself; the listener hands it sockets whose first bytes were the h2c connection preface
 * (or TLS sockets that negotiated ALPN `h2`). Each stream becomes a request/response pair that the
 * same connection manager and filter chain as HTTP/1.1 serve:
 * - request `headers` are the HTTP/1.1 view (`url`, `method` still come from the pseudo-headers): no pseudo-headers, `host`
 *   set from `:authority` (the destination for sidecar outbound, as proxy-form does for HTTP/1.1);
 *   a request with a body but no `content-length` is marked `transfer-encoding: chunked` so the
 *   router streams it (HTTP/1.1 upstreams then get a chunked body, as Envoy does);
 * - responses drop connection-specific headers HTTP/2 forbids (`connection`, `keep-alive`,
 *   `transfer-encoding`, …) instead of failing, and report `destroyed` like node:http's.
 * Sessions close after the listener's idle timeout without streams and drain with GOAWAY on close.
 * Resource limits (h2-limits.ts) bound each connection: at most `maxConcurrentStreams` open streams
 * (100 unless the HCM's `http2_protocol_options` says otherwise; nghttp2 answers a HEADERS beyond
 * it with RST_STREAM REFUSED_STREAM, RFC 9113 §5.1.2, and closes a session that keeps opening
 * refused streams), a 64 KiB stream and 1 MiB connection flow-control window (a paused request
 * body stops window updates, so a client cannot push more than that into the proxy's memory).
 */
import http2 from 'node:http2';
import type { DownstreamRequest, DownstreamResponse } from '../http/downstream.js';
import type { Socket } from 'node:net';
import { EDGE_H2_LIMITS, sameH2Limits, type H2Limits } from './h2-limits.js';

/** Handles one request (the HTTP/1.1 listener's handler; h2 objects satisfy what it uses). */
export type H2RequestHandler = (req: DownstreamRequest, res: DownstreamResponse) => void;

/** Settings of an {@link H2Downstream}. */
export interface H2DownstreamOptions {
  /** Session idle timeout (ms; 0 = none). Default 1 h (Envoy's connection idle timeout). */
  readonly idleTimeoutMs?: number;
  /** Streams and flow-control windows per connection (default: Envoy's edge guidance, {@link EDGE_H2_LIMITS}). */
  readonly limits?: H2Limits;
  /** Largest header list accepted (bytes). */
  readonly maxHeaderListSize?: number;
}

/** Headers HTTP/2 forbids in responses (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings'] as const;

/** Removes connection-specific headers from a header object (and `te` unless it is `trailers`). */
export function stripConnectionSpecific(headers: Record<string, unknown>): void {
  for (const h of CONNECTION_SPECIFIC) if (headers[h] !== undefined) delete headers[h];
  const te = headers['te'];
  if (te !== undefined && te !== 'trailers') delete headers['te'];
}

type HeaderArg = http2.OutgoingHttpHeaders | readonly string[] | undefined;

/** An HTTP/2 compatibility response that behaves like node:http's where the proxy relies on it. */
class ProxyH2Response extends http2.Http2ServerResponse {
  override writeHead(statusCode: number, a?: string | HeaderArg, b?: HeaderArg): this {
    const headers = typeof a === 'string' ? b : a;
    if (headers !== undefined && !Array.isArray(headers)) stripConnectionSpecific(headers as Record<string, unknown>);
    if (typeof a === 'string') return super.writeHead(statusCode, a, headers as http2.OutgoingHttpHeaders);
    return super.writeHead(statusCode, headers as http2.OutgoingHttpHeaders);
  }
}
// node:http's ServerResponse has `destroyed`; the compat response does not: derive it from the stream.
Object.defineProperty(ProxyH2Response.prototype, 'destroyed', {
  get(this: http2.Http2ServerResponse): boolean {
    const st = this.stream as http2.ServerHttp2Stream | undefined;
    return st === undefined || st.destroyed;
  },
});

/**
 * The HTTP/1.1 view of an h2 request's headers the filter chain expects: pseudo-headers left out,
 * `host` from `:authority`, connection-specific headers dropped, `transfer-encoding: chunked` for a
 * body without `content-length`.
 */
export function normalizedRequestHeaders(raw: http2.IncomingHttpHeaders, endAfterHeaders: boolean): Record<string, string | string[] | undefined> {
  const h: Record<string, string | string[] | undefined> = {};
  for (const k in raw) if (k.charCodeAt(0) !== 58 /* : */) h[k] = raw[k];
  const authority = raw[':authority'];
  if (typeof authority === 'string' && authority !== '') h['host'] = authority;
  stripConnectionSpecific(h);
  if (!endAfterHeaders && h['content-length'] === undefined) h['transfer-encoding'] = 'chunked';
  return h;
}

const NORMALIZED: unique symbol = Symbol('weft.h2Headers');
type NormalizedRequest = http2.Http2ServerRequest & { [NORMALIZED]?: Record<string, string | string[] | undefined> };

/** An HTTP/2 compatibility request whose `headers` are the HTTP/1.1 view (url, method, authority still read the pseudo-headers). */
class ProxyH2Request extends http2.Http2ServerRequest {}
Object.defineProperty(ProxyH2Request.prototype, 'headers', {
  get(this: NormalizedRequest): Record<string, string | string[] | undefined> {
    let h = this[NORMALIZED];
    if (h === undefined) {
      const raw = (Object.getOwnPropertyDescriptor(http2.Http2ServerRequest.prototype, 'headers')!.get as (this: http2.Http2ServerRequest) => http2.IncomingHttpHeaders).call(this);
      h = this[NORMALIZED] = normalizedRequestHeaders(raw, this.stream.endAfterHeaders);
    }
    return h;
  },
});

/** SETTINGS advertised for a set of limits. */
function settingsOf(l: H2Limits): http2.Settings {
  return { maxConcurrentStreams: l.maxConcurrentStreams, initialWindowSize: l.initialStreamWindowSize };
}

/** The HTTP/2 server of one listener. */
export class H2Downstream {
  readonly server: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private idleTimeoutMs: number;
  private limits: H2Limits;

  constructor(handler: H2RequestHandler, opts: H2DownstreamOptions = {}) {
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 3_600_000;
    this.limits = opts.limits ?? EDGE_H2_LIMITS;
    this.server = http2.createServer({
      Http2ServerRequest: ProxyH2Request,
      Http2ServerResponse: ProxyH2Response as unknown as typeof http2.Http2ServerResponse,
      settings: settingsOf(this.limits),
      maxSessionMemory: 64,
      ...(opts.maxHeaderListSize !== undefined ? { maxHeaderListSize: opts.maxHeaderListSize } : {}),
    });
    this.server.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
      // The compat objects provide every member the connection manager uses on node:http's.
      handler(req, res as unknown as DownstreamResponse);
    });
    this.server.on('session', (session: http2.ServerHttp2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
      session.on('error', () => session.destroy());
      // The connection window is not a SETTINGS value: raise it from the default 65,535 with a
      // WINDOW_UPDATE once the session exists (Envoy's initial_connection_window_size).
      const win = this.limits.initialConnectionWindowSize;
      try {
        session.setLocalWindowSize(win);
      } catch {
        // A session destroyed before it started has no window to set.
      }
      if (this.idleTimeoutMs > 0) session.setTimeout(this.idleTimeoutMs, () => session.close());
    });
    // A stream error (client reset) must not become an uncaught exception.
    this.server.on('stream', (stream: http2.ServerHttp2Stream) => stream.on('error', () => undefined));
  }

  /** Sets the idle timeout of sessions opened from now on (ms; 0 = none). */
  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
  }

  /** Sets the stream and window limits of sessions opened from now on (open sessions keep theirs, as Envoy's do). */
  setLimits(limits: H2Limits): void {
    if (sameH2Limits(limits, this.limits)) return;
    this.limits = limits;
    this.server.updateSettings(settingsOf(limits));
  }

  /** The limits new sessions get. */
  get currentLimits(): H2Limits {
    return this.limits;
  }

  /** Serves one connection (its preface bytes still unread on it). */
  serve(socket: Socket): void {
    // node:http2 refuses TLS sockets whose ALPN chose http/1.1 (or none); the preface proved h2
    // (mesh mTLS negotiates `istio`/`http/1.1` and then speaks h2 prior knowledge).
    const t = socket as Socket & { alpnProtocol?: string | false };
    if (t.alpnProtocol === 'http/1.1' || t.alpnProtocol === false) t.alpnProtocol = 'h2';
    this.server.emit('connection', socket);
  }

  /** Open sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Drains: GOAWAY to every session (in-flight streams finish), destroys what remains after `graceMs`. */
  close(graceMs = 5000): Promise<void> {
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.sessions) s.destroy();
      }, graceMs);
      timer.unref();
      let left = this.sessions.size;
      for (const s of this.sessions) {
        s.once('close', () => {
          if (--left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
        s.close();
      }
    });
  }
}
