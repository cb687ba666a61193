/**
 * The life of a routed request's upstream attempts, after the router chose the cluster and set the
 * headers: host pick (avoiding hosts already tried when the retry policy says so), circuit-breaker
 * admission ({@link ConnPool}), the HTTP request on the host's keep-alive pool with `.pipe()`
 * both ways, per-try timeout, outlier-detection reports, and on failure Envoy's retry decision
 * (response status / grpc-status / headers, or reset reason), with jittered back-off, `maxRetries`,
 * `x-envoy-attempt-count`, and flags URX (retries exhausted) and UO (overflow). When no retry
 * happens the last response is passed through, or a local reply is sent: 503 UF (connect failure),
 * 503 UC (reset), 504 UT (per-try or route timeout), 503 UO (`x-envoy-overloaded`).
 *
 * Handlers are module functions reaching the stream through a symbol on the Node objects, so the
 * first attempt allocates no closures; retry state exists only once a retriable failure happened.
 */
import type http from 'node:http';
import { type ClientRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { portStart } from '../envoy/route-table.js';
import type { RouteConfiguration } from '../envoy/types.js';
import type { LbContext } from './lb/load-balancer.js';
import { sendLocalReply } from './connection-manager.js';
import { Admission, PoolSlot, setPoolDispatch } from './conn-pool.js';
import type { HostRuntime } from './cluster-manager.js';
import { applyResponseHeaderMutations, type MutableHeaders } from '../envoy/header-ops.js';
import { addFlag, asProxyError, LocalReply } from './http/local-reply.js';
import { STREAM, type ProxyStream, type WithStream } from './proxy-stream.js';
import { ResetReason, wouldRetryFromHeaders, wouldRetryFromReset } from '../envoy/retry-policy.js';
import { RetryState, RetryStatus } from './retry-state.js';
import { CONNECT_TIMEOUT_CODE } from './upstream-agent.js';
import { UPSTREAM_TLS_FAILURE_CODE } from './tls/upstream-connector.js';
import { H2_REFUSED_STREAM_CODE, H2UpstreamRequest } from './h2/h2-upstream-request.js';
import { usesH2 } from './h2/upstream-protocol.js';
import { H1UpstreamRequest } from './h1/h1-upstream-request.js';
import { UPSTREAM_PROTOCOL_ERROR_CODE } from './h1/response-parser.js';
import { runEncoders } from './response-encoders.js';
import type { DownstreamResponse } from './http/downstream.js';

const CONNECT_FAILURE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ETIMEDOUT', CONNECT_TIMEOUT_CODE, UPSTREAM_TLS_FAILURE_CODE]);
/** Reused pick context (picks are synchronous). */
const lbCtx: LbContext = {};

setPoolDispatch(onPoolDispatch);

/** True when the downstream request carries a body. */
export function hasBody(s: ProxyStream): boolean {
  const h = s.req.headers;
  return h['content-length'] !== undefined || h['transfer-encoding'] !== undefined;
}

/** Starts the first attempt (the router set cluster, headers, timeouts and policies). */
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
    giveUp(s);
    sendLocalReply(s, LocalReply.noHealthyUpstream());
    return;
  }
  s.host = rt;
  rt.host.stats.activeRequests++;
  s.hostCounted = true;
  s.retry?.previousHosts?.add(rt.host);
  s.attempt++;
  if (s.attemptCountUpstream) (s.headers as MutableHeaders)['x-envoy-attempt-count'] = String(s.attempt);
  const a = cluster.pool.acquire(s, rt.agent, rt.address, rt.port);
  if (a === Admission.Ready) sendUpstream(s);
  else if (a === Admission.Overflow) overflow(s);
}

function onPoolDispatch(s: ProxyStream, admitted: boolean): void {
  if (s.upstreamDone || s.res.destroyed) return;
  if (admitted) sendUpstream(s);
  else overflow(s);
}

function overflow(s: ProxyStream): void {
  releaseAttempt(s);
  giveUp(s);
  s.overloaded = true;
  sendLocalReply(s, LocalReply.overflow());
}

/** Issues the current attempt's request on its host's pool and wires the handlers. */
function sendUpstream(s: ProxyStream): void {
  const rt = s.host!;
  const bodyless = !hasBody(s);
  let up: WithStream<ClientRequest>;
  // Clusters speaking HTTP/2 upstream get an attempt shaped like a ClientRequest (src/proxy/h2);
  // HTTP/1.1 attempts run on the host's own keep-alive connections (src/proxy/h1).
  if (usesH2(s.cluster!.config, s.req)) up = new H2UpstreamRequest(s, rt) as unknown as ClientRequest;
  else {
    try {
      up = new H1UpstreamRequest(rt.agent.h1Pool(rt.address, rt.port, s.headers), s.method, s.upstreamPath, s.headers as http.OutgoingHttpHeaders, bodyless) as unknown as ClientRequest;
    } catch (err) {
      releaseAttempt(s);
      giveUp(s);
      sendLocalReply(s, asProxyError(err));
      return;
    }
  }
  up[STREAM] = s;
  s.upstreamReq = up;
  up.on('response', onUpstreamResponse);
  up.on('error', onUpstreamError);
  if ((s.poolState & PoolSlot.Pending) !== 0) {
    if (up instanceof H1UpstreamRequest) attemptSocket(up as unknown as WithStream<ClientRequest>, up.socket);
    else up.once('socket', onAttemptSocket);
  }
  if (s.perTryTimeoutMs > 0) s.attemptTimer = setTimeout(onPerTryTimeout, s.perTryTimeoutMs, s, up);
  if (s.body !== undefined) s.body.attach(up);
  else if (!bodyless) s.req.pipe(up);
  else if (!(up instanceof H1UpstreamRequest)) up.end();
}

