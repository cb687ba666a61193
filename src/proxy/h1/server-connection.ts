/**
 * One downstream HTTP/1.1 connection served by Weft's own codec: it drives an
 * {@link H1RequestParser} over a `net.Socket`-like duplex and answers through
 * {@link H1ResponseWriter}s, with no node:http in between. Behaviour follows Envoy's HTTP/1 server
 * codec (source/common/http/http1/codec_impl.cc, ServerConnectionImpl) and today's node:http
 * listener (http-server.ts, filters/codec-guard.ts):
 * - requests are dispatched one at a time: a pipelined request is parsed only once the response
 *   to the one before it is complete, so responses are in order and a bad request after good ones
 *   is answered after theirs (the socket is not read meanwhile);
 * - each request carries its body as a `Readable`; when the body's reader falls behind, the socket
 *   stops being read (back-pressure), and `Expect: 100-continue` is answered with `100 Continue`
 *   when the body is first read (as Envoy does when it proxies 100-continue itself);
 * - keep-alive per RFC 9112 §9.3; after a response to a request that closes the connection, after
 *   {@link H1ServerConnection.close}, or when a response starts before its request body was fully
 *   received (sent with `Connection: close`, as Envoy's connection manager does for HTTP/1 when the
 *   response precedes the end of the request), the connection closes once the response is written;
 * - a refused request gets a local reply (400, 413, 431, 501; 408 after the headers timeout) with
 *   `Connection: close`, and the connection closes; refusals are reported with their stable code;
 * - an idle timeout closes a connection with no request in flight; a headers timeout answers 408;
 * - an upgrade (WebSocket) or CONNECT head hands the raw socket, and the bytes after the head, to
 *   the owner: from then on the connection is a tunnel the codec no longer reads.
 */
import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable, Duplex } from 'node:stream';
import type { DownstreamResponse } from '../http/downstream.js';
import { H1CodecError, LOCAL_REPLY_REASONS } from './codec-error.js';
import { H1IncomingRequest } from './downstream-request.js';
import { H1RequestParser, type RequestHead, type RequestParserLimits } from './request-parser.js';
import { BAD_FIELD_VALUE, TOKEN } from './h1-syntax.js';
import { InvalidResponseError, LAST_CHUNK, chunkHeader, serializeLocalReply, serializeResponseHead, type BodyFraming, type ResponseHeaders } from './response-serializer.js';

/** A request as the connection delivers it. */
export interface H1Request {
  readonly head: RequestHead;
  /**
   * The request body (empty when there is none); errors with the codec error if its framing breaks.
   * It is also the request itself, with node:http's field names (downstream-request.ts).
   */
  readonly body: H1IncomingRequest;
  /** Trailer fields of a chunked body (names and values alternating), known when `body` has ended. */
  readonly trailers: readonly string[];
}

