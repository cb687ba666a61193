/**
 * The downstream stream: one request as it passes the HTTP filter chain (Envoy's `ActiveStream`
 * with its `StreamInfo`): the request as route matching sees it (it IS the `RequestAttributes`
 * object, so no view is allocated), the snapshot and connection manager it started on, the filter
 * position, what routing chose, the route timeout and the fault delay (two separate timers), and
 * how it ended (status, response flags, timings) for stats and logs. Filters, access logs and
 * tracing see it only as a read-only {@link StreamInfo} plus {@link FilterCallbacks}
 * (src/proxy/http/). Everything of one upstream try (host, admission slots, per-try and back-off
 * timers, the protocol request) is the router's {@link UpstreamAttempt} (upstream-attempt.ts);
 * {@link ProxyStream.releaseUpstream} is the one way to end it. One object per request; handlers
 * reach it through a symbol on the Node objects instead of per-request closures.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { RouteSelection } from '../../envoy/route-table.js';
import type { DynamicMetadata } from '../../envoy/rbac/metadata-matcher.js';
import { metadataOf } from '../filters/security-context.js';
import type { ClusterWeight, Route } from '../../envoy/types.js';
import type { UpstreamCluster } from '../upstream/cluster-manager.js';
import type { HcmContext } from './hcm-context.js';
import type { RequestBody } from './request-body.js';
import type { RetryPolicyRuntime } from '../../envoy/retry-policy.js';
import type { RetryState } from './retry-state.js';
import type { UpstreamAttempt } from './upstream-attempt.js';
import type { HcmRuntime } from './hcm-runtime.js';
import type { StreamSnapshot } from './stream-snapshot.js';
import type { ActiveSpan } from '../http/active-span.js';
import type { DownstreamRequest, DownstreamResponse } from '../http/downstream.js';
import type { DelayedDecision, FilterCallbacks, ResponseHeaderEncoder } from '../http/filter.js';
import type { ProxyError } from '../http/local-reply.js';
import { addFlag } from '../http/local-reply.js';
import type { CallableHost, HostAddress, StreamInfo } from '../http/stream-info.js';
import { continueDecoding, onFaultDelay, sendDirectReply, sendLocalReply } from './connection-manager.js';

/** Symbol under which Node objects (responses, upstream requests) point back at their stream. */
export const STREAM: unique symbol = Symbol('weft.stream');

/** A Node object carrying its stream. */
export type WithStream<T> = T & { [STREAM]?: ProxyStream };

/** Where the router is with a request upstream (replaces the `sentUpstream` / `upstreamDone` pair). */
export const UpstreamPhase = {
  /** Not forwarded (a local reply, or still in the filter chain). */
  None: 0,
  /** Forwarded: attempts, back-offs, waiting for a response head. */
  Forwarding: 1,
  /** The response is streaming downstream while the route timeout still applies. */
  Streaming: 2,
  /** Nothing upstream can change the outcome any more. */
  Done: 3,
} as const;
/** One of {@link UpstreamPhase}'s values. */
export type UpstreamPhase = (typeof UpstreamPhase)[keyof typeof UpstreamPhase];

const NO_SELECTION: RouteSelection = Object.freeze({ kind: 'no-virtual-host' as const });

