/**
 * One upstream attempt's request over HTTP/1.1 on the host's own keep-alive pool ({@link H1Pool}),
 * implementing the router's {@link UpstreamRequest} contract (src/proxy/http/upstream-request.ts),
 * so retries, timeouts, circuit breaking and local replies stay in one place (upstream-attempt.ts):
 * - the request head is one string built from the stream's final headers and written at once; a
 *   body is written as it comes (`write`/`end`, with `onUpstreamDrain` for backpressure),
 *   chunk-framed when the request is `Transfer-Encoding: chunked`;
 * - it reports the response ({@link H1Response}) once a read delivered the response head (with as
 *   much body as that read had, often all of it), and errors before the response: connect errors
 *   keep their codes (→ UF), a connection closed before the response is `ECONNRESET` (→ a reused
 *   keep-alive connection is retried once, otherwise UC), a malformed response is
 *   {@link UPSTREAM_PROTOCOL_ERROR_CODE} (→ 502 UPE); upstream-reset.ts maps the codes;
 * - `abort()` abandons the attempt and closes its connection unless the response was complete.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { UpstreamRequest, UpstreamRequestCallbacks } from '../http/upstream-request.js';
import type { H1Connection, H1Exchange } from './h1-connection.js';
import type { H1Pool } from './h1-pool.js';
import { H1Response } from './h1-response.js';

/** Error code of a request whose headers cannot be put on the wire (invalid name or value). */
export const INVALID_HEADER_CODE = 'ERR_INVALID_CHAR';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const LAST_CHUNK = '0\r\n\r\n';

/** Builds the request head; throws an error of code {@link INVALID_HEADER_CODE} for a header that cannot be sent. */
export function requestHead(method: string, path: string, headers: OutgoingHttpHeaders): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (!TOKEN.test(name)) throw invalidHeader(name);
    if (typeof v === 'object') {
      for (const x of v) {
        if (BAD_VALUE.test(x)) throw invalidHeader(name);
        head += `${name}: ${x}\r\n`;
      }
    } else {
      const value = typeof v === 'string' ? v : String(v);
      if (BAD_VALUE.test(value)) throw invalidHeader(name);
      head += `${name}: ${value}\r\n`;
    }
  }
  return `${head}\r\n`;
}

function invalidHeader(name: string): Error {
  return Object.assign(new Error(`invalid character in header "${name}"`), { code: INVALID_HEADER_CODE });
}

/** An HTTP/1.1 upstream attempt (see the file comment). */
export class H1UpstreamRequest implements H1Exchange, UpstreamRequest {
  /** True when the attempt rides an idle keep-alive connection from the pool. */
  readonly reusedConnection: boolean;
  /** The connection's socket. */
  readonly socket: Socket;
  /** True once abandoned. */
  destroyed = false;
  requestDone: boolean;
  private readonly conn: H1Connection;
  private readonly chunked: boolean;
  private response: H1Response | undefined;
  private emitted = false;
  private responseDone = false;

  /**
   * Sends `method path` with `headers` on a connection of `pool`; `bodyless` requests are complete
   * with the head, others wait for `write`/`end`; events go to `callbacks`. Throws (before touching the pool) when a header
   * cannot be sent.
   */
  constructor(pool: H1Pool, method: string, path: string, headers: OutgoingHttpHeaders, bodyless: boolean, private readonly callbacks: UpstreamRequestCallbacks) {
    const head = requestHead(method, path, headers);
    const { conn, reused } = pool.acquire();
    this.conn = conn;
    this.socket = conn.socket;
    this.reusedConnection = reused;
    this.requestDone = bodyless;
    const te = headers['transfer-encoding'];
    this.chunked = !bodyless && typeof te === 'string' && /(?:^|,)\s*chunked\s*$/i.test(te);
    conn.send(this, head, method === 'HEAD');
    // A new connection counts as pending in the cluster's admission until TCP connects.
    if (!conn.socket.connecting) callbacks.onUpstreamConnected();
    else conn.socket.once('connect', () => callbacks.onUpstreamConnected());
  }

  /** Writes a piece of the request body; false when the caller should wait for `drain`. */
  write(chunk: Buffer): boolean {
    if (this.destroyed || this.requestDone) return true;
    const len = chunk.length;
    if (len === 0) return true;
    const s = this.socket;
    let ok: boolean;
    if (this.chunked) {
      // Size line, data and CRLF leave in one send.
      s.cork();
      s.write(`${len.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      ok = s.write('\r\n', 'latin1');
      s.uncork();
    } else ok = s.write(chunk);
    if (!ok) s.once('drain', () => this.callbacks.onUpstreamDrain());
    return ok;
  }

  /** Ends the request body. */
  end(): void {
    if (this.destroyed || this.requestDone) return;
    this.requestDone = true;
    if (this.chunked) this.socket.write(LAST_CHUNK, 'latin1');
  }

  /** Abandons the attempt (its connection closes unless the response already completed). */
  abort(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (!this.responseDone) this.conn.abort();
  }

  onHead(status: number, headers: IncomingHttpHeaders): void {
    this.response = new H1Response(status, headers, this.conn);
  }

  onBody(chunk: Buffer): void {
    this.response?.push(chunk);
  }

  onReadEnd(): void {
    if (this.response !== undefined && !this.emitted) this.emitResponse();
  }

  onComplete(): void {
    this.responseDone = true;
    const r = this.response!;
    if (!this.emitted) {
      r.complete = true;
      this.emitResponse();
    } else r.end();
  }

  onConnectionError(err: Error): void {
    this.responseDone = true;
    if (this.emitted) {
      this.response!.fail(err);
      return;
    }
    if (!this.destroyed) this.callbacks.onUpstreamError(err);
  }

  private emitResponse(): void {
    this.emitted = true;
    if (this.destroyed) {
      this.response!.resume();
      return;
    }
    this.callbacks.onUpstreamResponse(this.response!);
  }
}
