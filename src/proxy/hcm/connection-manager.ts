/**
 * The HTTP connection manager's per-request part: creates the {@link ProxyStream}, runs the filter
 * chain, sends local replies (the one writer of {@link ProxyError}s to the wire), and when the
 * response is done records cluster and Istio stats, and ends the upstream side with one call
 * (`ProxyStream.releaseUpstream`: route timeout, the attempt's slots, host count, timers and
 * request, the retry slot), so a client that disconnects mid-request, mid-retry or mid-response
 * leaks nothing. A filter that stops the chain resumes it with {@link continueDecoding} (through
 * its `FilterCallbacks`); a fault delay runs on the stream's own timer ({@link onFaultDelay}). Also answers socket inactivity timeouts: the listener arms one timeout
 * per connection, min(connection idle, stream idle); with a request in flight it is the stream idle
 * timeout (HCM `streamIdleTimeout`, default 5 min: 408 SI, or a reset once the response started),
 * otherwise the idle connection is closed. No per-request timer. Handlers are module functions reaching the
 * stream through a symbol, so a request allocates no closures here.
 */
import type { Socket } from 'node:net';
import type { DownstreamRequest, DownstreamResponse } from '../http/downstream.js';
import { FilterStatus, type DelayedDecision } from '../http/filter.js';
import { addFlag, asProxyError, GrpcProxyError, HeaderedProxyError, LocalReply, type ProxyError } from '../http/local-reply.js';
import type { HcmContext } from './hcm-context.js';
import { ProxyStream, STREAM, type WithStream } from './proxy-stream.js';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS } from '../../envoy/defaults.js';
import type { HcmRuntime } from './hcm-runtime.js';
import type { StreamSnapshot } from './stream-snapshot.js';
import { peerTelemetry } from '../tls/peer-telemetry.js';
import { writeAccessLogs } from '../access-log/access-logger.js';
import { grpcStatusForHttp, isGrpcRequest, writeGrpcLocalReply } from '../grpc/grpc-local-reply.js';
import { runEncoders } from './response-encoders.js';
import { routeStats } from '../stats/route-stats.js';
import { recordHttpMetrics } from '../telemetry/http-metrics-record.js';
import { recordSpan } from '../tracing/span-recorder.js';

const BYTES_READ: unique symbol = Symbol('weft.bytesRead');
const BYTES_WRITTEN: unique symbol = Symbol('weft.bytesWritten');
const ACTIVE: unique symbol = Symbol('weft.activeStream');
type CountedSocket = Socket & { [BYTES_READ]?: number; [BYTES_WRITTEN]?: number; [ACTIVE]?: ProxyStream };

/** Handles one downstream request with the given connection manager of `snapshot`. */
export function handleRequest(
  ctx: HcmContext,
  snapshot: StreamSnapshot,
  hcm: HcmRuntime,
  req: DownstreamRequest,
  res: DownstreamResponse,
  authority: string | undefined,
  path: string,
): void {
  const s = new ProxyStream(ctx, snapshot, hcm, req, res, authority, path);
  (res as WithStream<DownstreamResponse>)[STREAM] = s;
  ctx.inFlight++;
  res.once('close', onResponseClose);
  const socket = req.socket as CountedSocket | null;
  if (socket !== null) socket[ACTIVE] = s;
  runFilters(s, 0);
}

/** Runs the filter chain from filter `from` on. */
function runFilters(s: ProxyStream, from: number): void {
  try {
    const filters = s.hcm.filters ?? s.ctx.filters;
    for (let i = from; i < filters.length; i++) {
      s.filterIndex = i;
      if (filters[i]!.decodeHeaders(s, s) === FilterStatus.Stop) return;
    }
    sendLocalReply(s, LocalReply.noRoute());
  } catch (err) {
    sendLocalReply(s, asProxyError(err));
  }
}

