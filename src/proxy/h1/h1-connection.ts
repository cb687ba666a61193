/**
 * One HTTP/1.1 keep-alive connection to an upstream host, driven by hand instead of by node:http's
 * ClientRequest and Agent: a request head is written as one pre-built string, the response is read
 * by the strict {@link H1ResponseParser}, and the connection goes back to its {@link H1Pool} when
 * the response is complete, the request was fully written, and both sides allow keep-alive. Listeners
 * are attached once per connection, not per request. It carries one exchange at a time
 * ({@link H1Exchange}: the current upstream attempt); bytes beyond a complete response, a response
 * nobody asked for, or a protocol error close the connection.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { H1ResponseParser, type ResponseParserSink } from './response-parser.js';

/** The attempt a connection currently serves (implemented by H1UpstreamRequest). */
export interface H1Exchange {
  /** The response head arrived. */
  onHead(status: number, headers: IncomingHttpHeaders): void;
  /** A piece of the response body. */
  onBody(chunk: Buffer): void;
  /** The response is complete. */
  onComplete(): void;
  /** The end of one read from the socket (a buffered response may now be handed on). */
  onReadEnd(): void;
  /** The connection failed or closed before the response completed. */
  onConnectionError(err: Error): void;
  /** True once the whole request (head and body) was written. */
  readonly requestDone: boolean;
}

/** Where a connection returns when its exchange is done (implemented by H1Pool). */
export interface H1ConnectionOwner {
  /** The exchange finished; `reusable` says whether the connection may serve another request. */
  released(conn: H1Connection, reusable: boolean): void;
  /** The socket closed. */
  closed(conn: H1Connection): void;
}

/** One upstream HTTP/1.1 connection (see the file comment). */
export class H1Connection implements ResponseParserSink {
  private readonly parser: H1ResponseParser;
  private exchange: H1Exchange | undefined;
  private keepAlive = true;
  /** Requests sent on this connection so far. */
  requests = 0;
  /** True once the socket closed or was destroyed. */
  closed = false;
  /** While a read is parsed: the release decided by a response completed in it (applied after the read). */
  private releaseAfterRead: boolean | undefined;
  private reading = false;

  constructor(readonly socket: Socket, private readonly owner: H1ConnectionOwner) {
    this.parser = new H1ResponseParser(this);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err: Error) => this.onSocketGone(err));
    socket.on('close', () => this.onSocketGone(undefined));
    socket.on('timeout', () => {
      // The idle timeout: only an idle connection is closed by it.
      if (this.exchange === undefined) socket.destroy();
    });
  }

  /** True while an exchange runs on this connection. */
  get busy(): boolean {
    return this.exchange !== undefined;
  }

  /** Starts an exchange: writes the request head (and no body when `bodyless`). */
  send(exchange: H1Exchange, head: string, headRequest: boolean): void {
    this.exchange = exchange;
    this.keepAlive = true;
    this.requests++;
    this.parser.expect(headRequest);
    this.socket.write(head, 'latin1');
  }

  /** Abandons the current exchange: the connection cannot be reused mid-response, so it closes. */
  abort(): void {
    this.exchange = undefined;
    this.destroy();
  }

  /** Closes the connection. */
  destroy(err?: Error): void {
    if (!this.socket.destroyed) this.socket.destroy(err);
  }

  onHead(status: number, headers: IncomingHttpHeaders, keepAlive: boolean): void {
    this.keepAlive = keepAlive;
    this.exchange?.onHead(status, headers);
  }

  onBody(chunk: Buffer): void {
    this.exchange?.onBody(chunk);
  }

  onComplete(): void {
    const ex = this.exchange;
    if (ex === undefined) return;
    this.exchange = undefined;
    const reusable = this.keepAlive && ex.requestDone && !this.closed;
    ex.onComplete();
    // Within a read, the rest of the read decides too (unsolicited bytes forbid reuse).
    if (this.reading) this.releaseAfterRead = reusable;
    else this.owner.released(this, reusable);
  }

  private onData(data: Buffer): void {
    const ex = this.exchange;
    if (ex === undefined || !this.parser.busy) {
      // Nothing was asked: an upstream talking out of turn cannot be trusted with the next request.
      this.destroy();
      return;
    }
    let used: number;
    this.reading = true;
    try {
      used = this.parser.execute(data);
    } catch (err) {
      this.reading = false;
      this.exchange = undefined;
      ex.onConnectionError(err as Error);
      this.destroy();
      return;
    }
    this.reading = false;
    const release = this.releaseAfterRead;
    if (release !== undefined) {
      this.releaseAfterRead = undefined;
      this.owner.released(this, release && used === data.length);
      return;
    }
    if (used < data.length) {
      this.destroy();
      return;
    }
    ex.onReadEnd();
  }

  private onSocketGone(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    const ex = this.exchange;
    if (ex !== undefined) {
      // A body delimited by the connection's end is complete now; anything else was cut short.
      if (err === undefined && this.parser.readsUntilClose) {
        this.parser.finish();
      } else {
        this.exchange = undefined;
        ex.onConnectionError(err ?? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      }
    }
    if (!this.socket.destroyed) this.socket.destroy();
    this.owner.closed(this);
  }
}