/** Settings of a server connection. */
export interface H1ServerOptions {
  /** Called for each request; must not throw. */
  readonly onRequest: (req: H1Request, res: H1ResponseWriter) => void;
  /**
   * Takes over the socket after an upgrade or CONNECT head; `rest` holds the bytes already read
   * past the head. The socket is handed over paused, with the connection's listeners removed (but
   * a no-op `'error'` listener): the owner answers (101, 200 or an error) and resumes it. Without
   * this option such requests are answered 501.
   */
  readonly onUpgrade?: (head: RequestHead, socket: Duplex, rest: Buffer) => void;
  /**
   * Whether `onUpgrade` takes this upgrade head (default: all). A head it does not take is served
   * as an ordinary request through `onRequest`, and the connection closes after its response (the
   * bytes after an upgrade head have no HTTP framing to read): node:http's rule for upgrades no
   * `'upgrade'` listener takes (lib/_http_server.js), which is what Weft's listeners did so far.
   */
  readonly takesUpgrade?: (head: RequestHead) => boolean;
  /** Sees each request the codec refused (stats, access log). */
  readonly onRefused?: (err: H1CodecError) => void;
  /**
   * Body, extra header fields and status of a refusal's local reply (defaults: `<reason>: <failure>`,
   * none, the error's status).
   */
  readonly localReply?: (err: H1CodecError) => { readonly body: string; readonly headers?: readonly string[]; readonly status?: number };
  /**
   * What the peer's FIN (end of its side) means while a request is in flight: true (default), the
   * response is still sent, then the connection closes; false, the request is aborted (its body
   * errors with ECONNRESET, its response is abandoned and emits `'close'`) and the connection
   * ends, as node:http's server does without `httpAllowHalfOpen` (lib/_http_server.js
   * `socketOnEnd`) and Envoy's HTTP/1 codec, which resets a stream whose downstream closed.
   */
  readonly halfOpen?: boolean;
  /**
   * Answers `Expect: 100-continue` with `100 Continue` as soon as the head is dispatched (Envoy's
   * connection manager does so unless `proxy_100_continue`, ConnectionManagerImpl::ActiveStream::
   * decodeHeaders; node:http too) instead of when the body is first read. Default false.
   */
  readonly continueAtHead?: boolean;
  /** Adds a `date` field to response heads that have none (node:http's `sendDate`; Envoy's connection manager does so too). Default false. */
  readonly sendDate?: boolean;
  /** Parser limits (head size, header count, URI length, body size). */
  readonly limits?: RequestParserLimits;
  /** Time for a request head to arrive once its first byte has (ms; 0 = none). Default 60 s, node:http's. */
  readonly headersTimeoutMs?: number;
  /** Time a connection may stay open with no request in flight (ms; 0 = none). Default 60 s. */
  readonly idleTimeoutMs?: number;
}

interface Exchange {
  readonly head: RequestHead;
  readonly body: H1IncomingRequest;
  readonly res: H1ResponseWriter;
  readonly trailers: string[];
  bodyDone: boolean;
}

/** Serves HTTP/1.1 on one connection (see the module comment). Starts reading at construction. */
export class H1ServerConnection {
  private readonly parser: H1RequestParser;
  private pending: Buffer = Buffer.alloc(0);
  private current: Exchange | undefined;
  /** The exchange whose head the parser just delivered (dispatched after `execute` returns). */
  private fresh: Exchange | undefined;
  private upgradeHead: RequestHead | undefined;
  private pumping = false;
  private bodyPaused = false;
  private closing = false;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private timerKind: 'headers' | 'idle' | undefined;
  private readonly headersTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly onData = (d: Buffer): void => this.receive(d);
  private readonly onEnd = (): void => this.peerEnded();
  private readonly onClose = (): void => this.closed();
  private readonly onDrain = (): void => {
    this.current?.res.emit('drain');
  };
  private readonly onError = (): void => undefined;

  constructor(private readonly socket: Duplex, private readonly opts: H1ServerOptions) {
    this.headersTimeoutMs = opts.headersTimeoutMs ?? 60_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
    this.parser = new H1RequestParser({
      onHead: (head) => this.onHead(head),
      onBody: (chunk) => this.onBody(chunk),
      onTrailers: (raw) => {
        this.current?.trailers.push(...raw);
        this.current?.body.rawTrailers.push(...raw);
      },
      onComplete: () => this.onComplete(),
    }, opts.limits);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    socket.on('error', this.onError);
    this.arm('idle');
  }

