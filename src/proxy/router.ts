/**
 * The router filter (last in the chain): takes the selected route and either answers locally
 * (no route → 404 NR, redirect, direct response, TLS redirect) or forwards: weighted cluster
 * choice, cluster lookup (503 NC), host pick through the cluster's load balancer (503 UH), path and
 * host rewrites, header mutations, route timeout (504 UT, per-request override
 * `x-envoy-upstream-rq-timeout-ms`), then the upstream call on the host's keep-alive pool with
 * `.pipe()` both ways (backpressure intact). Connect failures are 503 UF, resets before the
 * response 503 UC. Retries, faults and mirroring slot in as filters/policies later.
 */
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import { portStart } from '../envoy/route-table.js';
import { directReply, redirectReply, rewriteAuthority, rewritePath, tlsRedirectReply } from '../envoy/rewrite.js';
import type { Route, RouteAction, RouteConfiguration, VirtualHost } from '../envoy/types.js';
import { weightedClusterPicker } from '../envoy/weighted-cluster.js';
import { HashPolicy, type HashPolicyConfig, type HashRequestView } from './lb/hash-policy.js';
import type { LbContext } from './lb/load-balancer.js';
import { sendDirectReply, sendLocalReply } from './connection-manager.js';
import { durationMs } from './durations.js';
import { applyHeaderOps, headerOps, type MutableHeaders } from './header-ops.js';
import { FilterStatus, type HttpFilter } from './http-filter.js';
import { LocalReply } from './local-reply.js';
import { STREAM, type ProxyStream, type WithStream } from './proxy-stream.js';
import { stripHopByHop } from './request-headers-filter.js';
import { CONNECT_TIMEOUT_CODE } from './upstream-agent.js';

/** Envoy's route timeout when `RouteAction.timeout` is absent. */
const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
const CONNECT_FAILURE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ETIMEDOUT', CONNECT_TIMEOUT_CODE]);
const hashPolicies = new WeakMap<RouteAction, HashPolicy>();

/** The router filter; stateless, shared by all requests. */
export class RouterFilter implements HttpFilter {
  readonly name = 'envoy.filters.http.router';
  /** Reused pick context (picks are synchronous). */
  private readonly lbCtx: LbContext = {};

  decodeHeaders(s: ProxyStream): FilterStatus {
    const sel = s.selectRoute();
    if (sel.kind === 'no-virtual-host' || sel.kind === 'no-route') throw LocalReply.noRoute();
    if (sel.kind === 'tls-redirect') {
      const r = tlsRedirectReply(s);
      sendDirectReply(s, r.status, r.location, r.body);
      return FilterStatus.Stop;
    }
    const route = sel.route;
    if (route.redirect !== undefined || route.directResponse !== undefined) {
      const r = route.redirect !== undefined ? redirectReply(route, s) : directReply(route, s);
      sendDirectReply(s, r.status, r.location, r.body);
      return FilterStatus.Stop;
    }
    const action = route.route;
    if (action === undefined) throw LocalReply.noRoute();
    this.forward(s, sel.virtualHost, route, action);
    return FilterStatus.Stop;
  }

  private forward(s: ProxyStream, vh: VirtualHost, route: Route, action: RouteAction): void {
    let name: string | undefined;
    if (action.cluster !== undefined) name = action.cluster;
    else if (action.weightedClusters !== undefined) {
      const cw = weightedClusterPicker(action.weightedClusters).pick(Math.random());
      s.clusterWeight = cw;
      name = cw.name;
    } else if (action.clusterHeader !== undefined) {
      const v = s.headers[action.clusterHeader.toLowerCase()];
      name = typeof v === 'string' ? v : v?.[0];
    }
    const cluster = name !== undefined && name !== '' ? s.snapshot.clusters.get(name) : undefined;
    if (cluster === undefined) throw LocalReply.noCluster(name ?? '');
    s.cluster = cluster;

    let hostRt;
    if (cluster.lb === undefined) {
      const authority = s.authority ?? '';
      const p = portStart(authority);
      const hostname = (p >= 0 ? authority.slice(0, p) : authority).replace(/^\[|\]$/g, '');
      const port = p >= 0 ? Number(authority.slice(p + 1)) : 80;
      if (hostname === '' || !(port > 0 && port < 65536)) throw LocalReply.noHealthyUpstream();
      hostRt = cluster.originalDstHost(hostname, port);
    } else {
      const ctx = this.lbCtx;
      ctx.hash = cluster.hashing && action.hashPolicy !== undefined ? requestHash(s, action) : undefined;
      const host = cluster.lb.pick(ctx);
      hostRt = host !== undefined ? cluster.runtime(host) : undefined;
    }
    if (hostRt === undefined) throw LocalReply.noHealthyUpstream();
    s.host = hostRt;
    hostRt.host.stats.activeRequests++;

    const headers = s.headers as MutableHeaders;
    const rc = s.snapshot.routeTable(s.hcm)?.config;
    if (rc !== undefined) applyHeaderOps(headerOps(rc, 0, rc.requestHeadersToAdd, rc.requestHeadersToRemove), headers);
    applyHeaderOps(headerOps(vh, 0, vh.requestHeadersToAdd, vh.requestHeadersToRemove), headers);
    applyHeaderOps(headerOps(route, 0, route.requestHeadersToAdd, route.requestHeadersToRemove), headers);
    const cw = s.clusterWeight;
    if (cw !== undefined) applyHeaderOps(headerOps(cw, 0, cw.requestHeadersToAdd, cw.requestHeadersToRemove), headers);
    const authority = (cw?.hostRewriteLiteral || undefined) ?? rewriteAuthority(action, s) ?? s.authority;
    if (authority !== undefined) headers['host'] = authority;
    if (vh.includeRequestAttemptCount === true) headers['x-envoy-attempt-count'] = '1';

    let timeoutMs = durationMs(action.timeout) ?? DEFAULT_ROUTE_TIMEOUT_MS;
    const override = headers['x-envoy-upstream-rq-timeout-ms'];
    if (override !== undefined) {
      const v = Number(override);
      if (Number.isInteger(v) && v >= 0) timeoutMs = v;
      delete headers['x-envoy-upstream-rq-timeout-ms'];
    }

    s.upstreamPath = rewritePath(route, s.path);
    s.sentUpstream = true;
    s.upstreamStartMs = performance.now();
    cluster.stats.rqTotal.inc();
    if (timeoutMs > 0) s.timer = setTimeout(onRouteTimeout, timeoutMs, s);
    sendUpstream(s);
  }
}

