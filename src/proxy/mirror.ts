/**
 * Request mirroring (Envoy's shadowing, Istio's `mirror` / `mirrors` / `mirrorPercentage`): for each
 * `requestMirrorPolicies` entry whose `runtimeFraction` (absent = 100 %) samples true, a copy of the
 * request goes to a host of the mirror cluster, with the Host/`:authority` host part suffixed
 * `-shadow` (`httpbin:8000` → `httpbin-shadow:8000`) unless `disableShadowHostSuffixAppend`.
 * Fire-and-forget: the mirror's response is read and discarded, its errors are ignored, and it never
 * delays or fails the primary. The body is teed from the primary's {@link RequestBody} without
 * backpressure; a mirror that falls behind is dropped. Mirrors are bounded by the route timeout (or
 * 5 minutes when the route has none) so a hung mirror cannot hold a connection forever.
 */
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import type { RequestMirrorPolicy } from '../envoy/types.js';
import type { UpstreamCluster } from './cluster-manager.js';
import { fractionHit } from '../envoy/fractional-percent.js';
import type { LbContext } from './lb/load-balancer.js';
import type { ProxyStream } from './proxy-stream.js';

/** Upper bound of a mirror's lifetime when the route has no timeout (ms). */
export const MIRROR_MAX_MS = 300_000;

const ctx: LbContext = {};
const MIRROR_CLUSTER: unique symbol = Symbol('weft.mirrorCluster');
type MirrorRequest = ClientRequest & { [MIRROR_CLUSTER]?: UpstreamCluster };

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

/** Starts the mirrors of one request (after its headers are final, before the primary is sent). */
export function startMirrors(s: ProxyStream, policies: readonly RequestMirrorPolicy[]): void {
  for (const p of policies) {
    if (!mirrorSampled(p)) continue;
    const cluster = p.cluster !== undefined ? s.snapshot.clusters.get(p.cluster) : undefined;
    if (cluster === undefined || cluster.lb === undefined) continue;
    ctx.hash = undefined;
    const host = cluster.lb.pick(ctx);
    const rt = host !== undefined ? cluster.runtime(host) : undefined;
    if (rt === undefined) continue;
    const headers: http.OutgoingHttpHeaders = { ...(s.headers as http.OutgoingHttpHeaders) };
    const h = headers['host'];
    if (typeof h === 'string' && p.disableShadowHostSuffixAppend !== true) headers['host'] = shadowHost(h);
    let req: MirrorRequest;
    try {
      req = http.request({ agent: rt.agent, host: rt.address, port: rt.port, method: s.method, path: s.upstreamPath, headers, setHost: false });
    } catch {
      continue;
    }
    req[MIRROR_CLUSTER] = cluster;
    cluster.stats.rqTotal.inc();
    req.on('response', onMirrorResponse);
    req.on('error', ignore);
    req.setTimeout(s.timeoutMs > 0 ? Math.min(s.timeoutMs, MIRROR_MAX_MS) : MIRROR_MAX_MS, onMirrorTimeout);
    if (s.body !== undefined) {
      if (!s.body.addMirror(req)) req.destroy();
    } else req.end();
  }
}

function onMirrorResponse(this: MirrorRequest, res: IncomingMessage): void {
  const cls = ((res.statusCode ?? 0) / 100) | 0;
  const c = this[MIRROR_CLUSTER];
  if (c !== undefined && cls >= 1 && cls <= 5) c.stats.rqClass[cls - 1]!.inc();
  res.on('error', ignore);
  res.resume();
}

function onMirrorTimeout(this: MirrorRequest): void {
  this.destroy();
}

function ignore(): void {
  // Mirror failures never affect the primary request.
}
