/**
 * A plain-object {@link StreamInfo} and recording {@link FilterCallbacks} for unit tests of HTTP
 * filters: a filter's `decodeHeaders` runs against them with no socket, connection manager or
 * snapshot, and the test reads what the filter did (replies, flags, encoders, a pending delay).
 * Test code (a `testing/` folder: left out of the production build).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { RouteSelection } from '../../../envoy/route-table.js';
import type { HttpConnectionManager, Route, VirtualHost } from '../../../envoy/types.js';
import type { ActiveSpan } from '../active-span.js';
import type { DownstreamRequest, DownstreamResponse } from '../downstream.js';
import { FilterStatus, type DelayedDecision, type FilterCallbacks, type ResponseHeaderEncoder } from '../filter.js';
import type { ProxyError } from '../local-reply.js';
import type { CallableHost, ConnectionManagerInfo, HostAddress, StreamInfo } from '../stream-info.js';

/** What a stub stream is built from; everything has a default. */
export interface StubOptions {
  readonly method?: string;
  readonly path?: string;
  readonly authority?: string;
  readonly scheme?: string;
  readonly headers?: IncomingHttpHeaders;
  /** The route the stream selects (with `virtualHost`); none = `no-route`. */
  readonly route?: Route;
  readonly virtualHost?: VirtualHost;
  readonly connectionManager?: Partial<ConnectionManagerInfo> & Record<string, unknown>;
  /** The downstream socket's addresses (peer and local). */
  readonly remoteAddress?: string;
  readonly localAddress?: string;
  /** Index of the filter under test in its chain. */
  readonly filterIndex?: number;
  /** Hosts `clusterHost(name)` returns. */
  readonly clusterHosts?: Readonly<Record<string, CallableHost>>;
}

/** A reply a filter sent through its callbacks. */
export type StubReply =
  | { readonly kind: 'local'; readonly error: ProxyError }
  | { readonly kind: 'direct'; readonly status: number; readonly location: string | undefined; readonly body: string | undefined; readonly headers: Readonly<Record<string, string>> | undefined; readonly details: string | undefined };

/** The stream info, its callbacks, and what the filter did through them. */
export interface StubStream {
  readonly info: StreamInfo & { path: string; responseFlags: string; activeSpan: ActiveSpan | undefined };
  readonly callbacks: FilterCallbacks;
  readonly replies: StubReply[];
  readonly encoders: ResponseHeaderEncoder[];
  /** Times `continueDecoding()` was called. */
  continued: number;
  /** The delay a filter asked for, until {@link fireDelay} runs it. */
  delay: { readonly ms: number; fire(): FilterStatus } | undefined;
}

/** A stub stream (see the file comment). */
export function stubStream(o: StubOptions = {}): StubStream {
  const socket = { remoteAddress: o.remoteAddress ?? '127.0.0.1', remotePort: 40000, localAddress: o.localAddress ?? '127.0.0.1', localPort: 8080 } as unknown as Socket;
  const headers: IncomingHttpHeaders = { ...(o.headers ?? {}) };
  const request = { method: o.method ?? 'GET', url: o.path ?? '/', headers, rawHeaders: [], httpVersion: '1.1', httpVersionMajor: 1, httpVersionMinor: 1, socket } as unknown as DownstreamRequest;
  const response = { statusCode: 200, headersSent: false, destroyed: false, writableFinished: false, getHeader: () => undefined } as unknown as DownstreamResponse;
  const sel: RouteSelection = o.route !== undefined && o.virtualHost !== undefined
    ? { kind: 'route', virtualHost: o.virtualHost, virtualHostIndex: 0, route: o.route, routeIndex: 0 }
    : { kind: 'no-route' } as RouteSelection;
  const cm: ConnectionManagerInfo = { name: 'stub', direction: 'outbound', useRemoteAddress: false, generateRequestId: true, config: {} as HttpConnectionManager, ...o.connectionManager };
  const stub: StubStream = {
    info: {
      method: o.method ?? 'GET',
      path: o.path ?? '/',
      authority: o.authority ?? 'example.test',
      scheme: o.scheme ?? 'http',
      headers,
      startMs: 0,
      request,
      response,
      connectionManager: cm,
      selectRoute: () => sel,
      get selectedRoute() { return sel.kind === 'route' ? sel.route : undefined; },
      responseFlags: '-',
      details: undefined,
      responseHeaders: undefined as OutgoingHttpHeaders | undefined,
      sentUpstream: false,
      upstreamPath: '',
      upstreamClusterName: undefined,
      upstreamHost: undefined,
      upstreamLocalAddress: undefined,
      attemptCount: 0,
      get replied() { return stub.replies.length > 0; },
      activeSpan: undefined,
      clusterHost: (name: string) => o.clusterHosts?.[name],
    },
    callbacks: {
      filterIndex: o.filterIndex ?? 0,
      continueDecoding: () => { stub.continued++; },
      sendLocalReply: (error) => { stub.replies.push({ kind: 'local', error }); },
      sendDirectReply: (status, location, body, h, details) => { stub.replies.push({ kind: 'direct', status, location, body, headers: h, details }); },
      addEncoder: (e) => { stub.encoders.push(e); },
      addResponseFlag: (f) => { stub.info.responseFlags = stub.info.responseFlags === '-' ? f : `${stub.info.responseFlags},${f}`; },
      setPath: (p) => { stub.info.path = p; },
      setActiveSpan: (span) => { stub.info.activeSpan = span; },
      delayDecoding<A>(ms: number, decide: DelayedDecision<A>, arg: A): void {
        stub.delay = { ms, fire: () => decide(stub.info, stub.callbacks, arg) };
      },
    },
    replies: [],
    encoders: [],
    continued: 0,
    delay: undefined,
  };
  return stub;
}

/** Runs the response-header encoders a filter registered, as the connection manager does for an upstream response. */
export function encodeResponse(stub: StubStream, headers: Record<string, string | string[] | number | undefined>, producerIndex?: number): void {
  for (let i = stub.encoders.length - 1; i >= 0; i--) {
    const e = stub.encoders[i]!;
    if (producerIndex === undefined || e.filterIndex < producerIndex) e.encodeHeaders(headers as never);
  }
}
