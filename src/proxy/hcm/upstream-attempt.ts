/**
 * The router's upstream attempts, after the router chose the cluster and set the headers (Envoy's
 * router `UpstreamRequest`, one per try: envoy/source/common/router/upstream_request.cc, with the
 * retry decision of envoy/source/common/router/router.cc): host pick (avoiding hosts already tried
 * when the retry policy says so), circuit-breaker admission ({@link ClusterAdmission}), the
 * protocol request on the host's pool (HTTP/1.1 or HTTP/2, both behind the {@link UpstreamRequest}
 * contract), per-try timeout, outlier-detection reports, and on failure Envoy's retry decision
 * (response status / grpc-status / headers, or reset reason: upstream-reset.ts), with jittered
 * back-off, `maxRetries`, `x-envoy-attempt-count`, and flags URX (retries exhausted) and UO
 * (overflow). When no retry happens the last response is passed through, or a local reply is sent:
 * 503 UF (connect failure), 503 UC (reset), 502/503 UPE (protocol error), 504 UT (per-try or route
 * timeout), 503 UO (`x-envoy-overloaded`).
 *
 * Each try is one {@link UpstreamAttempt}: it owns its host's in-flight count, its admission slots,
 * its per-try and back-off timers and its protocol request, and it is the callbacks object of both
 * admission (`poolReady`) and the protocol request (`onUpstreamResponse`…), so a request allocates
 * one attempt object per try and no closures. {@link UpstreamAttempt.abandon} is the one cleanup
 * path: the stream's end, a timeout, a retry and a local reply all go through it. Retry state spans
 * tries, so it stays on the stream (as Envoy's router filter holds `retry_state_`).
 */
import type http from 'node:http';
import { portStart } from '../../envoy/route-table.js';
import type { RouteConfiguration } from '../../envoy/types.js';
import type { LbContext } from '../lb/load-balancer.js';
import { sendLocalReply } from './connection-manager.js';
import { Admission, type AdmissionWaiter, type ClusterAdmission } from '../upstream/admission.js';
import type { HostRuntime, UpstreamCluster } from '../upstream/cluster-manager.js';
import { applyResponseHeaderMutations, type MutableHeaders } from '../../envoy/header-ops.js';
import { addFlag, asProxyError, LocalReply } from '../http/local-reply.js';
import type { UpstreamRequest, UpstreamRequestCallbacks, UpstreamResponse } from '../http/upstream-request.js';
import { STREAM, UpstreamPhase, type ProxyStream, type WithStream } from './proxy-stream.js';
import type { DownstreamRequest } from '../http/downstream.js';
import { ResetReason, wouldRetryFromHeaders, wouldRetryFromReset } from '../../envoy/retry-policy.js';
import { RetryState, RetryStatus } from './retry-state.js';
import { H2UpstreamRequest, h2RequestHeaders } from '../h2/h2-upstream-request.js';
import { upstreamProtocol, usesH2 } from '../h2/upstream-protocol.js';
import { H1UpstreamRequest } from '../h1/h1-upstream-request.js';
import { runEncoders } from './response-encoders.js';
import { classifyUpstreamError, failureReply, isStaleConnectionError, type UpstreamFailure } from './upstream-reset.js';
import type { HostConnections } from '../upstream/host-connections.js';

const ATTEMPT: unique symbol = Symbol('weft.attempt');
/** An upstream response carrying the attempt it answers (handlers are module functions: no closures). */
type WithAttempt<T> = T & { [ATTEMPT]?: UpstreamAttempt };

/** Reused pick context (picks are synchronous). */
const lbCtx: LbContext = {};

/** Where an attempt is in its life. */
export const AttemptState = {
  /** Waiting for circuit-breaker admission (queued for a connection of its host). */
  Admitting: 0,
  /** The request was issued; waiting for the response head. */
  Sending: 1,
  /** The response is being forwarded downstream. */
  Responding: 2,
  /** Failed; the next try starts when the back-off timer fires. */
  BackingOff: 3,
  /** Finished or abandoned; holds nothing. */
  Done: 4,
} as const;
/** One of {@link AttemptState}'s values. */
export type AttemptState = (typeof AttemptState)[keyof typeof AttemptState];

