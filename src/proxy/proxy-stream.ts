/**
 * The state of one downstream request as it passes the HTTP filter chain: the request as route
 * matching sees it (it IS the `RequestAttributes` object, so no view is allocated), the snapshot
 * and connection manager it started on, what routing chose, and how it ended (status, response
 * flag, timings) for stats. One object per request; handlers reach it through a symbol on the
 * Node objects instead of per-request closures.
 */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { RequestAttributes } from '../envoy/header-matcher.js';
import type { RouteSelection } from '../envoy/route-table.js';
import type { ClusterWeight, Route } from '../envoy/types.js';
import type { HostRuntime, UpstreamCluster } from './cluster-manager.js';
import type { ProxyContext } from './proxy-context.js';
import type { HcmRuntime, RuntimeSnapshot } from './runtime-snapshot.js';

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
    this.scheme = 'http';
    this.headers = req.headers;
    this.startMs = performance.now();
  }

  /** The route selection for this request (computed once). */
  selectRoute(): RouteSelection {
    if (this.selection === undefined) {
      const table = this.snapshot.routeTable(this.hcm);
      this.selection = table ? table.select(this) : NO_SELECTION;
    }
    return this.selection;
  }

  /** The selected route, if any. */
  get route(): Route | undefined {
    const s = this.selectRoute();
    return s.kind === 'route' ? s.route : undefined;
  }
}