function hasBody(s: ProxyStream): boolean {
  const h = s.req.headers;
  return h['content-length'] !== undefined || h['transfer-encoding'] !== undefined;
}

/** Issues the upstream request of a stream on its host's pool and wires the handlers. */
function sendUpstream(s: ProxyStream): void {
  const rt = s.host!;
  const up: WithStream<ClientRequest> = http.request({
    agent: rt.agent,
    host: rt.host.address,
    port: rt.host.port,
    method: s.method,
    path: s.upstreamPath,
    headers: s.headers as http.OutgoingHttpHeaders,
    setHost: false,
  });
  up[STREAM] = s;
  s.upstreamReq = up;
  up.on('response', onUpstreamResponse);
  up.on('error', onUpstreamError);
  if (hasBody(s)) s.req.pipe(up);
  else up.end();
}

function requestHash(s: ProxyStream, action: RouteAction): number | undefined {
  let policy = hashPolicies.get(action);
  if (policy === undefined) {
    policy = HashPolicy.compile(action.hashPolicy as readonly HashPolicyConfig[]);
    hashPolicies.set(action, policy);
  }
  if (policy.isEmpty) return undefined;
  const q = s.path.indexOf('?');
  const view: HashRequestView = {
    header: (n) => s.headers[n],
    cookie: s.headers.cookie,
    sourceIp: s.req.socket.remoteAddress,
    sourcePort: s.req.socket.remotePort,
    localAddress: `${s.req.socket.localAddress ?? ''}:${s.req.socket.localPort ?? 0}`,
    query: q >= 0 ? s.path.slice(q + 1) : undefined,
  };
  return policy.compute(view).hash;
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
  const headers = up.headers as MutableHeaders;
  stripHopByHop(headers);
  headers['x-envoy-upstream-service-time'] = String(Math.round(performance.now() - s.upstreamStartMs));
  const sel = s.selectRoute();
  if (sel.kind === 'route') {
    const cw = s.clusterWeight;
    if (cw !== undefined) applyHeaderOps(headerOps(cw, 1, cw.responseHeadersToAdd, cw.responseHeadersToRemove), headers);
    const r = sel.route;
    applyHeaderOps(headerOps(r, 1, r.responseHeadersToAdd, r.responseHeadersToRemove), headers);
    const vh = sel.virtualHost;
    applyHeaderOps(headerOps(vh, 1, vh.responseHeadersToAdd, vh.responseHeadersToRemove), headers);
    const rc: RouteConfiguration | undefined = s.snapshot.routeTable(s.hcm)?.config;
    if (rc !== undefined) applyHeaderOps(headerOps(rc, 1, rc.responseHeadersToAdd, rc.responseHeadersToRemove), headers);
  }
  res.writeHead(up.statusCode ?? 502, headers as http.OutgoingHttpHeaders);
  up[STREAM] = s;
  up.on('error', onUpstreamBodyError);
  if (s.timer !== undefined) up.once('end', onUpstreamEnd);
  else s.upstreamDone = true;
  up.pipe(res);
}

function onUpstreamEnd(this: WithStream<IncomingMessage>): void {
  const s = this[STREAM];
  if (s === undefined) return;
  s.upstreamDone = true;
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
  // A keep-alive connection the upstream closed while idle (istio/istio#49660): nothing reached
  // the app, so a bodiless request is sent once more on a fresh or other pooled connection.
  if (this.reusedSocket && !s.resentOnFresh && !hasBody(s) && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !s.res.headersSent) {
    s.resentOnFresh = true;
    this[STREAM] = undefined;
    sendUpstream(s);
    return;
  }
  s.upstreamDone = true;
  if (s.timer !== undefined) {
    clearTimeout(s.timer);
    s.timer = undefined;
  }
  const connectFailure = err.code !== undefined && CONNECT_FAILURE_CODES.has(err.code);
  if (connectFailure && err.code !== CONNECT_TIMEOUT_CODE) s.cluster?.stats.cxConnectFail.inc();
  sendLocalReply(s, connectFailure ? LocalReply.connectFailure(err) : LocalReply.upstreamReset(err));
}

function onRouteTimeout(s: ProxyStream): void {
  s.timer = undefined;
  if (s.upstreamDone) return;
  s.upstreamDone = true;
  s.cluster?.stats.rqTimeout.inc();
  s.upstreamReq?.destroy();
  if (s.res.headersSent) {
    s.flag = 'UT';
    s.res.destroy();
    return;
  }
  sendLocalReply(s, LocalReply.upstreamTimeout());
}
