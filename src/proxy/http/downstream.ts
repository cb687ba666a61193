/**
 * The downstream side of one HTTP request as the proxy's connection manager, router, filters and
 * loggers use it: the request head and its body, and the response writer. Implemented by Weft's own
 * HTTP/1.1 codec (src/proxy/h1/server-connection.ts) and by node:http2's compatibility objects
 * (HTTP/2 downstream, src/proxy/h2/h2-downstream.ts); node:http's IncomingMessage/ServerResponse
 * satisfy it too. Nothing here may import from the rest of the proxy: this is a leaf contract.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * A downstream request: its head, and its body as a `Readable` (empty when it has none). `socket`
 * is the connection it arrived on (addresses, TLS peer); for HTTP/2 it is the session's socket.
 */
export interface DownstreamRequest extends Readable {
  readonly method?: string | undefined;
  /** The request target as sent (origin form `/path?q`, or absolute / authority form). */
  readonly url?: string | undefined;
  /** Header fields, lower-cased names, duplicates joined as node:http does (`set-cookie` an array). */
  readonly headers: IncomingHttpHeaders;
  /** Header names and values alternating, as received. */
  readonly rawHeaders: string[];
  /** `'1.1'`, `'1.0'` or `'2.0'`. */
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly socket: Socket;
}

/**
 * A downstream response writer. `'close'` is emitted once when the exchange ends (response
 * finished or connection gone); `'drain'` when a `write` that returned false may continue.
 */
export interface DownstreamResponse {
  /** Status sent (or to be sent) with the head. */
  statusCode: number;
  /** True once the head was written. */
  readonly headersSent: boolean;
  /** True once the response was destroyed (connection reset or aborted). */
  readonly destroyed: boolean;
  /** True once the whole response was flushed to the connection. */
  readonly writableFinished: boolean;
  /** Writes the head. */
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  /** Writes a piece of the body; false when the caller should wait for `'drain'`. */
  write(chunk: Buffer | string): boolean;
  /** Ends the response, optionally with a last piece of body. */
  end(): unknown;
  end(chunk: Buffer | string): unknown;
  /** Aborts the response (the connection is reset, or the HTTP/2 stream). */
  destroy(err?: Error): unknown;
  /** A header set on the response (node:http's `setHeader` store; undefined when heads are passed to writeHead). */
  getHeader(name: string): number | string | string[] | undefined;
  /** Sets a header to send with the head (gRPC trailers-only local replies: set, then `end()` without `writeHead`). */
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  /** Removes a header set with {@link setHeader}. */
  removeHeader(name: string): void;
  /** Trailers to send after the body (HTTP/2 and chunked HTTP/1.1). */
  addTrailers(headers: OutgoingHttpHeaders): void;
  on(event: 'close' | 'drain' | 'finish' | 'error', listener: (...args: unknown[]) => void): unknown;
  once(event: 'close' | 'drain' | 'finish' | 'error', listener: (...args: unknown[]) => void): unknown;
  off(event: 'close' | 'drain' | 'finish' | 'error', listener: (...args: unknown[]) => void): unknown;
  emit(event: 'close' | 'drain' | 'finish' | 'error', ...args: unknown[]): boolean;
}