/** Resumes the chain after the filter that stopped it (e.g. once a fault delay elapsed). */
export function continueDecoding(s: ProxyStream): void {
  if (s.res.destroyed || s.res.headersSent) return;
  runFilters(s, s.filterIndex + 1);
}

/** A filter's delay elapsed (src/proxy/http/filter.ts `delayDecoding`): let it decide, then continue or reply. */
export function onFaultDelay<A>(s: ProxyStream, decide: DelayedDecision<A>, arg: A): void {
  s.delayTimer = undefined;
  if (s.res.destroyed || s.res.headersSent) return;
  let status: FilterStatus;
  try {
    status = decide(s, s, arg);
  } catch (err) {
    sendLocalReply(s, asProxyError(err));
    return;
  }
  if (status === FilterStatus.Continue) continueDecoding(s);
}

/**
 * A downstream socket saw no activity for its timeout: with a request in flight that is the stream
 * idle timeout (408 SI, or a reset when the response started); otherwise the keep-alive idle timeout
 * (the connection is closed).
 */
export function onSocketTimeout(socket: Socket): void {
  const s = (socket as CountedSocket)[ACTIVE];
  if (s === undefined || s.res.writableFinished) {
    socket.destroy();
    return;
  }
  // The listener's socket timeout is min(idle, stream idle): a stream whose own idle timeout is
  // longer (or disabled) keeps waiting.
  const limit = s.hcm.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
  s.idleMs += socket.timeout ?? 0;
  if (limit === 0 || s.idleMs < limit) {
    socket.setTimeout(limit === 0 ? socket.timeout ?? 0 : Math.min(socket.timeout ?? limit, limit - s.idleMs));
    return;
  }
  if (s.res.headersSent) {
    s.flag = addFlag(s.flag, 'SI');
    s.res.destroy();
    return;
  }
  sendLocalReply(s, LocalReply.streamIdleTimeout());
}

/** Writes a local reply for `err` (or resets the stream when the response already started). */
export function sendLocalReply(s: ProxyStream, err: ProxyError): void {
  const res = s.res;
  s.flag = addFlag(s.flag, err.flag);
  if (s.details === undefined) s.details = err.details;
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  if (isGrpcRequest(s.headers)) {
    // A gRPC client gets HTTP 200 with grpc-status / grpc-message (trailers-only over HTTP/2), as from Envoy.
    const extra: Record<string, string> = err instanceof HeaderedProxyError ? { ...err.replyHeaders } : {};
    const rid = s.headers['x-request-id'];
    if (typeof rid === 'string') extra['x-request-id'] = rid;
    if (s.overloaded) extra['x-envoy-overloaded'] = 'true';
    runEncoders(s, extra, s.filterIndex);
    writeGrpcLocalReply(res, err instanceof GrpcProxyError ? err.grpcStatus : grpcStatusForHttp(err.status), err.message, extra);
    return;
  }
  const body: string | undefined = err.message;
  const headers: Record<string, string | number> = { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) };
  const id = s.headers['x-request-id'];
  if (typeof id === 'string') headers['x-request-id'] = id;
  if (s.overloaded) headers['x-envoy-overloaded'] = 'true';
  if (err instanceof HeaderedProxyError) Object.assign(headers, err.replyHeaders);
  runEncoders(s, headers, s.filterIndex);
  s.responseHeaders = headers;
  res.writeHead(err.status, headers);
  if (s.method === 'HEAD') res.end();
  else res.end(body);
}

/**
 * Writes a locally generated non-error reply: redirect, direct response (details `direct_response`),
 * or with `extra` headers and `details` a filter's own reply (CORS preflight: `cors_response`).
 */