/** One request in flight. */
export class ProxyStream implements StreamInfo, FilterCallbacks {
  authority: string | undefined;
  readonly method: string;
  path: string;
  readonly scheme: string;
  readonly headers: IncomingHttpHeaders;
  readonly startMs: number;
  /** Route selection, computed once on first use (filters may need it before the router). */
  private selection: RouteSelection | undefined;
  cluster: UpstreamCluster | undefined;
  /** The weighted-cluster entry chosen, when the route splits traffic (its header ops apply). */
  clusterWeight: ClusterWeight | undefined;
  /** The current (or last) upstream attempt (upstream-attempt.ts); it owns host, slots, per-try and back-off timers. */
  upstream: UpstreamAttempt | undefined;
  /** Where the router is with this request upstream. */
  phase: UpstreamPhase = UpstreamPhase.None;
  upstreamStartMs = 0;
  /** The route timeout's timer (armed by the router). */
  routeTimer: NodeJS.Timeout | undefined;
  /** The fault filter's delay timer (a separate timer from the route timeout). */
  delayTimer: NodeJS.Timeout | undefined;
  /** Envoy response flag of this request ('-' for none). */
  flag = '-';
  /** Path sent upstream (after rewrites), kept for a re-send on a fresh connection. */
  upstreamPath = '';
  /** Index of the filter currently deciding (a filter that stopped resumes the chain after it). */
  filterIndex = 0;
  /** Upstream attempts made so far (1 for the first). */
  attempt = 0;
  /** The route's retry policy after request headers were applied (undefined: no retries). */
  retryPolicy: RetryPolicyRuntime | undefined;
  /** Retry bookkeeping, created at the first retriable failure. */
  retry: RetryState | undefined;
  /** Per-try timeout of attempts (ms; 0 = none). */
  perTryTimeoutMs = 0;
  /** Buffered/teed request body, when retries or mirrors may need it again. */
  body: RequestBody | undefined;
  /** Route timeout (ms; 0 = none), also bounding mirrors. */
  timeoutMs = 0;
  /** Send `x-envoy-attempt-count` upstream (virtual host `includeRequestAttemptCount`). */
  attemptCountUpstream = false;
  /** Send `x-envoy-attempt-count` downstream (virtual host `includeAttemptCountInResponse`). */
  attemptCountDownstream = false;
  /** The route hash-policy value for hashing balancers (computed once per request). */
  lbHash: number | bigint | undefined;
  /** The cookie a route's cookie hash policy generated (ttl set, cookie absent), sent with the response. */
  lbSetCookie: string | undefined;
  /** Inactivity already waited by this stream across socket timeouts (ms). */
  idleMs = 0;
  /** A local reply for this stream gets `x-envoy-overloaded: true` (circuit breaker overflow). */
  overloaded = false;
  /** Envoy's response code details of a reply the proxy made (`route_not_found`…); undefined = decided at the end. */
  details: string | undefined;
  /** Headers of the response sent downstream (access logs read them; `writeHead` objects are not readable back). */
  responseHeaders: OutgoingHttpHeaders | undefined;
  /** Response-header hooks registered by filters (CORS) for this request (src/proxy/hcm/response-encoders.ts). */
  encoders: ResponseHeaderEncoder[] | undefined;
  /** The span the tracing filter opened for this request (src/proxy/tracing/); reported when it ends. */
  trace: ActiveSpan | undefined;

  constructor(
    readonly ctx: HcmContext,
    readonly snapshot: StreamSnapshot,
    readonly hcm: HcmRuntime,
    readonly req: DownstreamRequest,
    readonly res: WithStream<DownstreamResponse>,
    authority: string | undefined,
    path: string,
  ) {
    this.authority = authority;
    this.path = path;
    this.method = req.method ?? 'GET';
    this.scheme = (req.socket as { encrypted?: boolean } | null)?.encrypted === true ? 'https' : 'http';
    this.headers = req.headers;
    this.startMs = performance.now();
  }

  /** The request's dynamic metadata (JWT payloads…), which route matches on `dynamicMetadata` read. */
  get dynamicMetadata(): DynamicMetadata {
    return metadataOf(this);
  }

  /** The route selection for this request (computed once). */
  selectRoute(): RouteSelection {
    if (this.selection === undefined) {
      const table = this.snapshot.routeTable(this.hcm);
      this.selection = table ? table.select(this) : NO_SELECTION;
    }
    return this.selection;
  }

  /** The route chosen so far, without computing the selection (access logs). */
  get selectedRoute(): Route | undefined {
    const s = this.selection;
    return s !== undefined && s.kind === 'route' ? s.route : undefined;
  }

  /** The selected route, if any. */
  get route(): Route | undefined {
    const s = this.selectRoute();
    return s.kind === 'route' ? s.route : undefined;
  }

