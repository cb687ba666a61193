/**
 * Request mirroring (Envoy's shadowing, Istio's `mirror` / `mirrors` / `mirrorPercentage`): for each
 * `requestMirrorPolicies` entry whose `runtimeFraction` (absent = 100 %) samples true, a copy of the
 * request goes to a host of the mirror cluster, with the Host/`:authority` host part suffixed
 * `-shadow` (`httpbin:8000` → `httpbin-shadow:8000`) unless `disableShadowHostSuffixAppend`.
 * Fire-and-forget: the mirror's response is read and discarded, its errors are ignored, and it never
 * delays or fails the primary. The body is teed from the primary's {@link RequestBody} without
 * backpressure; a mirror that falls behind is dropped. Mirrors are bounded by the route timeout (or
 * 5 minutes when the route has none) so a hung mirror cannot hold a connection forever. They ride
 * the mirror host's own connections (host-connections.ts), counted like the primary's, never a
 * separate node:http Agent.
 */
import type { ClientRequest, OutgoingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import type { RequestMirrorPolicy } from '../../envoy/types.js';
import type { HostRuntime, UpstreamCluster } from '../upstream/cluster-manager.js';
import { fractionHit } from '../../envoy/fractional-percent.js';
import type { LbContext } from '../lb/load-balancer.js';
import type { ProxyStream } from './proxy-stream.js';
import { H1Call } from '../h1/h1-call.js';
import { stripConnectionSpecific } from '../h2/h2-downstream.js';
import { upstreamProtocol, usesH2 } from '../h2/upstream-protocol.js';

/** Upper bound of a mirror's lifetime when the route has no timeout (ms). */
export const MIRROR_MAX_MS = 300_000;

const ctx: LbContext = {};
const { NGHTTP2_CANCEL } = http2.constants;
const MIRROR: unique symbol = Symbol('weft.mirror');

/** What a mirror request offers the request body's tee (RequestBody.addMirror): an H1Call or an HTTP/2 stream. */
interface MirrorSink {
  write(chunk: Buffer): boolean;
  end(): unknown;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
  readonly writableLength: number;
}

/** An HTTP/2 mirror stream with its cluster and deadline (kept on the stream: no closure per mirror). */
type MirrorStream = http2.ClientHttp2Stream & { [MIRROR]?: { readonly cluster: UpstreamCluster; readonly timer: NodeJS.Timeout } };

/** Envoy's shadow host: `-shadow` appended to the host part, before any port. */
export function shadowHost(authority: string): string {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return end < 0 ? `${authority}-shadow` : `${authority.slice(0, end + 1)}-shadow${authority.slice(end + 1)}`;
  }
  const colon = authority.indexOf(':');
  return colon < 0 ? `${authority}-shadow` : `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
}

/** True when this request is mirrored under `p`: its `runtimeFraction` sampled, a missing one 100 % (Envoy's RequestMirrorPolicy). */
export function mirrorSampled(p: RequestMirrorPolicy, random: () => number = Math.random): boolean {
  return fractionHit(p.runtimeFraction?.defaultValue, true, random);
}

/**
 * Starts the mirrors of one request (after its headers are final, before the primary is sent), each
 * on a connection of the picked mirror host: its HTTP/1.1 pool, or its HTTP/2 sessions when the
 * mirror cluster speaks HTTP/2 upstream (as the primary would). Envoy sends the shadow through the
 * cluster's async client with the route's timeout as the whole request's deadline
 * (`shadow_writer_impl.cc`); here a route without one is bounded by {@link MIRROR_MAX_MS}.
 */
export function startMirrors(s: ProxyStream, policies: readonly RequestMirrorPolicy[]): void {
  for (const p of policies) {
    if (!mirrorSampled(p)) continue;
    const cluster = p.cluster !== undefined ? s.snapshot.clusters.get(p.cluster) : undefined;
    if (cluster === undefined || cluster.lb === undefined) continue;
    ctx.hash = undefined;
    const host = cluster.lb.pick(ctx);
    const rt = host !== undefined ? cluster.runtime(host) : undefined;
    if (rt === undefined) continue;
    const headers: OutgoingHttpHeaders = { ...(s.headers as OutgoingHttpHeaders) };
    const h = headers['host'];
    if (typeof h === 'string' && p.disableShadowHostSuffixAppend !== true) headers['host'] = shadowHost(h);
    const timeoutMs = s.timeoutMs > 0 ? Math.min(s.timeoutMs, MIRROR_MAX_MS) : MIRROR_MAX_MS;
    const bodyless = s.body === undefined;
    let m: MirrorSink;
    try {
      m = usesH2(cluster.config, s.req) ? mirrorH2(s, cluster, rt, headers, bodyless, timeoutMs) : mirrorH1(s, cluster, rt, headers, bodyless, timeoutMs);
    } catch {
      continue;
    }
    cluster.stats.rqTotal.inc();
    if (s.body !== undefined && !s.body.addMirror(m as ClientRequest)) m.destroy();
  }
}

/** The mirror as an HTTP/1.1 request on the host's pool (bodyless ones are complete at once). */
function mirrorH1(s: ProxyStream, cluster: UpstreamCluster, rt: HostRuntime, headers: OutgoingHttpHeaders, bodyless: boolean, timeoutMs: number): MirrorSink {
  const pool = rt.agent.h1Pool(rt.address, rt.port, headers as Record<string, string>);
  return new H1Call(pool, s.method, s.upstreamPath, headers, { bodyless, timeoutMs }, cluster, onMirrorDone);
}

/** The mirror as a stream on the host's HTTP/2 sessions. */
function mirrorH2(s: ProxyStream, cluster: UpstreamCluster, rt: HostRuntime, headers: OutgoingHttpHeaders, bodyless: boolean, timeoutMs: number): MirrorSink {
  const out: Record<string, unknown> = {};
  for (const k in headers) if (k.charCodeAt(0) !== 58 /* : */ && k !== 'host') out[k] = headers[k];
  stripConnectionSpecific(out);
  const ct = headers['content-type'];
  if (typeof ct === 'string' && ct.startsWith('application/grpc')) out['te'] = 'trailers';
  out[':method'] = s.method;
  out[':path'] = s.upstreamPath;
  out[':scheme'] = rt.agent.tls ? 'https' : 'http';
  const host = headers['host'];
  out[':authority'] = typeof host === 'string' && host !== '' ? host : `${rt.address}:${rt.port}`;
  const pool = rt.agent.h2Pool(headers as Record<string, string>);
  const stream: MirrorStream = pool.request(rt.address, rt.port, out as http2.OutgoingHttpHeaders, bodyless, upstreamProtocol(cluster.config).maxConcurrentStreams).stream;
  const timer = setTimeout(cancelStream, timeoutMs, stream);
  timer.unref();
  stream[MIRROR] = { cluster, timer };
  stream.once('close', onStreamClose);
  stream.once('response', onStreamResponse);
  stream.on('error', ignore);
  stream.resume();
  return stream;
}

function onStreamResponse(this: MirrorStream, h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
  const m = this[MIRROR];
  if (m !== undefined) countStatus(m.cluster, Number(h[':status'] ?? 0));
}

function onStreamClose(this: MirrorStream): void {
  const m = this[MIRROR];
  if (m !== undefined) clearTimeout(m.timer);
}

function onMirrorDone(cluster: UpstreamCluster, status: number): void {
  countStatus(cluster, status);
}

/** The mirror cluster's `upstream_rq_<N>xx` for a mirror's response (none when it failed). */
function countStatus(cluster: UpstreamCluster, status: number): void {
  const cls = (status / 100) | 0;
  if (cls >= 1 && cls <= 5) cluster.stats.rqClass[cls - 1]!.inc();
}

function cancelStream(stream: http2.ClientHttp2Stream): void {
  if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
}

function ignore(): void {
  // Mirror failures never affect the primary request.
}