  /** Whether a request is in flight (its response not yet complete). */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Graceful close: the connection ends now if idle, else after the current response (sent with `Connection: close`). */
  close(): void {
    this.closing = true;
    if (this.current === undefined) this.finish();
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  private receive(d: Buffer): void {
    this.pending = this.pending.length === 0 ? d : Buffer.concat([this.pending, d]);
    this.pump();
  }

  /** Parses as far as the current state allows (see the module comment). */
  private pump(): void {
    if (this.pumping || this.done) return;
    this.pumping = true;
    try {
      while (this.pending.length > 0 && !this.done) {
        const state = this.parser.state;
        // After a request that ends the connection, or an upgrade served as an ordinary request, nothing more is read.
        if (state === 'closed' || state === 'upgraded') {
          this.pending = Buffer.alloc(0);
          break;
        }
        // A new request waits for the current response; a body waits for its reader.
        if ((state === 'idle' && this.current !== undefined) || this.bodyPaused) {
          this.socket.pause();
          break;
        }
        let used: number;
        try {
          used = this.parser.execute(this.pending);
        } catch (err) {
          this.refuse(err as H1CodecError);
          return;
        }
        // A head that arrived whole costs no timer; one still incomplete starts the headers timeout.
        if (this.parser.state === 'head') this.arm('headers');
        const rest = this.pending.subarray(used);
        this.pending = rest;
        if (this.upgradeHead !== undefined) {
          this.handOff(this.upgradeHead, rest);
          return;
        }
        const fresh = this.fresh;
        if (fresh !== undefined) {
          this.fresh = undefined;
          this.opts.onRequest({ head: fresh.head, body: fresh.body, trailers: fresh.trailers }, fresh.res);
        }
      }
      if (!this.done && this.current === undefined && this.parser.state === 'idle') this.arm('idle');
    } finally {
      this.pumping = false;
    }
  }

  private onHead(head: RequestHead): void {
    this.disarm();
    if (head.upgrade) {
      if (this.opts.takesUpgrade?.(head) ?? true) {
        this.upgradeHead = head;
        return;
      }
      this.closing = true;
    }
    const exchange: Exchange = { head, body: undefined as unknown as H1IncomingRequest, res: undefined as unknown as H1ResponseWriter, trailers: [], bodyDone: false };
    let continued = !head.expectContinue;
    const body = new H1IncomingRequest(head, this.socket, () => {
      // RFC 9110 §10.1.1: 100 Continue only while the body is still to come and no final response was sent.
      if (!continued) {
        continued = true;
        if (!exchange.bodyDone && !exchange.res.headersSent) exchange.res.writeContinue();
      }
      if (this.bodyPaused) {
        this.bodyPaused = false;
        this.socket.resume();
        this.pump();
      }
    });
    const res = new H1ResponseWriter(this.socket, head, () => !this.closing && exchange.bodyDone, (keepAlive) => this.responseDone(exchange, keepAlive), this.opts.sendDate === true);
    Object.assign(exchange, { body, res });
    if (!continued && this.opts.continueAtHead === true) {
      continued = true;
      res.writeContinue();
    }
    this.current = exchange;
    this.fresh = exchange;
  }

  private onBody(chunk: Buffer): void {
    const ex = this.current;
    if (ex === undefined) return;
    if (!ex.body.push(chunk)) this.bodyPaused = true;
  }

  private onComplete(): void {
    const ex = this.current;
    if (ex === undefined || ex.bodyDone) return;
    ex.bodyDone = true;
    ex.body.push(null);
  }

  private responseDone(ex: Exchange, keepAlive: boolean): void {
    if (this.current !== ex) return;
    this.current = undefined;
    // A body not yet read to its end leaves the framing of what follows unknown: close (Envoy resets too).
    if (!keepAlive || this.closing || !ex.bodyDone || this.parser.state === 'closed' || this.parser.state === 'upgraded') {
      this.finish();
      return;
    }
    this.socket.resume();
    if (this.pending.length > 0) this.pump();
    else this.arm('idle');
  }

  private handOff(head: RequestHead, rest: Buffer): void {
    this.disarm();
    if (this.opts.onUpgrade === undefined) {
      this.refuse(new H1CodecError('UPGRADE_NOT_SUPPORTED', head.method === 'CONNECT' ? 'CONNECT is not supported here' : 'upgrade is not supported here'));
      return;
    }
    this.done = true;
    this.detach();
    this.socket.pause();
    this.opts.onUpgrade(head, this.socket, rest);
  }

  /** Answers a refused request with a local reply and closes the connection. */
  private refuse(err: H1CodecError): void {
    if (!(err instanceof H1CodecError)) throw err;
    this.opts.onRefused?.(err);
    const ex = this.current;
    if (ex !== undefined && !ex.bodyDone) {
      ex.bodyDone = true;
      ex.body.destroy(err);
    }
    this.done = true;
    this.disarm();
    this.pending = Buffer.alloc(0);
    if (ex !== undefined && ex.res.headersSent) {
      this.socket.destroy();
      return;
    }
    ex?.res.abandon();
    const custom = this.opts.localReply?.(err);
    const body = custom?.body ?? `${LOCAL_REPLY_REASONS[err.status] ?? 'Error'}: ${err.failure.toLowerCase()}`;
    const status = custom?.status ?? err.status;
    if (this.socket.writable) this.socket.end(serializeLocalReply(status, body, LOCAL_REPLY_REASONS[status], custom?.headers));
    else this.socket.destroy();
  }

  private peerEnded(): void {
    try {
      this.parser.finish();
    } catch (err) {
      // Cut short mid-request: a head gets 400 (node:http answers llhttp's EOF error so too), a body aborts.
      this.refuse(err as H1CodecError);
      return;
    }
    const ex = this.current;
    if (ex === undefined) this.finish();
    else if (this.opts.halfOpen === false) {
      this.current = undefined;
      if (!ex.bodyDone) {
        ex.bodyDone = true;
        ex.body.destroy(Object.assign(new Error('downstream connection closed'), { code: 'ECONNRESET' }));
      }
      ex.res.abandon();
      this.finish();
    } else this.closing = true;
  }

  /** Ends the connection after what was written. */
  private finish(): void {
    if (this.done && !this.socket.writable) return;
    this.done = true;
    this.disarm();
    this.socket.end();
  }

  private closed(): void {
    this.done = true;
    this.disarm();
    const ex = this.current;
    this.current = undefined;
    if (ex !== undefined) {
      if (!ex.bodyDone) ex.body.destroy(Object.assign(new Error('downstream connection closed'), { code: 'ECONNRESET' }));
      ex.res.abandon();
    }
    this.detach();
  }

  private detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onClose);
    this.socket.off('drain', this.onDrain);
  }

  private arm(kind: 'headers' | 'idle'): void {
    if (this.timerKind === kind) return;
    this.disarm();
    const ms = kind === 'headers' ? this.headersTimeoutMs : this.idleTimeoutMs;
    if (ms <= 0) return;
    this.timerKind = kind;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerKind = undefined;
      if (kind === 'idle') this.finish();
      else this.refuse(new H1CodecError('HEADERS_TIMEOUT', 'request headers not received in time'));
    }, ms);
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerKind = undefined;
  }
}