/** True when the downstream request carries a body. */
export function hasBody(s: ProxyStream): boolean {
  const h = s.req.headers;
  return h['content-length'] !== undefined || h['transfer-encoding'] !== undefined;
}

/** One try of a routed request (see the file comment). */
export class UpstreamAttempt implements AdmissionWaiter, UpstreamRequestCallbacks {
  state: AttemptState = AttemptState.Admitting;
  /** Admission slots held ({@link PoolSlot} bits; written by {@link ClusterAdmission}). */
  poolState = 0;
  /** The host queue this attempt waits in (written by {@link ClusterAdmission}). */
  queuedOn: HostConnections | undefined = undefined;
  /** The protocol request, once issued. */
  request: UpstreamRequest | undefined = undefined;
  /** The request was re-sent once after its reused keep-alive connection turned out closed. */
  resentOnFresh = false;
  /** True while this attempt counts in its host's `activeRequests`. */
  private hostCounted = true;
  private perTryTimer: NodeJS.Timeout | undefined = undefined;
  private backoffTimer: NodeJS.Timeout | undefined = undefined;

  constructor(readonly stream: ProxyStream, readonly cluster: UpstreamCluster, readonly host: HostRuntime) {
    host.host.stats.activeRequests++;
  }

  /** Admission's answer for a queued attempt. */
  poolReady(admitted: boolean): void {
    if (this.state !== AttemptState.Admitting || this.stream.res.destroyed) return;
    if (admitted) sendUpstream(this);
    else overflow(this);
  }

  /** The request's connection is established: it stops counting as pending. */
  onUpstreamConnected(): void {
    this.cluster.admission.connected(this);
  }

  onUpstreamResponse(response: UpstreamResponse): void {
    onResponse(this, response);
  }

  onUpstreamError(err: NodeJS.ErrnoException): void {
    onError(this, err);
  }

  onUpstreamDrain(): void {
    const s = this.stream;
    if (s.upstream !== this) return;
    if (s.body !== undefined) s.body.onTargetDrain(this.request);
    else s.req.resume();
  }

  /** Releases the attempt's admission slots, host count and per-try timer (idempotent); the request is left as is. */
  release(): void {
    this.cluster.admission.release(this);
    if (this.hostCounted) {
      this.hostCounted = false;
      this.host.host.stats.activeRequests--;
    }
    this.clearPerTry();
  }

  /**
   * The one cleanup path: releases everything, cancels a pending back-off and aborts the request
   * unless its response completed (the protocol request knows). Idempotent.
   */
  abandon(): void {
    if (this.backoffTimer !== undefined) {
      clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
    }
    this.release();
    const st = this.state;
    if (st === AttemptState.Done) return;
    this.state = AttemptState.Done;
    // A try that failed into a back-off may still be discarding its response: its connection stays usable.
    if (st === AttemptState.Sending || st === AttemptState.Responding) this.request?.abort();
  }

  /** Clears the per-try timer. */
  clearPerTry(): void {
    if (this.perTryTimer !== undefined) {
      clearTimeout(this.perTryTimer);
      this.perTryTimer = undefined;
    }
  }

  /** The per-try timer fired. */
  perTryFired(): void {
    this.perTryTimer = undefined;
  }

  /** Arms the per-try timeout (ms). */
  armPerTry(ms: number): void {
    this.perTryTimer = setTimeout(onPerTryTimeout, ms, this);
  }

  /** Fails this attempt into a back-off; the next try starts when it ends. */
  backOff(ms: number): void {
    this.release();
    this.state = AttemptState.BackingOff;
    this.backoffTimer = setTimeout(doRetry, ms, this);
  }

  /** Clears the back-off timer (it fired). */
  backoffFired(): void {
    this.backoffTimer = undefined;
    this.state = AttemptState.Done;
  }
}

