/**
 * An upstream HTTP/1.1 response as the router sees it: `statusCode`, `headers`, `pipe(res)`,
 * `resume()`, and the `end` and `error` events — the parts of node:http's IncomingMessage the router
 * uses, without a Readable stream per response. Body bytes that arrived before `pipe()` are held;
 * when the whole body came with the head (the common small response) `pipe()` ends the downstream
 * response with it in one call, so head and body leave in one write. Larger bodies stream through
 * with backpressure: when the downstream response cannot take more, the upstream socket pauses
 * until it drains; a downstream that goes away mid-body closes the upstream connection (it cannot
 * be reused mid-response).
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { DownstreamResponse } from '../http/downstream.js';
import type { UpstreamResponse } from '../http/upstream-request.js';
import type { H1Connection } from './h1-connection.js';

/** One upstream response (see the file comment). */
export class H1Response extends EventEmitter implements UpstreamResponse {
  private held: Buffer[] | undefined = [];
  private target: DownstreamResponse | undefined;
  private discard = false;
  /** True once the whole body was received. */
  complete = false;

  constructor(readonly statusCode: number, readonly headers: IncomingHttpHeaders, private readonly conn: H1Connection) {
    super();
  }

  /** Sends the body (held and to come) to `res`, ending it with the body. */
  pipe<T extends DownstreamResponse>(res: T): T {
    this.target = res;
    const held = this.held!;
    this.held = undefined;
    if (this.complete) {
      if (held.length === 0) res.end();
      else res.end(held.length === 1 ? held[0]! : Buffer.concat(held));
      this.emit('end');
      return res;
    }
    for (const c of held) this.write(c);
    return res;
  }

  /** Discards the body (the response is not forwarded). */
  resume(): this {
    this.discard = true;
    this.held = undefined;
    return this;
  }

  /** A body piece arrived. */
  push(chunk: Buffer): void {
    if (this.target !== undefined) this.write(chunk);
    else if (!this.discard) this.held!.push(chunk);
  }

  /** The body is complete. */
  end(): void {
    this.complete = true;
    const t = this.target;
    if (t !== undefined) {
      t.end();
      this.emit('end');
    } else if (this.discard) this.emit('end');
  }

  /** The connection failed mid-body. */
  fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private write(chunk: Buffer): void {
    const res = this.target!;
    if (res.destroyed) {
      this.conn.abort();
      return;
    }
    if (!res.write(chunk)) {
      const socket = this.conn.socket;
      socket.pause();
      const onDrain = (): void => {
        res.off('close', onClose);
        socket.resume();
      };
      const onClose = (): void => {
        res.off('drain', onDrain);
        this.conn.abort();
      };
      res.once('drain', onDrain);
      res.once('close', onClose);
    }
  }
}
