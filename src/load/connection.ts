/**
 * One load-generator connection: a raw TCP (or TLS) socket that carries the prepared request,
 * one at a time, and frames each response with {@link ResponseParser}. A socket the server closes,
 * that breaks framing, or that times out is dropped and the next request opens a new one, so
 * "sockets used" counts reconnects exactly as fortio reports them. Failures are reported as
 * status -1 with a reason (`ECONNREFUSED`, `timeout`, `closed`, `LOAD_BAD_RESPONSE`, …).
 */
import type { LookupAddress } from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { ResponseParser, ResponseParseError } from './response-parser.js';
import type { BuiltRequest } from './request.js';
import type { LoadTarget } from './target.js';

/** The result of one request. */
export interface CallOutcome {
  /** HTTP status, or -1 when no complete response arrived. */
  readonly status: number;
  readonly headerBytes: number;
  readonly totalBytes: number;
  /** Why the call failed (status -1). */
  readonly error?: string;
}

/** What a connection needs. */
export interface ConnectionOptions {
  readonly target: LoadTarget;
  /**
   * Addresses of `target.connectHost`, resolved once per run (as fortio does); with several
   * (IPv6 and IPv4 for `localhost`), Node's happy-eyeballs picks the one that answers.
   */
  readonly addresses: readonly LookupAddress[];
  readonly request: BuiltRequest;
  /** Reuse the socket across requests (default true). */
  readonly keepAlive?: boolean;
  /** Skip TLS certificate verification (https only). */
  readonly insecure?: boolean;
}

type Socket = net.Socket | tls.TLSSocket;
type Callback = (outcome: CallOutcome) => void;

/** One client connection (see the module comment). */
export class LoadConnection {
  /** Sockets this connection established so far. */
  socketsOpened = 0;
  private readonly options: ConnectionOptions;
  private readonly keepAlive: boolean;
  private readonly headRequest: boolean;
  private readonly parser = new ResponseParser();
  private socket: Socket | null = null;
  private reusable = false;
  private callback: Callback | null = null;
  private sentAt = 0;
  private lastError: string | undefined;

  /** Answers from the run's resolved addresses instead of asking the resolver again. */
  private readonly lookup: net.LookupFunction = (_host, opts, callback) => {
    const list = this.options.addresses;
    if (opts.all) callback(null, [...list]);
    else callback(null, list[0]!.address, list[0]!.family);
  };

  constructor(options: ConnectionOptions) {
    if (options.addresses.length === 0) throw new RangeError('LoadConnection needs at least one address');
    this.options = options;
    this.keepAlive = options.keepAlive !== false;
    this.headRequest = options.request.method === 'HEAD';
  }

  /** True while a request is outstanding. */
  get busy(): boolean {
    return this.callback !== null;
  }

  /** Opens the socket ahead of the first request (warm-up); resolves to whether it connected within `timeoutMs`. */
  warmUp(timeoutMs: number): Promise<boolean> {
    if (this.socket) return Promise.resolve(true);
    const s = this.open();
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        s.off('close', onClose);
        s.off(connectEvent, onConnect);
        if (!ok && s === this.socket) this.drop();
        resolve(ok);
      };
      const connectEvent = this.options.target.tls ? 'secureConnect' : 'connect';
      const onConnect = () => finish(true);
      const onClose = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      s.once(connectEvent, onConnect);
      s.once('close', onClose);
    });
  }

  /** Sends the request; `done` is called exactly once with the outcome. Must not be called while busy. */
  send(done: Callback): void {
    if (this.callback) throw new Error('LoadConnection.send while a request is outstanding');
    this.callback = done;
    this.sentAt = performance.now();
    this.lastError = undefined;
    const s = this.socket && this.reusable ? this.socket : this.open();
    this.parser.begin(this.headRequest);
    s.write(this.options.request.bytes);
  }

  /** Fails the outstanding request if it was sent more than `timeoutMs` before `now` (performance.now() time). */
  expire(now: number, timeoutMs: number): void {
    if (this.callback && now - this.sentAt >= timeoutMs) this.fail('timeout');
  }

  /** Closes the socket; an outstanding request fails with reason `closed`. */
  close(): void {
    if (this.callback) this.fail('closed');
    this.drop();
  }

  private open(): Socket {
    this.drop();
    const { target, insecure } = this.options;
    const where = { host: target.connectHost, port: target.connectPort, lookup: this.lookup, autoSelectFamily: true };
    const s: Socket = target.tls
      ? tls.connect({ ...where, servername: target.servername, rejectUnauthorized: !insecure, ALPNProtocols: ['http/1.1'] })
      : net.connect(where);
    s.setNoDelay(true);
    this.socket = s;
    this.reusable = true;
    s.once(target.tls ? 'secureConnect' : 'connect', () => {
      if (s === this.socket) this.socketsOpened++;
    });
    s.on('data', (chunk: Buffer) => this.onData(s, chunk));
    s.on('end', () => {
      if (s === this.socket) this.reusable = false;
    });
    s.on('error', (err: Error & { code?: string }) => {
      if (s === this.socket) this.lastError = err.code ?? err.message;
    });
    s.on('close', () => this.onClose(s));
    return s;
  }

  private onData(s: Socket, chunk: Buffer): void {
    if (s !== this.socket) return;
    if (!this.callback) {
      // Bytes nobody asked for: the connection is out of step; drop it.
      this.drop();
      return;
    }
    let r;
    try {
      r = this.parser.feed(chunk);
    } catch (err) {
      this.fail(err instanceof ResponseParseError ? err.code : 'LOAD_BAD_RESPONSE');
      return;
    }
    if (!r) return;
    if (!r.keepAlive || !this.keepAlive || this.parser.extraBytes > 0) this.drop();
    this.complete({ status: r.status, headerBytes: r.headerBytes, totalBytes: r.totalBytes });
  }

  private onClose(s: Socket): void {
    if (s !== this.socket) return;
    this.socket = null;
    this.reusable = false;
    if (!this.callback) return;
    const r = this.parser.end();
    if (r) this.complete({ status: r.status, headerBytes: r.headerBytes, totalBytes: r.totalBytes });
    else this.fail(this.lastError ?? (this.parser.started ? 'truncated' : 'closed'));
  }

  private fail(reason: string): void {
    this.drop();
    this.complete({ status: -1, headerBytes: 0, totalBytes: 0, error: reason });
  }

  private complete(outcome: CallOutcome): void {
    const cb = this.callback;
    this.callback = null;
    if (cb) cb(outcome);
  }

  private drop(): void {
    const s = this.socket;
    this.socket = null;
    this.reusable = false;
    if (s) s.destroy();
  }
}