function onAttemptSocket(this: WithStream<ClientRequest>, socket: Socket): void {
  attemptSocket(this, socket);
}

/** The attempt's connection is known: once it is established the attempt stops counting as pending. */
function attemptSocket(up: WithStream<ClientRequest>, socket: Socket): void {
  const s = up[STREAM];
  if (s === undefined) return;
  if (!socket.connecting) {
    s.cluster!.pool.connected(s);
    return;
  }
  socket.once('connect', () => {
    if (up[STREAM] === s) s.cluster!.pool.connected(s);
  });
}

/** Releases the current attempt's pool slots and host in-flight count (idempotent). */
export function releaseAttempt(s: ProxyStream): void {
  s.cluster?.pool.release(s);
  if (s.hostCounted) {
    s.hostCounted = false;
    s.host!.host.stats.activeRequests--;
  }
}

/** No more attempts: the stream is done with upstreams (timers cleared). */
function giveUp(s: ProxyStream): void {
  s.upstreamDone = true;
  if (s.timer !== undefined) {
    clearTimeout(s.timer);
    s.timer = undefined;
  }
  if (s.attemptTimer !== undefined) {
    clearTimeout(s.attemptTimer);
    s.attemptTimer = undefined;
  }
  s.retry?.releaseSlot();
}

function retryState(s: ProxyStream): RetryState {
  let r = s.retry;
  if (r === undefined) {
    const c = s.cluster!;
    r = s.retry = new RetryState(s.retryPolicy!, c.resilience.breaker, c.stats.resilience());
    // The first attempt's host, picked before the state existed.
    if (s.host !== undefined) r.previousHosts?.add(s.host.host);
    if (s.host !== undefined) r.previousPriorities?.onAttempt(c.lb?.priorityOf?.(s.host.host) ?? 0);
  }
  return r;
}

/** Applies Envoy's retry decision; true when a retry was scheduled. */
function maybeRetry(s: ProxyStream, would: boolean): boolean {
  if (!would && s.retry === undefined) return false;
  const st = retryState(s).shouldRetry(would);
  if (st === RetryStatus.Yes) {
    s.upstreamReq = undefined;
    s.body?.detach();
    s.attemptTimer = setTimeout(doRetry, s.retry!.backoff.nextBackoffMs(), s);
    return true;
  }
  if (st === RetryStatus.NoRetryLimitExceeded) s.flag = addFlag(s.flag, 'URX');
  else if (st === RetryStatus.NoOverflow) s.flag = addFlag(s.flag, 'UO');
  return false;
}

function doRetry(s: ProxyStream): void {
  s.attemptTimer = undefined;
  if (s.upstreamDone || s.res.destroyed) return;
  // The body outgrew the retry buffer during the backoff: it cannot be replayed (Envoy: 507).
  if (s.body !== undefined && !s.body.replayable) {
    giveUp(s);
    sendLocalReply(s, LocalReply.retryBufferExceeded());
    return;
  }
  startAttempt(s);
}

function onUpstreamResponse(this: WithStream<ClientRequest>, up: WithStream<IncomingMessage>): void {
  const s = this[STREAM];
  if (s === undefined || s.upstreamDone) {
    up.resume();
    return;
  }
  const res = s.res;
  if (res.destroyed) {
    s.upstreamDone = true;
    this.destroy();
    return;
  }
  if (s.attemptTimer !== undefined) {
    clearTimeout(s.attemptTimer);
    s.attemptTimer = undefined;
  }
  const status = up.statusCode ?? 502;
  const monitor = s.host!.outlier;
  if (monitor !== undefined) {
    monitor.putLocalOriginSuccess();
    monitor.putHttpStatus(status);
  }
  const policy = s.retryPolicy;
  if (policy !== undefined) {
    const would = wouldRetryFromHeaders(policy, status, up.headers) && (s.body === undefined || s.body.replayable) && up.headers['x-envoy-overloaded'] === undefined;
    if (maybeRetry(s, would)) {
      this[STREAM] = undefined;
      up.resume();
      releaseAttempt(s);
      return;
    }
  }
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
  up[STREAM] = s;
  up.on('error', onUpstreamBodyError);
  up.on('end', onUpstreamEnd);
  if (s.timer === undefined) s.upstreamDone = true;
  // node:http's ServerResponse, node:http2's compat response and the h1 codec's response are
  // Writables; the DownstreamResponse contract names only what the proxy calls itself.
  up.pipe(res as DownstreamResponse & NodeJS.WritableStream);
}