/** Starts the next attempt of `s` (the router set cluster, headers, timeouts and policies). */
export function startAttempt(s: ProxyStream): void {
  const cluster = s.cluster!;
  let rt: HostRuntime | undefined;
  if (cluster.lb === undefined) {
    const authority = s.authority ?? '';
    const p = portStart(authority);
    const hostname = (p >= 0 ? authority.slice(0, p) : authority).replace(/^\[|\]$/g, '');
    const port = p >= 0 ? Number(authority.slice(p + 1)) : 80;
    if (hostname !== '' && port > 0 && port < 65536) rt = cluster.originalDstHost(hostname, port);
  } else {
    lbCtx.hash = s.lbHash;
    lbCtx.exclude = s.retry?.previousHosts;
    lbCtx.excludePriorities = s.retry?.previousPriorities?.exclusion(cluster.lb);
    const host = cluster.lb.pick(lbCtx);
    lbCtx.exclude = undefined;
    lbCtx.excludePriorities = undefined;
    if (host !== undefined) s.retry?.previousPriorities?.onAttempt(cluster.lb.priorityOf?.(host) ?? 0);
    rt = host !== undefined ? cluster.runtime(host) : undefined;
  }
  if (rt === undefined) {
    s.releaseUpstream();
    sendLocalReply(s, LocalReply.noHealthyUpstream());
    return;
  }
  const a = new UpstreamAttempt(s, cluster, rt);
  s.upstream = a;
  s.retry?.previousHosts?.add(rt.host);
  s.attempt++;
  if (s.attemptCountUpstream) (s.headers as MutableHeaders)['x-envoy-attempt-count'] = String(s.attempt);
  const admitted = cluster.admission.acquire(a, rt.agent, rt.address, rt.port);
  if (admitted === Admission.Ready) sendUpstream(a);
  else if (admitted === Admission.Overflow) overflow(a);
}

function overflow(a: UpstreamAttempt): void {
  const s = a.stream;
  s.releaseUpstream();
  s.overloaded = true;
  sendLocalReply(s, LocalReply.overflow());
}

/** Issues the attempt's protocol request on its host's pool and sends the body. */
function sendUpstream(a: UpstreamAttempt): void {
  const s = a.stream;
  const rt = a.host;
  const bodyless = !hasBody(s);
  let up: UpstreamRequest;
  try {
    // Clusters speaking HTTP/2 upstream use the host's session pool (src/proxy/h2); HTTP/1.1
    // attempts run on the host's own keep-alive connections (src/proxy/h1).
    if (usesH2(a.cluster.config, s.req)) {
      const headers = h2RequestHeaders(s.headers, s.method, s.upstreamPath, rt.agent.tls ? 'https' : 'http', `${rt.address}:${rt.port}`);
      up = new H2UpstreamRequest(rt.agent.h2Pool(s.headers), rt.address, rt.port, headers, bodyless, upstreamProtocol(a.cluster.config).maxConcurrentStreams, a);
    } else {
      up = new H1UpstreamRequest(rt.agent.h1Pool(rt.address, rt.port, s.headers), s.method, s.upstreamPath, s.headers as http.OutgoingHttpHeaders, bodyless, a);
    }
  } catch (err) {
    s.releaseUpstream();
    sendLocalReply(s, asProxyError(err));
    return;
  }
  if (a.state !== AttemptState.Admitting) return; // failed synchronously (reported through onUpstreamError)
  a.state = AttemptState.Sending;
  a.request = up;
  if (s.perTryTimeoutMs > 0) a.armPerTry(s.perTryTimeoutMs);
  if (s.body !== undefined) s.body.attach(up);
  else if (!bodyless) forwardBody(s, up);
}

/**
 * Streams the downstream body to the attempt's request when nothing needs it again (no retry
 * policy, no mirror), with backpressure: the downstream pauses until the request drains.
 */
function forwardBody(s: ProxyStream, up: UpstreamRequest): void {
  const req = s.req as WithStream<DownstreamRequest>;
  req[STREAM] = s;
  req.on('data', onBodyData);
  req.once('end', onBodyEnd);
  if (req.readableEnded) up.end();
}

function onBodyData(this: WithStream<DownstreamRequest>, chunk: Buffer): void {
  const up = this[STREAM]?.upstream?.request;
  if (up !== undefined && !up.write(chunk)) this.pause();
}

