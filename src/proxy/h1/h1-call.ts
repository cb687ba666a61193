/**
 * A self-contained HTTP/1.1 request of the proxy's own on a host's {@link H1Pool}: request mirrors
 * (Envoy's shadow requests go through the cluster's async HTTP client, `source/common/router/
 * shadow_writer_impl.cc`), health checks and reports to a collector. Unlike the router's attempt it
 * has no downstream to answer: it writes the head (and the body as it is given, chunk-framed when
 * the request is `Transfer-Encoding: chunked`), reads the response on the pool's connection and
 * reports the outcome once through its `done` callback — the status (0 when the request failed),
 * and as much of the body as it was asked to keep. A deadline (Envoy's async-client request timeout: from the
 * start to the end of the response) bounds it; past it, or on {@link H1Call.destroy}, the
 * connection is closed (it cannot be reused mid-exchange) and `done` reports the failure. A
 * completed exchange leaves the connection to the pool, reused or closed by the pool's rules
 * (keep-alive, `maxRequestsPerConnection`, `maxConnectionDuration`). It emits `close` once, when
 * it is over, for whoever tees a body into it.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { H1Connection, H1Exchange } from './h1-connection.js';
import type { H1Pool } from './h1-pool.js';
import { requestHead } from './h1-upstream-request.js';

/** Error code of a call that passed its deadline. */
export const CALL_TIMEOUT_CODE = 'WEFT_CALL_TIMEOUT';
/** Error code of a call abandoned by its owner. */
export const CALL_ABORTED_CODE = 'WEFT_CALL_ABORTED';

/**
 * How a call ended, given the call's `context` (so callers need no closure per call): `status` 0 and
 * `err` set when no complete response came.
 */
export type H1CallDone<C> = (context: C, status: number, err: Error | undefined, body: Buffer | undefined, headers: IncomingHttpHeaders | undefined) => void;

/** Settings of one call. */
export interface H1CallOptions {
  /** True when the request has no body (complete with its head). */
  readonly bodyless: boolean;
  /** Deadline of the whole exchange (ms; 0 = none). */
  readonly timeoutMs: number;
  /** Bytes of the response body kept for `done` (the rest is discarded as it arrives); default 0. */
  readonly keepBodyBytes?: number;
}

const LAST_CHUNK = '0\r\n\r\n';

/** One request of the proxy's own (see the file comment). */
export class H1Call<C = undefined> extends EventEmitter implements H1Exchange {
  /** True once the call is over (done reported). */
  destroyed = false;
  requestDone: boolean;
  private readonly conn: H1Connection;
  private readonly chunked: boolean;
  private readonly keepBytes: number;
  private kept = 0;
  private status = 0;
  private headers: IncomingHttpHeaders | undefined;
  private body: Buffer[] | undefined;
  private timer: NodeJS.Timeout | undefined;

  /**
   * Sends `method path` with `headers` on a connection of `pool`. Throws (before touching the pool)
   * when a header cannot be put on the wire. `done` is called once with `context` when the call ends.
   */
  constructor(pool: H1Pool, method: string, path: string, headers: OutgoingHttpHeaders, opts: H1CallOptions, private readonly context: C, private readonly done?: H1CallDone<C>) {
    super();
    const head = requestHead(method, path, headers);
    this.conn = pool.acquire().conn;
    this.requestDone = opts.bodyless;
    this.keepBytes = opts.keepBodyBytes ?? 0;
    const te = headers['transfer-encoding'];
    this.chunked = !opts.bodyless && typeof te === 'string' && /(?:^|,)\s*chunked\s*$/i.test(te);
    if (opts.timeoutMs > 0) {
      this.timer = setTimeout(onDeadline, opts.timeoutMs, this);
      this.timer.unref();
    }
    this.conn.send(this, head, method === 'HEAD');
  }

  /** Bytes of request written but not yet sent (a tee drops a call that falls too far behind). */
  get writableLength(): number {
    return this.conn.socket.writableLength;
  }

  /** Writes a piece of the request body; false when the socket's buffer is full. */
  write(chunk: Buffer | string): boolean {
    if (this.destroyed || this.requestDone) return true;
    const len = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (len === 0) return true;
    const s = this.conn.socket;
    if (!this.chunked) return s.write(chunk);
    s.cork();
    s.write(`${len.toString(16)}\r\n`, 'latin1');
    s.write(chunk);
    const ok = s.write('\r\n', 'latin1');
    s.uncork();
    return ok;
  }

  /** Ends the request (with a last piece of body, if given). */
  end(chunk?: Buffer | string): this {
    if (this.destroyed || this.requestDone) return this;
    if (chunk !== undefined) this.write(chunk);
    this.requestDone = true;
    if (this.chunked) this.conn.socket.write(LAST_CHUNK, 'latin1');
    return this;
  }

  /** Abandons the call: its connection closes and `done` reports `err` (default: aborted). */
  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.conn.abort();
    this.finish(0, err ?? Object.assign(new Error('call aborted'), { code: CALL_ABORTED_CODE }));
    return this;
  }

  onHead(status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headers = headers;
    if (this.keepBytes > 0) this.body = [];
  }

  onBody(chunk: Buffer): void {
    // Slices of the read buffer: copied only when kept, up to the limit.
    if (this.body === undefined || this.kept >= this.keepBytes) return;
    const piece = chunk.length <= this.keepBytes - this.kept ? chunk : chunk.subarray(0, this.keepBytes - this.kept);
    this.kept += piece.length;
    this.body.push(Buffer.from(piece));
  }

  onReadEnd(): void {
    // Nothing is handed on before the response is complete.
  }

  onComplete(): void {
    const body = this.body === undefined ? undefined : Buffer.concat(this.body);
    this.finish(this.status, undefined, body);
  }

  onConnectionError(err: Error): void {
    this.finish(0, err);
  }

  private finish(status: number, err: Error | undefined, body?: Buffer): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.body = undefined;
    this.done?.(this.context, status, err, body, status === 0 ? undefined : this.headers);
    this.emit('close');
  }
}

function onDeadline(call: { destroy(err: Error): unknown }): void {
  call.destroy(Object.assign(new Error('call timed out'), { code: CALL_TIMEOUT_CODE }));
}
