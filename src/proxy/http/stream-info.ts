/**
 * What filters, access logs, tracing and stats may read of one request in flight: a read-only view
 * of the downstream stream, after Envoy's `StreamInfo::StreamInfo` (envoy/stream_info/stream_info.h:
 * protocol, timings, response flags and code details, upstream cluster and host, downstream
 * connection info) plus the request head route matching sees. The connection manager's stream
 * implements it; a unit test can hand a filter a plain object. Writes go through
 * {@link FilterCallbacks} (src/proxy/http/filter.ts), never through this view.
 * Leaf contract: imports nothing from the rest of the proxy.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { RequestAttributes } from '../../envoy/header-matcher.js';
import type { RouteSelection } from '../../envoy/route-table.js';
import type { HttpConnectionManager, Route } from '../../envoy/types.js';
import type { ActiveSpan } from './active-span.js';
import type { DownstreamRequest, DownstreamResponse } from './downstream.js';

/** A host of a cluster with its HTTP/1.1 connections, for a filter that calls it itself (ext_authz, h1/h1-call.ts). */
export interface CallableHost extends HostAddress {
  /**
   * The host's connections. `h1Pool` returns its HTTP/1.1 keep-alive pool for these headers, opaque
   * here: `http/` is the leaf layer and does not know the codec (`h1/h1-pool.ts`'s `H1Pool`, which
   * callers narrow with its `isH1Pool` guard before starting an `H1Call` on it).
   */
  readonly agent: { h1Pool(address: string, port: number, headers?: Readonly<Record<string, string>>): object };
}

/** Which traffic a connection manager serves (Istio's sidecar inbound/outbound, or a gateway). */
export type TrafficDirection = 'outbound' | 'inbound' | 'gateway';

/** The HTTP connection manager a stream runs on, as filters see it (its compiled runtime satisfies this). */
export interface ConnectionManagerInfo {
  /** Listener (or filter chain) name, for diagnostics. */
  readonly name: string;
  readonly direction: TrafficDirection;
  /** HCM `useRemoteAddress` (gateways): the peer, not `x-forwarded-for`, is the client. */
  readonly useRemoteAddress: boolean;
  /** HCM `generateRequestId` (on by default). */
  readonly generateRequestId: boolean;
  /** The HCM config as served over LDS. */
  readonly config: HttpConnectionManager;
}

/** An upstream endpoint address. */
export interface HostAddress {
  readonly address: string;
  readonly port: number;
}

/** A read-only view of one request in flight (see the file comment). */
export interface StreamInfo extends RequestAttributes {
  /** The request headers; the HCM stages and filters before the router edit them in place. */
  readonly headers: IncomingHttpHeaders;
  /** `performance.now()` when the request head was received. */
  readonly startMs: number;
  /** The downstream request (its `socket` gives the connection's addresses and TLS peer). */
  readonly request: DownstreamRequest;
  /** The downstream response (status, whether the head was sent, headers set on it). */
  readonly response: DownstreamResponse;
  /** The connection manager the request arrived on. */
  readonly connectionManager: ConnectionManagerInfo;
  /** The route selection (computed once, on first use). */
  selectRoute(): RouteSelection;
  /** The route chosen so far, without computing the selection (access logs). */
  readonly selectedRoute: Route | undefined;
  /** Envoy response flags so far (`-` for none, else comma-separated: `UF,URX`). */
  readonly responseFlags: string;
  /** Envoy's response code details of a reply the proxy made; undefined = decided at the end. */
  readonly details: string | undefined;
  /** Headers of the response sent downstream, once sent. */
  readonly responseHeaders: OutgoingHttpHeaders | undefined;
  /** True once the router sent the request upstream (the request counts in cluster stats). */
  readonly sentUpstream: boolean;
  /** `:path` as sent upstream after rewrites ('' until routed). */
  readonly upstreamPath: string;
  /** Name of the upstream cluster chosen, once routed. */
  readonly upstreamClusterName: string | undefined;
  /** The upstream host of the last attempt. */
  readonly upstreamHost: HostAddress | undefined;
  /** Local address of the last attempt's upstream connection. */
  readonly upstreamLocalAddress: HostAddress | undefined;
  /** Upstream attempts made (1 for the first). */
  readonly attemptCount: number;
  /** True once the response started or the client went away: a filter resuming later must not act. */
  readonly replied: boolean;
  /** The span the tracing filter opened for this request (reported when it ends), if any. */
  readonly activeSpan: ActiveSpan | undefined;
  /** A host of the cluster `name` in the stream's configuration (ext_authz's check server), if any. */
  clusterHost(name: string): CallableHost | undefined;
}
