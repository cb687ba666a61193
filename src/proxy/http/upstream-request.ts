/**
 * The contract between the router's upstream attempt and a protocol's request (HTTP/1.1 on the
 * host's keep-alive connections, src/proxy/h1/h1-upstream-request.ts; HTTP/2 on a shared session,
 * src/proxy/h2/h2-upstream-request.ts), after Envoy's `GenericUpstream` / `UpstreamToDownstream`
 * pair (envoy/source/common/router/upstream_request.h): the router sends the body, ends or aborts
 * the request; the protocol request reports connection, response, drain and error to its
 * {@link UpstreamRequestCallbacks} (the attempt object itself, so nothing is allocated per event).
 * Leaf contract: imports nothing from the rest of the proxy.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { DownstreamResponse } from './downstream.js';

/** An upstream response as the router forwards it. */
export interface UpstreamResponse {
  readonly statusCode: number;
  /** Response headers, lower-cased, hop-by-hop and pseudo-headers removed. */
  readonly headers: IncomingHttpHeaders;
  /** Streams the body (held and to come) into `res` with backpressure, and ends it. */
  pipe(res: DownstreamResponse): unknown;
  /** Discards the body (the response is not forwarded: a retry follows). */
  resume(): unknown;
  /** `end` once the whole body was forwarded; `error` when the upstream failed mid-body. */
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** What a protocol request reports, in order: connected (maybe), then a response or one error. */
export interface UpstreamRequestCallbacks {
  /** The request's connection is established (a new connection stops counting as pending). */
  onUpstreamConnected(): void;
  /** The response head arrived. */
  onUpstreamResponse(response: UpstreamResponse): void;
  /** The request failed before a response; `err.code` says how (upstream-reset.ts maps it). */
  onUpstreamError(err: NodeJS.ErrnoException): void;
  /** A `write` that returned false may continue. */
  onUpstreamDrain(): void;
}

/** One protocol request of an attempt. */
export interface UpstreamRequest {
  /** True when the request rides a reused keep-alive connection (a failure may be a stale connection). */
  readonly reusedConnection: boolean;
  /** The connection's socket (addresses for access logs). */
  readonly socket: Socket;
  /** True once aborted. */
  readonly destroyed: boolean;
  /** Writes a piece of the request body; false when the caller should wait for `onUpstreamDrain`. */
  write(chunk: Buffer): boolean;
  /** Ends the request body. */
  end(): void;
  /** Abandons the request (an HTTP/1.1 connection closes unless its response completed; HTTP/2: RST_STREAM CANCEL). */
  abort(): void;
}
