/**
 * The state of one downstream request as it passes the HTTP filter chain: the request as route
 * matching sees it (it IS the `RequestAttributes` object, so no view is allocated), the snapshot
 * and connection manager it started on, what routing chose, and how it ended (status, response
 * flag, timings) for stats. One object per request; handlers reach it through a symbol on the
 * Node objects instead of per-request closures.
 */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { RequestAttributes } from '../envoy/header-matcher.js';
import type { RouteSelection } from '../envoy/route-table.js';
import type { DynamicMetadata } from '../envoy/rbac/metadata-matcher.js';
import { metadataOf } from './filters/security-context.js';
import type { ClusterWeight, Route } from '../envoy/types.js';
import type { HostRuntime, UpstreamCluster } from './cluster-manager.js';
import type { ProxyContext } from './proxy-context.js';
import type { RequestBody } from './request-body.js';
import type { RetryPolicyRuntime } from '../envoy/retry-policy.js';
import type { RetryState } from './retry-state.js';
import type { UpstreamAgent } from './upstream-agent.js';
import type { HcmRuntime, RuntimeSnapshot } from './runtime-snapshot.js';
import type { ResponseHeaderEncoder } from './response-encoders.js';
import type { ActiveSpan } from './tracing/active-span.js';

/** Symbol under which Node objects (responses, upstream requests) point back at their stream. */
export const STREAM: unique symbol = Symbol('weft.stream');

/** A Node object carrying its stream. */
export type WithStream<T> = T & { [STREAM]?: ProxyStream };

const NO_SELECTION: RouteSelection = Object.freeze({ kind: 'no-virtual-host' as const });

/** One request in flight. */
export class ProxyStream implements RequestAttributes {
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
  host: HostRuntime | undefined;
  upstreamReq: ClientRequest | undefined;
  upstreamStartMs = 0;
  /** Set once an upstream response started or the request was given up; later upstream errors are ignored. */
  upstreamDone = false;
  timer: NodeJS.Timeout | undefined;
  /** Envoy response flag of this request ('-' for none). */
  flag = '-';
  /** Path sent upstream (after rewrites), kept for a re-send on a fresh connection. */
  upstreamPath = '';
  /** True once the request was re-sent after a reused keep-alive connection failed. */
  resentOnFresh = false;
  /** True when the router sent the request upstream (counts in cluster stats). */
  sentUpstream = false;
  /** Index of the filter currently deciding (a filter that stopped resumes the chain after it). */
  filterIndex = 0;
  /** Circuit-breaker slots held by the current attempt (`PoolSlot` bits). */
  poolState = 0;
  /** The host queue the current attempt waits in for a connection. */
  queuedOn: UpstreamAgent | undefined;
  /** True while the current attempt counts in its host's `activeRequests`. */
  hostCounted = false;
  /** Upstream attempts made so far (1 for the first). */
  attempt = 0;
  /** The route's retry policy after request headers were applied (undefined: no retries). */
  retryPolicy: RetryPolicyRuntime | undefined;
  /** Retry bookkeeping, created at the first retriable failure. */
  retry: RetryState | undefined;
  /** Per-try timeout of attempts (ms; 0 = none). */
  perTryTimeoutMs = 0;
  /** Timer of the current attempt's per-try timeout, or of the back-off before the next attempt. */
  attemptTimer: NodeJS.Timeout | undefined;
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
  /** Response-header hooks registered by filters (CORS) for this request (src/proxy/response-encoders.ts). */
  encoders: ResponseHeaderEncoder[] | undefined;
  /** The span the tracing filter opened for this request (src/proxy/tracing/); reported when it ends. */
  trace: ActiveSpan | undefined;

  constructor(
    readonly ctx: ProxyContext,
    readonly snapshot: RuntimeSnapshot,
    readonly hcm: HcmRuntime,
    readonly req: IncomingMessage,
    readonly res: WithStream<ServerResponse>,
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
}