function onUpstreamEnd(this: WithStream<IncomingMessage>): void {
  const s = this[STREAM];
  if (s === undefined) return;
  s.upstreamDone = true;
  releaseAttempt(s);
  if (s.timer !== undefined) {
    clearTimeout(s.timer);
    s.timer = undefined;
  }
}

function onUpstreamBodyError(this: WithStream<IncomingMessage>): void {
  const s = this[STREAM];
  if (s !== undefined && s.flag === '-') s.flag = 'UC';
  s?.res.destroy();
}

function onUpstreamError(this: WithStream<ClientRequest>, err: NodeJS.ErrnoException): void {
  const s = this[STREAM];
  if (s === undefined || s.upstreamDone) return;
  this[STREAM] = undefined;
  if (s.res.headersSent) {
    // The response already started (route timeout armed): nothing to retry, reset downstream.
    releaseAttempt(s);
    giveUp(s);
    s.flag = addFlag(s.flag, 'UC');
    s.res.destroy();
    return;
  }
  // A keep-alive connection the upstream closed while idle (istio/istio#49660): nothing reached
  // the app, so the request is sent once more on a fresh or other pooled connection.
  if (this.reusedSocket && !s.resentOnFresh && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !s.res.headersSent &&
    (s.body !== undefined ? s.body.replayable : !hasBody(s))) {
    s.resentOnFresh = true;
    if (s.attemptTimer !== undefined) clearTimeout(s.attemptTimer);
    s.attemptTimer = undefined;
    sendUpstream(s);
    return;
  }
  if (s.attemptTimer !== undefined) {
    clearTimeout(s.attemptTimer);
    s.attemptTimer = undefined;
  }
  const connectFailure = err.code !== undefined && CONNECT_FAILURE_CODES.has(err.code);
  if (connectFailure && err.code !== CONNECT_TIMEOUT_CODE) s.cluster?.stats.cxConnectFail.inc();
  s.host?.outlier?.putLocalOriginFailure(connectFailure ? 'connect' : 'reset');
  releaseAttempt(s);
  const protocol = err.code !== undefined && (err.code.startsWith('HPE_') || err.code === UPSTREAM_PROTOCOL_ERROR_CODE);
  failAttempt(s, connectFailure ? ResetReason.ConnectFailure : err.code === H2_REFUSED_STREAM_CODE ? ResetReason.RefusedStream : ResetReason.Reset, err, protocol);
}

function onPerTryTimeout(s: ProxyStream, up: WithStream<ClientRequest>): void {
  s.attemptTimer = undefined;
  if (s.upstreamReq !== up || s.upstreamDone) return;
  s.cluster!.stats.resilience().rqPerTryTimeout.inc();
  up[STREAM] = undefined;
  up.destroy();
  s.host?.outlier?.putLocalOriginFailure('timeout');
  releaseAttempt(s);
  failAttempt(s, ResetReason.PerTryTimeout, undefined);
}

/** An attempt ended without a response: retry, or answer locally. */
function failAttempt(s: ProxyStream, reason: ResetReason, err: unknown, protocolError = false): void {
  const policy = s.retryPolicy;
  if (policy !== undefined) {
    const would = wouldRetryFromReset(policy, reason, true) && (s.body === undefined || s.body.replayable);
    if (maybeRetry(s, would)) return;
  }
  giveUp(s);
  const retried = s.attempt > 1;
  if (reason === ResetReason.PerTryTimeout) sendLocalReply(s, LocalReply.perTryTimeout());
  else if (reason === ResetReason.ConnectFailure) sendLocalReply(s, retried ? LocalReply.connectFailureRetried(err) : LocalReply.connectFailure(err));
  else if (protocolError) sendLocalReply(s, LocalReply.protocolError(err));
  else sendLocalReply(s, retried ? LocalReply.upstreamResetRetried(err) : LocalReply.upstreamReset(err));
}

/** The route timeout fired: abandon everything and answer 504 UT (or reset a started response). */
export function onRouteTimeout(s: ProxyStream): void {
  s.timer = undefined;
  if (s.upstreamDone) return;
  const inFlight = s.upstreamReq !== undefined && !s.res.headersSent;
  giveUp(s);
  s.cluster?.stats.rqTimeout.inc();
  const up = s.upstreamReq as WithStream<ClientRequest> | undefined;
  if (up !== undefined) {
    up[STREAM] = undefined;
    up.destroy();
  }
  if (inFlight) s.host?.outlier?.putLocalOriginFailure('timeout');
  releaseAttempt(s);
  if (s.res.headersSent) {
    s.flag = addFlag(s.flag, 'UT');
    s.res.destroy();
    return;
  }
  sendLocalReply(s, LocalReply.upstreamTimeout());
}
