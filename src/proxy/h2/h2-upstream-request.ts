/**
 * One upstream attempt over HTTP/2, shaped like the node:http `ClientRequest` the router drives, so
 * HTTP/2 attempts go through the same code as HTTP/1.1 ones (upstream-request.ts: circuit
 * breaker admission, per-try and route timeouts, retries, outlier reports, local replies):
 * - it is a Writable: the request body is piped or replayed into it and flows into the h2 stream
 *   with the stream's backpressure; no body = HEADERS with END_STREAM;
 * - it emits `socket` once the session's connection is up (ends the pool's pending state),
 *   `response` with the h2 stream itself as the response (a Readable with `statusCode` and
 *   pseudo-header-free `headers`), and `error` for failures before the response: connect errors keep
 *   their codes (→ UF), REFUSED_STREAM / GOAWAY'd streams get {@link H2_REFUSED_STREAM_CODE}
 *   (→ retry-on `refused-stream`), other resets are resets (→ UC);
 * - response trailers (gRPC `grpc-status`, `grpc-message`) are passed to the downstream response
 *   unbuffered; gRPC requests carry `te: trailers`;
 * - `destroy()` cancels the stream (RST_STREAM CANCEL), never the shared session.
 */
import http2 from 'node:http2';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { STREAM, type ProxyStream, type WithStream } from '../proxy-stream.js';
import type { HostRuntime } from '../cluster-manager.js';
import { stripConnectionSpecific } from './h2-downstream.js';
import { upstreamProtocol } from './upstream-protocol.js';
import { stripHopByHop } from '../request-headers-filter.js';

/** Error code of an upstream stream the server refused (REFUSED_STREAM, or above a GOAWAY's last stream id). */
export const H2_REFUSED_STREAM_CODE = 'WEFT_H2_REFUSED_STREAM';
/** Error code of an upstream stream reset before its response. */
export const H2_STREAM_RESET_CODE = 'WEFT_H2_STREAM_RESET';

/** The h2 stream as the router sees an upstream response. */
export type H2UpstreamResponse = http2.ClientHttp2Stream & { statusCode: number; headers: IncomingHttpHeaders };

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;

/** The request headers of `s` as an HTTP/2 header block. */
export function h2RequestHeaders(s: ProxyStream, scheme: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const h = s.headers;
  for (const k in h) {
    if (k.charCodeAt(0) === 58 /* : */ || k === 'host') continue;
    out[k] = h[k];
  }
  stripConnectionSpecific(out as Record<string, unknown>);
  const ct = h['content-type'];
  if (typeof ct === 'string' && ct.startsWith('application/grpc')) out['te'] = 'trailers';
  out[':method'] = s.method;
  out[':path'] = s.upstreamPath;
  out[':scheme'] = scheme;
  const host = h['host'];
  out[':authority'] = typeof host === 'string' && host !== '' ? host : `${s.host!.address}:${s.host!.port}`;
  return out;
}

/** An HTTP/2 upstream attempt (see the file comment). */
export class H2UpstreamRequest extends Writable {
  /** HTTP/2 attempts never ride a reused HTTP/1.1 keep-alive socket. */
  readonly reusedSocket = false;
  /** The session's connection. */
  readonly socket: Socket;
  private readonly stream: http2.ClientHttp2Stream;
  private responded = false;

  constructor(s: ProxyStream, rt: HostRuntime) {
    // Not auto-destroyed when the body ends: destroying cancels the stream, and the response is still to come.
    super({ highWaterMark: 64 * 1024, autoDestroy: false });
    const h = s.req.headers;
    const bodyless = h['content-length'] === undefined && h['transfer-encoding'] === undefined;
    const pool = rt.agent.h2Pool(s.headers);
    const max = upstreamProtocol(s.cluster!.config).maxConcurrentStreams;
    const { stream, socket, session } = pool.request(rt.address, rt.port, h2RequestHeaders(s, rt.agent.tls ? 'https' : 'http'), bodyless, max);
    this.stream = stream;
    this.socket = socket;
    stream.on('response', (headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader) => this.onResponse(stream as H2UpstreamResponse, headers));
    stream.on('error', (err: NodeJS.ErrnoException) => this.onStreamError(err));
    stream.once('close', () => {
      if (!this.responded && !this.destroyed) this.destroy(resetError(stream.rstCode, undefined));
    });
    stream.on('trailers', onTrailers);
    // 'socket' once the session is usable (TCP, and TLS when the host has it): the pool stops counting the attempt as pending.
    if (session.connecting) session.once('connect', () => this.emit('socket', socket));
    else process.nextTick(() => this.emit('socket', socket));
    if (bodyless) this.end();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.stream.destroyed) {
      cb();
      return;
    }
    this.stream.write(chunk, encoding, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.stream.closed && !this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
    cb(err);
  }

  private onResponse(stream: H2UpstreamResponse, headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    if (this.responded || this.destroyed) return;
    this.responded = true;
    stream.statusCode = Number(headers[':status'] ?? 502);
    const clean: IncomingHttpHeaders = {};
    for (const k in headers) if (k.charCodeAt(0) !== 58) clean[k] = headers[k] as string | string[];
    // Connection-level headers never cross the proxy (HTTP/1.1 responses lose them in src/proxy/h1's parser).
    stripHopByHop(clean as Record<string, unknown>);
    stream.headers = clean;
    this.emit('response', stream);
  }

  private onStreamError(err: NodeJS.ErrnoException): void {
    if (this.responded || this.destroyed) return;
    // A stream cancelled because its session failed (connect error) carries the session's error.
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    if (err.code === 'ERR_HTTP2_STREAM_CANCEL' && cause instanceof Error && cause.code !== undefined) this.destroy(cause);
    else this.destroy(this.stream.rstCode !== undefined && err.code === 'ERR_HTTP2_STREAM_ERROR' ? resetError(this.stream.rstCode, err) : err);
  }
}

function resetError(rstCode: number | undefined, cause: Error | undefined): Error {
  const refused = rstCode === NGHTTP2_REFUSED_STREAM;
  return Object.assign(new Error(refused ? 'upstream refused the stream' : `upstream stream reset (code ${rstCode ?? 'none'})`, { cause }), {
    code: refused ? H2_REFUSED_STREAM_CODE : H2_STREAM_RESET_CODE,
  });
}

function onTrailers(this: WithStream<http2.ClientHttp2Stream>, trailers: http2.IncomingHttpHeaders): void {
  const s = this[STREAM];
  if (s === undefined || s.res.destroyed) return;
  const out: Record<string, string | string[]> = {};
  for (const k in trailers) if (k.charCodeAt(0) !== 58) out[k] = trailers[k] as string | string[];
  s.res.addTrailers(out);
}