export function sendDirectReply(
  s: ProxyStream,
  status: number,
  location: string | undefined,
  body: string | undefined,
  extra?: Readonly<Record<string, string>>,
  details = 'direct_response',
): void {
  if (s.details === undefined) s.details = details;
  const headers: Record<string, string | number> = extra !== undefined ? { ...extra } : {};
  headers['content-length'] = body === undefined ? 0 : Buffer.byteLength(body);
  if (body !== undefined) headers['content-type'] = 'text/plain';
  if (location !== undefined) headers['location'] = location;
  runEncoders(s, headers, s.filterIndex);
  s.responseHeaders = headers;
  s.res.writeHead(status, headers);
  if (s.method === 'HEAD' || body === undefined) s.res.end();
  else s.res.end(body);
}

function onResponseClose(this: WithStream<DownstreamResponse>): void {
  const s = this[STREAM];
  if (!s) return;
  this[STREAM] = undefined;
  finish(s);
}

function finish(s: ProxyStream): void {
  const ctx = s.ctx;
  ctx.inFlight--;
  const res = s.res;
  if (s.delayTimer !== undefined) {
    clearTimeout(s.delayTimer);
    s.delayTimer = undefined;
  }
  if (!res.writableFinished && (s.flag === '-' || s.flag === 'DI')) s.flag = addFlag(s.flag, 'DC');
  // The one cleanup of the upstream side (disconnect mid-request, mid-retry or mid-response).
  s.releaseUpstream();
  const now = performance.now();
  const status = res.statusCode;
  const cluster = s.cluster;
  if (cluster !== undefined && s.sentUpstream) {
    const st = cluster.stats;
    const cls = (status / 100) | 0;
    if (cls >= 1 && cls <= 5) st.rqClass[cls - 1]!.inc();
    if (s.upstreamStartMs > 0) st.rqTime.record(now - s.upstreamStartMs);
    // Envoy's per-route stats, for routes with a stat_prefix (stats/route-stats.ts).
    const sel = s.selectRoute();
    if (sel.kind === 'route' && sel.route.statPrefix) {
      routeStats(ctx.stats.store, sel.virtualHost.name ?? '', sel.route.statPrefix).record(status, res.writableFinished, s.upstreamStartMs > 0 ? now - s.upstreamStartMs : undefined);
    }
  }
  const target = peerTelemetry(s.upstream?.host.telemetry ?? cluster?.noHostTelemetry ?? (s.hcm.direction === 'inbound' ? ctx.noClusterInbound : ctx.noClusterOutbound), s.hcm.direction === 'inbound', s.req.socket, s.upstream?.request?.socket);
  // Telemetry metrics overrides (Istio's stats filter config) take the slower per-request path.
  const policy = s.hcm.metrics;
  const children = policy === undefined ? target.children(status, s.flag) : undefined;
  children?.requests.inc();
  children?.duration.record(now - s.startMs);
  const socket = s.req.socket as CountedSocket | null;
  let wireIn = 0;
  let wireOut = 0;
  if (socket) {
    if (socket[ACTIVE] === s) socket[ACTIVE] = undefined;
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    wireIn = read - (socket[BYTES_READ] ?? 0);
    wireOut = written - (socket[BYTES_WRITTEN] ?? 0);
    children?.requestBytes.record(wireIn);
    children?.responseBytes.record(wireOut);
    socket[BYTES_READ] = read;
    socket[BYTES_WRITTEN] = written;
  }
  if (policy !== undefined) {
    recordHttpMetrics(ctx.stats, policy, target, s, {
      status, flag: s.flag, durationMs: now - s.startMs, bytesIn: socket ? wireIn : undefined, bytesOut: socket ? wireOut : undefined, endMs: now,
    });
  }
  const logs = s.hcm.accessLogs;
  if (logs !== undefined && ctx.accessLogFiles !== undefined) writeAccessLogs(s, logs, ctx.accessLogFiles, now, wireIn, wireOut);
  if (s.trace !== undefined && ctx.spans !== undefined) recordSpan(s, ctx.spans, now, wireIn, wireOut);
}

/** A local reply for a request that never became a stream (no entry point for it). */
export function replyWithoutStream(res: DownstreamResponse, err: ProxyError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(err.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(err.message) });
  res.end(err.message);
}