  /**
   * The one end of everything upstream: the route timeout is cleared, the current attempt abandoned
   * (its slots, host count, timers and request: {@link UpstreamAttempt.abandon}), the retry slot
   * released. Idempotent; called when no more attempts follow and when the stream ends.
   */
  releaseUpstream(): void {
    if (this.phase !== UpstreamPhase.None) this.phase = UpstreamPhase.Done;
    this.endRouteTimeout();
    this.upstream?.abandon();
    this.retry?.releaseSlot();
  }

  /** Clears the route timeout (the response completed or the stream ended). */
  endRouteTimeout(): void {
    if (this.routeTimer !== undefined) {
      clearTimeout(this.routeTimer);
      this.routeTimer = undefined;
    }
    if (this.phase === UpstreamPhase.Streaming) this.phase = UpstreamPhase.Done;
  }

  // --- StreamInfo (src/proxy/http/stream-info.ts) ---

  /** The downstream request. */
  get request(): DownstreamRequest {
    return this.req;
  }

  /** The downstream response. */
  get response(): DownstreamResponse {
    return this.res;
  }

  /** The connection manager the request arrived on. */
  get connectionManager(): HcmRuntime {
    return this.hcm;
  }

  /** Envoy response flags so far. */
  get responseFlags(): string {
    return this.flag;
  }

  /** The chosen cluster's name. */
  get upstreamClusterName(): string | undefined {
    return this.cluster?.name;
  }

  /** True once the router forwarded the request (it counts in cluster stats). */
  get sentUpstream(): boolean {
    return this.phase !== UpstreamPhase.None;
  }

  /** The last attempt's host. */
  get upstreamHost(): HostAddress | undefined {
    return this.upstream?.host;
  }

  /** The last attempt's upstream connection's local address. */
  get upstreamLocalAddress(): HostAddress | undefined {
    const sock = this.upstream?.request?.socket;
    return sock?.localAddress !== undefined ? { address: sock.localAddress, port: sock.localPort ?? 0 } : undefined;
  }

  /** Upstream attempts made. */
  get attemptCount(): number {
    return this.attempt;
  }

  /** The tracing filter's span. */
  get activeSpan(): ActiveSpan | undefined {
    return this.trace;
  }

  /** True once the response started or the client went away. */
  get replied(): boolean {
    return this.res.destroyed || this.res.headersSent;
  }

  /** A host of cluster `name` in this stream's snapshot (ext_authz's check server). */
  clusterHost(name: string): CallableHost | undefined {
    const cluster = this.snapshot.clusters.get(name);
    const host = cluster?.lb?.pick({});
    return host !== undefined ? cluster!.runtime(host) : undefined;
  }

  // --- FilterCallbacks (src/proxy/http/filter.ts); the connection manager writes the replies ---

  /** Resumes the chain after the filter that stopped it. */
  continueDecoding(): void {
    continueDecoding(this);
  }

  /** Sends a local error reply. */
  sendLocalReply(reply: ProxyError): void {
    sendLocalReply(this, reply);
  }

  /** Sends a locally generated non-error reply. */
  sendDirectReply(status: number, location: string | undefined, body: string | undefined, headers?: Readonly<Record<string, string>>, details?: string): void {
    sendDirectReply(this, status, location, body, headers, details);
  }

  /** Registers a response-header hook. */
  addEncoder(encoder: ResponseHeaderEncoder): void {
    (this.encoders ??= []).push(encoder);
  }

  /** Adds an Envoy response flag. */
  addResponseFlag(flag: string): void {
    this.flag = addFlag(this.flag, flag);
  }

  /** Replaces the request path. */
  setPath(path: string): void {
    this.path = path;
  }

  /** Sets the tracing filter's span. */
  setActiveSpan(span: ActiveSpan): void {
    this.trace = span;
  }

  /** Pauses the chain for `ms`, then lets `decide` continue it (the fault delay). */
  delayDecoding<A>(ms: number, decide: DelayedDecision<A>, arg: A): void {
    this.delayTimer = setTimeout(onFaultDelay, ms, this, decide, arg);
  }
}
