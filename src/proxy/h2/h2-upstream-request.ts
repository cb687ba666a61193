/**
 * One upstream attempt's request over HTTP/2, implementing the router's {@link UpstreamRequest}
 * contract (src/proxy/http/upstream-request.ts) as the HTTP/1.1 request does, so HTTP/2 attempts go
 * through the same code (upstream-attempt.ts: circuit breaker admission, per-try and route timeouts,
 * retries, outlier reports, local replies):
 * - the request body is written into the h2 stream with the stream's backpressure
 *   (`onUpstreamDrain`); no body = HEADERS with END_STREAM;
 * - it reports `onUpstreamConnected` once the session's connection is up (ends the pool's pending
 *   state), the response (status and pseudo-header-free headers, body streamed on `pipe`), and
 *   errors before the response: connect errors keep their codes (→ UF), REFUSED_STREAM / GOAWAY'd
 *   streams get {@link H2_REFUSED_STREAM_CODE} (→ retry-on `refused-stream`), other resets are
 *   resets (→ UC); upstream-reset.ts maps the codes;
 * - response trailers (gRPC `grpc-status`, `grpc-message`) are passed to the downstream response
 *   unbuffered; gRPC requests carry `te: trailers`;
 * - `abort()` cancels the stream (RST_STREAM CANCEL), never the shared session.
 */
import http2 from 'node:http2';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { DownstreamResponse } from '../http/downstream.js';
import type { UpstreamRequest, UpstreamRequestCallbacks, UpstreamResponse } from '../http/upstream-request.js';
import type { H2SessionPool } from './h2-session-pool.js';
import { stripConnectionSpecific } from './h2-downstream.js';
import { stripHopByHop } from '../http/hop-by-hop.js';

/** Error code of an upstream stream the server refused (REFUSED_STREAM, or above a GOAWAY's last stream id). */
export const H2_REFUSED_STREAM_CODE = 'WEFT_H2_REFUSED_STREAM';
/** Error code of an upstream stream reset before its response. */
export const H2_STREAM_RESET_CODE = 'WEFT_H2_STREAM_RESET';

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;

/**
 * The request headers as an HTTP/2 header block: `method`, `path` (after rewrites), `scheme`, and
 * `:authority` from `host` (else `defaultAuthority`, the upstream host's address).
 */
export function h2RequestHeaders(headers: IncomingHttpHeaders, method: string, path: string, scheme: string, defaultAuthority: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const k in headers) {
    if (k.charCodeAt(0) === 58 /* : */ || k === 'host') continue;
    out[k] = headers[k];
  }
  stripConnectionSpecific(out as Record<string, unknown>);
  const ct = headers['content-type'];
  if (typeof ct === 'string' && ct.startsWith('application/grpc')) out['te'] = 'trailers';
  out[':method'] = method;
  out[':path'] = path;
  out[':scheme'] = scheme;
  const host = headers['host'];
  out[':authority'] = typeof host === 'string' && host !== '' ? host : defaultAuthority;
  return out;
}

/** An HTTP/2 upstream request (see the file comment). */
export class H2UpstreamRequest implements UpstreamRequest {
  /** HTTP/2 requests never ride a reused HTTP/1.1 keep-alive socket. */
  readonly reusedConnection = false;
  /** The session's connection. */
  readonly socket: Socket;
  destroyed = false;
  private readonly stream: http2.ClientHttp2Stream;
  private responded = false;
  private failed = false;

