/**
 * The router filter (last in the chain): takes the selected route and either answers locally
 * (no route → 404 NR, redirect, direct response, TLS redirect) or forwards: weighted cluster
 * choice, cluster lookup (503 NC), path and host rewrites, header mutations, route timeout (504 UT,
 * per-request override `x-envoy-upstream-rq-timeout-ms`), the retry policy (route, else virtual
 * host, merged with `x-envoy-retry-on` / `x-envoy-max-retries`…), request mirrors, then the
 * upstream attempts ({@link startAttempt} in upstream-attempt.ts: host pick, circuit breakers,
 * retries, per-try timeout). Policies are compiled once per config object; a route without them
 * costs nothing extra per request. What the config means (timeout and its default, retry policy,
 * header mutations) is `src/envoy/` (route-timeout, retry-policy, header-ops), shared with the
 * simulator and `weft explain`.
 */
import { applyRetryHeaders, effectivePerTryTimeoutMs, routeRetryPolicy } from '../../envoy/retry-policy.js';
import { routeTimeoutMs, timeoutWithOverride, UPSTREAM_TIMEOUT_HEADER } from '../../envoy/route-timeout.js';
import { directReply, redirectReply, rewriteAuthority, rewritePath, tlsRedirectReply } from '../../envoy/rewrite.js';
import type { Route, RouteAction, VirtualHost } from '../../envoy/types.js';
import { weightedClusterPicker } from '../../envoy/weighted-cluster.js';
import { HashPolicy, type HashPolicyConfig, type HashRequestView } from '../lb/hash-policy.js';
import { sendDirectReply } from './connection-manager.js';
import { applyRequestHeaderMutations, type MutableHeaders } from '../../envoy/header-ops.js';
import { FilterStatus, type HttpFilter } from '../http/filter.js';
import { LocalReply } from '../http/local-reply.js';
import { startMirrors } from './mirror.js';
import { UpstreamPhase, type ProxyStream } from './proxy-stream.js';
import { bodyBufferLimit, RequestBody, retryOrShadowAbandoned } from './request-body.js';
import { hasBody, onRouteTimeout, startAttempt } from './upstream-attempt.js';

const hashPolicies = new WeakMap<RouteAction, HashPolicy>();

/** The router filter; stateless, shared by all requests. */
export class RouterFilter implements HttpFilter {
  readonly name = 'envoy.filters.http.router';
  /**
   * Routes `s`. Unlike the filters below the connection manager, the router is part of its layer
   * and only ever runs on the connection manager's own streams, so it takes the concrete stream
   * (as Envoy's router is the one filter that owns upstream requests).
   */
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
    if (cluster.hashing && action.hashPolicy !== undefined) requestHash(s, action);

    const headers = s.headers as MutableHeaders;
    const rc = s.snapshot.routeTable(s.hcm)?.config;
    const cw = s.clusterWeight;
    applyRequestHeaderMutations(headers, rc, vh, route, cw);
    const authority = (cw?.hostRewriteLiteral || undefined) ?? rewriteAuthority(action, s) ?? s.authority;
    if (authority !== undefined) headers['host'] = authority;
    s.attemptCountUpstream = vh.includeRequestAttemptCount === true;
    s.attemptCountDownstream = vh.includeAttemptCountInResponse === true;

    const override = headers[UPSTREAM_TIMEOUT_HEADER];
    const timeoutMs = timeoutWithOverride(routeTimeoutMs(action), override as string | string[] | undefined);
    if (override !== undefined) delete headers[UPSTREAM_TIMEOUT_HEADER];
    s.timeoutMs = timeoutMs;
    const policy = applyRetryHeaders(routeRetryPolicy(action, vh), s.headers);
    s.retryPolicy = policy;
    if (policy !== undefined) s.perTryTimeoutMs = effectivePerTryTimeoutMs(policy, timeoutMs);

    s.upstreamPath = rewritePath(route, s.path);
    const mirrors = action.requestMirrorPolicies;
    if ((policy !== undefined || mirrors !== undefined) && hasBody(s)) {
      const { ctx } = s;
      const clusterName = name ?? '';
      s.body = new RequestBody(s.req, bodyBufferLimit(route, vh), () => retryOrShadowAbandoned(ctx.stats, clusterName).inc());
    }
    if (mirrors !== undefined) startMirrors(s, mirrors);
    s.phase = UpstreamPhase.Forwarding;
    s.upstreamStartMs = performance.now();
    cluster.stats.rqTotal.inc();
    if (timeoutMs > 0) s.routeTimer = setTimeout(onRouteTimeout, timeoutMs, s);
    startAttempt(s);
  }
}

/**
 * Sets the stream's hash (and the cookie to generate, when a cookie policy with a ttl found no
 * cookie: Envoy's router adds it to the response as `Set-Cookie`, with the policy's path and attributes).
 */
function requestHash(s: ProxyStream, action: RouteAction): void {
  let policy = hashPolicies.get(action);
  if (policy === undefined) {
    policy = HashPolicy.compile(action.hashPolicy as readonly HashPolicyConfig[]);
    hashPolicies.set(action, policy);
  }
  if (policy.isEmpty) return;
  const q = s.path.indexOf('?');
  const view: HashRequestView = {
    header: (n) => s.headers[n],
    cookie: s.headers.cookie,
    sourceIp: s.req.socket.remoteAddress,
    sourcePort: s.req.socket.remotePort,
    localAddress: `${s.req.socket.localAddress ?? ''}:${s.req.socket.localPort ?? 0}`,
    query: q >= 0 ? s.path.slice(q + 1) : undefined,
  };
  const result = policy.compute(view);
  s.lbHash = result.hash;
  s.lbSetCookie = result.setCookie;
}