function onBodyEnd(this: WithStream<DownstreamRequest>): void {
  this[STREAM]?.upstream?.request?.end();
}

function retryState(s: ProxyStream, a: UpstreamAttempt): RetryState {
  let r = s.retry;
  if (r === undefined) {
    const c = a.cluster;
    r = s.retry = new RetryState(s.retryPolicy!, c.resilience.breaker, c.stats.resilience());
    // The first attempt's host, picked before the state existed.
    r.previousHosts?.add(a.host.host);
    r.previousPriorities?.onAttempt(c.lb?.priorityOf?.(a.host.host) ?? 0);
  }
  return r;
}

/** Applies Envoy's retry decision; true when a retry was scheduled (the attempt backs off). */
function maybeRetry(s: ProxyStream, a: UpstreamAttempt, would: boolean): boolean {
  if (!would && s.retry === undefined) return false;
  const st = retryState(s, a).shouldRetry(would);
  if (st === RetryStatus.Yes) {
    s.body?.detach();
    a.backOff(s.retry!.backoff.nextBackoffMs());
    return true;
  }
  if (st === RetryStatus.NoRetryLimitExceeded) s.flag = addFlag(s.flag, 'URX');
  else if (st === RetryStatus.NoOverflow) s.flag = addFlag(s.flag, 'UO');
  return false;
}

function doRetry(a: UpstreamAttempt): void {
  a.backoffFired();
  const s = a.stream;
  if (s.upstream !== a || s.res.destroyed) return;
  // The body outgrew the retry buffer during the backoff: it cannot be replayed (Envoy: 507).
  if (s.body !== undefined && !s.body.replayable) {
    s.releaseUpstream();
    sendLocalReply(s, LocalReply.retryBufferExceeded());
    return;
  }
  startAttempt(s);
}

function onResponse(a: UpstreamAttempt, up: UpstreamResponse): void {
  const s = a.stream;
  if (a.state !== AttemptState.Sending) {
    up.resume();
    return;
  }
  const res = s.res;
  if (res.destroyed) {
    a.abandon();
    return;
  }
  const status = up.statusCode;
  const monitor = a.host.outlier;
  if (monitor !== undefined) {
    monitor.putLocalOriginSuccess();
    monitor.putHttpStatus(status);
  }
  const policy = s.retryPolicy;
  if (policy !== undefined) {
    const would = wouldRetryFromHeaders(policy, status, up.headers) && (s.body === undefined || s.body.replayable) && up.headers['x-envoy-overloaded'] === undefined;
    if (maybeRetry(s, a, would)) {
      up.resume();
      return;
    }
  }
  a.release();
  a.state = AttemptState.Responding;
  const headers = up.headers as MutableHeaders;
  headers['x-envoy-upstream-service-time'] = String(Math.round(performance.now() - s.upstreamStartMs));
  if (s.attemptCountDownstream) headers['x-envoy-attempt-count'] = String(s.attempt);
  const sel = s.selectRoute();
  if (sel.kind === 'route') {
    const rc: RouteConfiguration | undefined = s.snapshot.routeTable(s.hcm)?.config;
    applyResponseHeaderMutations(headers, s.clusterWeight, sel.route, sel.virtualHost, rc);
  }
  if (s.lbSetCookie !== undefined) {
    const cur = headers['set-cookie'];
    headers['set-cookie'] = cur === undefined ? [s.lbSetCookie] : [...(Array.isArray(cur) ? cur : [String(cur)]), s.lbSetCookie];
  }
  runEncoders(s, headers);
  s.retry?.releaseSlot();
  s.responseHeaders = headers as http.OutgoingHttpHeaders;
  res.writeHead(status, headers as http.OutgoingHttpHeaders);
  // With no route timeout left to enforce, nothing upstream can change the outcome any more.
  s.phase = s.routeTimer === undefined ? UpstreamPhase.Done : UpstreamPhase.Streaming;
  (up as WithAttempt<UpstreamResponse>)[ATTEMPT] = a;
  up.on('error', onResponseBodyError);
  up.on('end', onResponseEnd);
  up.pipe(res);
}

