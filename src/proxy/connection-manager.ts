/**
 * The HTTP connection manager's per-request part: creates the {@link ProxyStream}, runs the filter
 * chain, sends local replies (the one writer of {@link ProxyError}s to the wire), and when the
 * response is done records cluster and Istio stats. Handlers are module functions reaching the
 * stream through a symbol, so a request allocates no closures here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { FilterStatus } from './http-filter.js';
import { LocalReply, ProxyError } from './local-reply.js';
import type { ProxyContext } from './proxy-context.js';
import { ProxyStream, STREAM, type WithStream } from './proxy-stream.js';
import type { HcmRuntime, RuntimeSnapshot } from './runtime-snapshot.js';

const BYTES_READ: unique symbol = Symbol('weft.bytesRead');
const BYTES_WRITTEN: unique symbol = Symbol('weft.bytesWritten');
type CountedSocket = Socket & { [BYTES_READ]?: number; [BYTES_WRITTEN]?: number };

/** Handles one downstream request with the given connection manager of `snapshot`. */
export function handleRequest(
  ctx: ProxyContext,
  snapshot: RuntimeSnapshot,
  hcm: HcmRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  authority: string | undefined,
  path: string,
): void {
  const s = new ProxyStream(ctx, snapshot, hcm, req, res, authority, path);
  (res as WithStream<ServerResponse>)[STREAM] = s;
  ctx.inFlight++;
  res.once('close', onResponseClose);
  try {
    const filters = ctx.filters;
    for (let i = 0; i < filters.length; i++) if (filters[i]!.decodeHeaders(s) === FilterStatus.Stop) return;
    sendLocalReply(s, LocalReply.noRoute());
  } catch (err) {
    sendLocalReply(s, asProxyError(err));
  }
}

/** Converts anything thrown on the request path into a ProxyError (unexpected ones: 500). */
export function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError('INTERNAL', 'LR', 500, 'internal_error', 'internal error', { cause: err });
}

/** Writes a local reply for `err` (or resets the stream when the response already started). */
export function sendLocalReply(s: ProxyStream, err: ProxyError): void {
  const res = s.res;
  if (s.flag === '-') s.flag = err.flag;
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = err.message;
  const headers: Record<string, string | number> = { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) };
  const id = s.headers['x-request-id'];
  if (typeof id === 'string') headers['x-request-id'] = id;
  res.writeHead(err.status, headers);
  res.end(s.method === 'HEAD' ? undefined : body);
}

/** Writes a locally generated non-error reply (redirect, direct response). */
export function sendDirectReply(s: ProxyStream, status: number, location: string | undefined, body: string | undefined): void {
  const headers: Record<string, string | number> = { 'content-length': body === undefined ? 0 : Buffer.byteLength(body) };
  if (body !== undefined) headers['content-type'] = 'text/plain';
  if (location !== undefined) headers['location'] = location;
  s.res.writeHead(status, headers);
  s.res.end(s.method === 'HEAD' ? undefined : body);
}

function onResponseClose(this: WithStream<ServerResponse>): void {
  const s = this[STREAM];
  if (!s) return;
  this[STREAM] = undefined;
  finish(s);
}

function finish(s: ProxyStream): void {
  const ctx = s.ctx;
  ctx.inFlight--;
  const res = s.res;
  if (s.timer !== undefined) clearTimeout(s.timer);
  if (!res.writableFinished && s.flag === '-') s.flag = 'DC';
  const up = s.upstreamReq;
  if (up !== undefined && !s.upstreamDone) {
    s.upstreamDone = true;
    up.destroy();
  }
  const now = performance.now();
  const status = res.statusCode;
  const cluster = s.cluster;
  if (cluster !== undefined && s.sentUpstream) {
    const st = cluster.stats;
    const cls = (status / 100) | 0;
    if (cls >= 1 && cls <= 5) st.rqClass[cls - 1]!.inc();
    if (s.upstreamStartMs > 0) st.rqTime.record(now - s.upstreamStartMs);
  }
  const target = s.host?.telemetry ?? cluster?.noHostTelemetry ?? (s.hcm.direction === 'inbound' ? ctx.noClusterInbound : ctx.noClusterOutbound);
  const children = target.children(status, s.flag);
  children.requests.inc();
  children.duration.record(now - s.startMs);
  const socket = s.req.socket as CountedSocket | null;
  if (socket) {
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    children.requestBytes.record(read - (socket[BYTES_READ] ?? 0));
    children.responseBytes.record(written - (socket[BYTES_WRITTEN] ?? 0));
    socket[BYTES_READ] = read;
    socket[BYTES_WRITTEN] = written;
  }
  if (s.host !== undefined) s.host.host.stats.activeRequests--;
}

/** A local reply for a request that never became a stream (no entry point for it). */
export function replyWithoutStream(res: ServerResponse, err: ProxyError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(err.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(err.message) });
  res.end(err.message);
}