/** Bodies up to this size are copied behind their head and written with it in one buffer. */
const SMALL_BODY = 16 * 1024;

/** The IMF-fixdate of now, cached per second (RFC 9110 §6.6.1; node:http and Envoy both send `date`). */
let dateSecond = -1;
let dateValue = '';
function httpDate(): string {
  const now = Date.now();
  const sec = Math.floor(now / 1000);
  if (sec !== dateSecond) {
    dateSecond = sec;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

function hasField(headers: ResponseHeaders, lower: string): boolean {
  if (!Array.isArray(headers)) {
    const rec = headers as Readonly<Record<string, unknown>>;
    if (rec[lower] !== undefined) return true;
    for (const k in rec) if (k.length === lower.length && k.toLowerCase() === lower && rec[k] !== undefined) return true;
    return false;
  }
  const flat = headers as readonly string[];
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.length === lower.length && flat[i]!.toLowerCase() === lower) return true;
  return false;
}

/**
 * Writes one response on an {@link H1ServerConnection}: `writeHead`, then `write`s (false: wait
 * for `'drain'`), then `end`; the shape of node:http's `ServerResponse` the proxy uses
 * ({@link DownstreamResponse}: `statusCode`, `setHeader`/`getHeader`, `addTrailers`, `destroy`).
 * Emits `'drain'`, `'finish'` (all written), then `'close'` once, on the next tick, as node:http
 * does (and at once when the connection goes away before the end); `destroyed` turns true with
 * `'close'`, as node:http's. With `sendDate` a `date` field is added when the head has none, as
 * node:http and Envoy's connection manager do.
 */
export class H1ResponseWriter extends EventEmitter implements DownstreamResponse {
  /** Status of the final head (written, or to be written by `end`/`write` without `writeHead`). */
  statusCode = 200;
  private framing: BodyFraming | undefined;
  private remaining = 0;
  private keepAlive = false;
  private ended = false;
  private dead = false;
  private closeEmitted = false;
  private stored: Record<string, string | number | readonly string[]> | undefined;
  private trailerText = '';
  /** The final head, written with the first body bytes or at `end` (one write for both, as node:http does). */
  private pendingHead: string | undefined;

  /** @internal Created by the connection. */
  constructor(
    private readonly socket: Duplex,
    private readonly request: RequestHead,
    private readonly mayKeepAlive: () => boolean,
    private readonly onDone: (keepAlive: boolean) => void,
    private readonly sendDate = false,
  ) {
    super();
  }

  /** Whether the final head was written. */
  get headersSent(): boolean {
    return this.framing !== undefined;
  }

  /** Whether `end` was called. */
  get finished(): boolean {
    return this.ended;
  }

  /** Whether the whole response was handed to the connection. */
  get writableFinished(): boolean {
    return this.ended && !this.dead;
  }

  /** True once `'close'` was emitted (response done, destroyed, or connection gone). */
  get destroyed(): boolean {
    return this.closeEmitted;
  }

  /** Sets a field for the head `writeHead`/`end` will write (node:http's `setHeader`). */
  setHeader(name: string, value: string | number | readonly string[]): this {
    (this.stored ??= {})[name.toLowerCase()] = value;
    return this;
  }

  /** A field set with {@link setHeader}. */
  getHeader(name: string): number | string | string[] | undefined {
    return this.stored?.[name.toLowerCase()] as number | string | string[] | undefined;
  }

  /** Removes a field set with {@link setHeader}. */
  removeHeader(name: string): void {
    if (this.stored !== undefined) delete this.stored[name.toLowerCase()];
  }

  /** Trailer fields sent after a chunked body (dropped for other framings, as node:http does). */
  addTrailers(headers: OutgoingHttpHeaders): void {
    for (const [name, v] of Object.entries(headers)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [String(v)]) {
        if (!TOKEN.test(name) || BAD_FIELD_VALUE.test(one)) throw new InvalidResponseError(`trailer ${JSON.stringify(name)}`);
        this.trailerText += `${name}: ${one}\r\n`;
      }
    }
  }

  /** Sends `100 Continue` (interim; no-op once the final head is out). */
  writeContinue(): void {
    if (this.framing !== undefined || this.dead) return;
    this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
  }

  /**
   * Writes the head (status line and fields, merged over those of {@link setHeader}; 1xx heads are
   * interim and may be followed by the final one). Framing follows response-serializer.ts. Throws
   * `InvalidResponseError` on a head that would split the response, or when the final head was
   * already written.
   */
  writeHead(status: number, headers: ResponseHeaders = [], reason?: string): this {
    if (this.framing !== undefined) throw new Error('response head already sent');
    const stored = this.stored;
    if (stored !== undefined) headers = Array.isArray(headers) ? [...Object.entries(stored).flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x: string) => [k, x]) : [k, String(v)])), ...(headers as readonly string[])] : { ...stored, ...(headers as Record<string, string>) };
    const keepAlive = this.request.keepAlive && this.mayKeepAlive();
    const h = serializeResponseHead(status, headers, { method: this.request.method, versionMinor: this.request.versionMinor, keepAlive }, reason);
    let text = h.head;
    if (this.sendDate && !hasField(headers, 'date')) text = `${text.slice(0, -2)}date: ${httpDate()}\r\n\r\n`;
    if (status < 200) {
      if (!this.dead) this.socket.write(text);
      return this;
    }
    this.statusCode = status;
    this.framing = h.framing;
    this.remaining = h.contentLength;
    this.keepAlive = h.keepAlive;
    if (!this.dead) this.pendingHead = text;
    return this;
  }

  /** Writes body bytes; returns false when the socket's buffer is full (wait for `'drain'`). */
  write(chunk: Buffer | string): boolean {
    if (this.framing === undefined) this.writeHead(this.statusCode);
    if (this.ended) throw new Error('write after end');
    if (this.dead) return false;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (buf.length === 0) return true;
    switch (this.framing) {
      case 'none':
        return true;
      case 'length':
        if (buf.length > this.remaining) {
          // More than Content-Length announced: the framing is broken, the connection cannot continue.
          this.destroy();
          return false;
        }
        this.remaining -= buf.length;
        return this.send(buf);
      case 'chunked': {
        this.socket.cork();
        this.flushHead();
        this.socket.write(chunkHeader(buf.length));
        this.socket.write(buf);
        const ok = this.socket.write('\r\n');
        process.nextTick(() => this.socket.uncork());
        return ok;
      }
      default:
        return this.send(buf);
    }
  }

  /** Writes the pending head, if any. */
  private flushHead(): void {
    const head = this.pendingHead;
    if (head === undefined) return;
    this.pendingHead = undefined;
    this.socket.write(head, 'latin1');
  }

  /**
   * Writes `data`, after the pending head if there is one: head and a small body as one buffer
   * (one `write`, no `writev` bookkeeping: the profile of a sidecar showed it), a large body corked
   * behind the head.
   */
  private send(data: Buffer | string): boolean {
    const head = this.pendingHead;
    if (head === undefined) return this.socket.write(data);
    this.pendingHead = undefined;
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    if (body.length <= SMALL_BODY) {
      const out = Buffer.allocUnsafe(head.length + body.length);
      out.write(head, 0, 'latin1');
      body.copy(out, head.length);
      return this.socket.write(out);
    }
    this.socket.cork();
    this.socket.write(head, 'latin1');
    const ok = this.socket.write(body);
    this.socket.uncork();
    return ok;
  }

  /** Ends the response (writing `chunk` first); the connection then serves the next request or closes. */
  end(chunk?: Buffer | string): this {
    if (this.ended) return this;
    if (this.framing === undefined) {
      const len = chunk === undefined ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      this.writeHead(this.statusCode, this.getHeader('content-length') !== undefined ? [] : ['content-length', String(len)]);
    }
    if (chunk !== undefined) this.write(chunk);
    this.ended = true;
    if (this.dead) return this;
    if (this.framing === 'chunked') this.send(this.trailerText === '' ? LAST_CHUNK : `0\r\n${this.trailerText}\r\n`);
    else this.flushHead();
    let keepAlive = this.keepAlive;
    if (this.framing === 'length' && this.remaining > 0) {
      // Fewer bytes than announced: the client would wait for the rest; close instead (Envoy resets).
      this.destroy();
      keepAlive = false;
      this.onDone(keepAlive);
      return this;
    }
    if (this.framing === 'close') keepAlive = false;
    this.emit('finish');
    this.onDone(keepAlive);
    process.nextTick(emitClose, this);
    return this;
  }

  /** Aborts the response: the connection is reset (node:http's `destroy`). */
  destroy(_err?: Error): this {
    if (!this.dead) {
      this.dead = true;
      this.socket.destroy();
    }
    this.emitCloseOnce();
    return this;
  }

  /** @internal The connection is gone (or a local reply replaced this response): writes become no-ops. */
  abandon(): void {
    if (this.dead) return;
    this.dead = true;
    this.emitCloseOnce();
  }

  /** @internal */
  emitCloseOnce(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close');
  }
}

function emitClose(res: H1ResponseWriter): void {
  res.emitCloseOnce();
}