  /** Opens a stream on `pool`'s session to `address:port` with the h2 `headers`; events go to `callbacks`. */
  constructor(pool: H2SessionPool, address: string, port: number, headers: OutgoingHttpHeaders, bodyless: boolean, maxConcurrentStreams: number, private readonly callbacks: UpstreamRequestCallbacks) {
    const { stream, socket, session } = pool.request(address, port, headers, bodyless, maxConcurrentStreams);
    this.stream = stream;
    this.socket = socket;
    stream.on('response', (h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader) => this.onResponse(h));
    stream.on('error', (err: NodeJS.ErrnoException) => this.onStreamError(err));
    stream.once('close', () => {
      if (!this.responded) this.fail(resetError(stream.rstCode, undefined));
    });
    // Connected once the session is usable (TCP, and TLS when the host has it): the pool stops counting the attempt as pending.
    if (session.connecting) session.once('connect', () => callbacks.onUpstreamConnected());
    else callbacks.onUpstreamConnected();
  }

  write(chunk: Buffer): boolean {
    const st = this.stream;
    if (this.destroyed || st.destroyed || st.writableEnded) return true;
    const ok = st.write(chunk);
    if (!ok) st.once('drain', () => this.callbacks.onUpstreamDrain());
    return ok;
  }

  end(): void {
    if (!this.destroyed && !this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  abort(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (!this.stream.closed && !this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
  }

  private onResponse(headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    if (this.responded || this.destroyed || this.failed) return;
    this.responded = true;
    const clean: IncomingHttpHeaders = {};
    for (const k in headers) if (k.charCodeAt(0) !== 58) clean[k] = headers[k] as string | string[];
    // Connection-level headers never cross the proxy (HTTP/1.1 responses lose them in src/proxy/h1's parser).
    stripHopByHop(clean as Record<string, unknown>);
    this.callbacks.onUpstreamResponse(new H2Response(this.stream, Number(headers[':status'] ?? 502), clean));
  }

  private onStreamError(err: NodeJS.ErrnoException): void {
    if (this.responded) return;
    // A stream cancelled because its session failed (connect error) carries the session's error.
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    if (err.code === 'ERR_HTTP2_STREAM_CANCEL' && cause instanceof Error && cause.code !== undefined) this.fail(cause);
    else this.fail(this.stream.rstCode !== undefined && err.code === 'ERR_HTTP2_STREAM_ERROR' ? resetError(this.stream.rstCode, err) : err);
  }

  /** Reports the first failure before a response (none after an abort), and cancels the stream. */
  private fail(err: NodeJS.ErrnoException): void {
    if (this.failed || this.destroyed) return;
    this.failed = true;
    if (!this.stream.closed && !this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
    this.callbacks.onUpstreamError(err);
  }
}

/** An HTTP/2 upstream response: the h2 stream's body and trailers forwarded to the downstream response. */
class H2Response implements UpstreamResponse {
  constructor(private readonly stream: http2.ClientHttp2Stream, readonly statusCode: number, readonly headers: IncomingHttpHeaders) {}

  pipe(res: DownstreamResponse): unknown {
    const stream = this.stream;
    stream.on('data', (chunk: Buffer) => {
      if (res.destroyed) return;
      if (!res.write(chunk)) {
        stream.pause();
        res.once('drain', () => stream.resume());
      }
    });
    stream.on('trailers', (trailers: http2.IncomingHttpHeaders) => {
      if (res.destroyed) return;
      const out: Record<string, string | string[]> = {};
      for (const k in trailers) if (k.charCodeAt(0) !== 58) out[k] = trailers[k] as string | string[];
      res.addTrailers(out);
    });
    stream.once('end', () => {
      if (!res.destroyed) res.end();
    });
    return res;
  }

  resume(): unknown {
    return this.stream.resume();
  }

  on(event: 'end' | 'error', listener: (err: Error) => void): unknown {
    return this.stream.on(event, listener);
  }
}

function resetError(rstCode: number | undefined, cause: Error | undefined): NodeJS.ErrnoException {
  const refused = rstCode === NGHTTP2_REFUSED_STREAM;
  return Object.assign(new Error(refused ? 'upstream refused the stream' : `upstream stream reset (code ${rstCode ?? 'none'})`, { cause }), {
    code: refused ? H2_REFUSED_STREAM_CODE : H2_STREAM_RESET_CODE,
  });
}