/** The whole response was forwarded: the attempt is done, and the route timeout no longer applies. */
function onResponseEnd(this: WithAttempt<UpstreamResponse>): void {
  const a = this[ATTEMPT];
  if (a === undefined) return;
  this[ATTEMPT] = undefined;
  a.release();
  a.state = AttemptState.Done;
  a.stream.endRouteTimeout();
}

/** The upstream failed mid-body: the downstream response is reset (flag UC). */
function onResponseBodyError(this: WithAttempt<UpstreamResponse>): void {
  const s = this[ATTEMPT]?.stream;
  if (s === undefined) return;
  if (s.flag === '-') s.flag = 'UC';
  s.res.destroy();
}

function onError(a: UpstreamAttempt, err: NodeJS.ErrnoException): void {
  const s = a.stream;
  if (a.state !== AttemptState.Sending && a.state !== AttemptState.Admitting) return;
  if (s.res.headersSent) {
    // The response already started (route timeout armed): nothing to retry, reset downstream.
    s.releaseUpstream();
    s.flag = addFlag(s.flag, 'UC');
    s.res.destroy();
    return;
  }
  // A keep-alive connection the upstream closed while idle (istio/istio#49660): nothing reached
  // the app, so the request is sent once more on a fresh or other pooled connection.
  if (a.state === AttemptState.Sending && a.request !== undefined && !a.resentOnFresh && isStaleConnectionError(err.code, a.request.reusedConnection) &&
    (s.body !== undefined ? s.body.replayable : !hasBody(s))) {
    a.resentOnFresh = true;
    a.clearPerTry();
    a.state = AttemptState.Admitting;
    sendUpstream(a);
    return;
  }
  const f = classifyUpstreamError(err.code);
  if (f.countsConnectFail) a.cluster.stats.cxConnectFail.inc();
  a.host.outlier?.putLocalOriginFailure(f.outlierEvent);
  failAttempt(s, a, f, err);
}

function onPerTryTimeout(a: UpstreamAttempt): void {
  a.perTryFired();
  if (a.state !== AttemptState.Sending) return;
  const s = a.stream;
  a.cluster.stats.resilience().rqPerTryTimeout.inc();
  a.request?.abort();
  a.host.outlier?.putLocalOriginFailure('timeout');
  failAttempt(s, a, PER_TRY_TIMEOUT, undefined);
}

/** The per-try timeout as a failure: reset reason `PerTryTimeout`, answered 504 UT. */
const PER_TRY_TIMEOUT = 'per-try-timeout';

/** An attempt ended without a response: retry, or answer locally. */
function failAttempt(s: ProxyStream, a: UpstreamAttempt, f: UpstreamFailure | typeof PER_TRY_TIMEOUT, err: unknown): void {
  const policy = s.retryPolicy;
  if (policy !== undefined) {
    const reason = f === PER_TRY_TIMEOUT ? ResetReason.PerTryTimeout : f.reason;
    const would = wouldRetryFromReset(policy, reason, true) && (s.body === undefined || s.body.replayable);
    if (maybeRetry(s, a, would)) return;
  }
  s.releaseUpstream();
  sendLocalReply(s, f === PER_TRY_TIMEOUT ? LocalReply.perTryTimeout() : failureReply(f, s.attempt > 1, err));
}

/** The route timeout fired: abandon everything and answer 504 UT (or reset a started response). */
export function onRouteTimeout(s: ProxyStream): void {
  s.routeTimer = undefined;
  if (s.phase === UpstreamPhase.Done) return;
  const a = s.upstream;
  const inFlight = a !== undefined && a.state === AttemptState.Sending && !s.res.headersSent;
  s.releaseUpstream();
  s.cluster?.stats.rqTimeout.inc();
  if (inFlight) a.host.outlier?.putLocalOriginFailure('timeout');
  if (s.res.headersSent) {
    s.flag = addFlag(s.flag, 'UT');
    s.res.destroy();
    return;
  }
  sendLocalReply(s, LocalReply.upstreamTimeout());
}
