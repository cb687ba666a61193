/**
 * Translates the `http` rules of one VirtualService into Envoy routes for one port and one set of
 * gateway names, as istiod's BuildHTTPRoutesForVirtualService / translateRoute: one route per match
 * block (a rule without match blocks gives one catch-all route); match blocks whose `port`,
 * `gateways`, `sourceLabels` or `sourceNamespace` exclude this proxy are dropped at translation time;
 * translation stops after the first catch-all route, since later rules are unreachable.
 *
 * Route actions: redirect, else direct response, else forwarding with timeout (absent = 0 =
 * disabled), retries (Istio's default when absent), rewrites, mirrors, header operations and hash
 * policy. A rule with a fault gets the fault filter's per-route config and keeps its timeout and
 * retries: istiod's TranslateRoute / applyHTTPRouteDestination (pilot/pkg/networking/core/route/
 * route.go) set them whatever the fault, so they apply to the requests the fault spares (an injected
 * abort is a local reply the router never sees; an injected delay runs before the router's timer).
 */
import type { HTTPMatchRequest, HTTPRoute } from '../../config/schema/virtual-service.js';
import type { Any, Duration } from '../../envoy/types/core.js';
import type { RequestMirrorPolicy, Route, RouteAction } from '../../envoy/types/route.js';
import { selectorMatches } from '../../config/labels.js';
import { TypeUrl, toAny } from '../../envoy/type-url.js';
import type { IndexedVirtualService } from '../virtual-services.js';
import { normalizeGatewayName } from '../virtual-services.js';
import { convertCorsPolicy } from './cors.js';
import { convertSingleDestination, convertWeightedDestinations, resolveDestination } from './destination.js';
import { ZERO_DURATION } from '../../envoy/duration.js';
import { integerPercentToFraction, percentToFraction } from '../../envoy/fractional-percent.js';
import { convertDuration } from './durations.js';
import { convertFault } from './fault.js';
import { convertHeaderOperations } from './headers.js';
import { convertDirectResponse, convertRedirect } from './redirect.js';
import { convertRetryPolicy } from './retry-policy.js';
import type { RouteContext } from './route-context.js';
import { convertRouteMatch, isCatchAllRoute } from './route-match.js';
import { buildRouteMetadata, routeOperation } from './route-metadata.js';

/** Name of Envoy's HTTP fault filter (key of its per-route config). */
export const FAULT_FILTER = 'envoy.filters.http.fault';
/** Name of Envoy's HTTP CORS filter (key of its per-route config). */
export const CORS_FILTER = 'envoy.filters.http.cors';

/** Builds the routes of one VirtualService for one port; empty when no rule applies here. */
export function buildHttpRoutesForVirtualService(vs: IndexedVirtualService, ctx: RouteContext): Route[] {
  const out: Route[] = [];
  const rules = vs.spec.http ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    let catchAll = false;
    if (!rule.match || rule.match.length === 0) {
      const r = translateRoute(vs, rule, i, undefined, -1, ctx);
      if (r) out.push(r);
      catchAll = true;
    } else {
      for (let j = 0; j < rule.match.length; j++) {
        const r = translateRoute(vs, rule, i, rule.match[j], j, ctx);
        if (!r) continue;
        out.push(r);
        if (isCatchAllRoute(r)) {
          catchAll = true;
          break;
        }
      }
    }
    if (catchAll) break;
  }
  return out;
}

/**
 * istiod's sourceMatchHTTP: match-level `gateways` (when set) must name one of ours; otherwise
 * `sourceLabels` must be a subset of the proxy's labels and `sourceNamespace` its namespace.
 */
export function matchAppliesToProxy(match: HTTPMatchRequest | undefined, vsNamespace: string, ctx: RouteContext): boolean {
  if (!match) return true;
  if (match.port !== undefined && match.port !== 0 && match.port !== ctx.port) return false;
  if (match.gateways && match.gateways.length > 0) {
    return match.gateways.some((g) => ctx.gatewayNames.has(normalizeGatewayName(g, vsNamespace)));
  }
  const node = ctx.scope.node;
  if (!selectorMatches(match.sourceLabels, node.labels)) return false;
  return !match.sourceNamespace || match.sourceNamespace === node.namespace;
}

function translateRoute(
  vs: IndexedVirtualService,
  rule: HTTPRoute,
  ruleIndex: number,
  match: HTTPMatchRequest | undefined,
  matchIndex: number,
  ctx: RouteContext,
): Route | undefined {
  if (!matchAppliesToProxy(match, vs.namespace, ctx)) return undefined;
  // Delegating rules were merged away when indexing (delegate-merge.ts); one left here had no
  // usable delegate (missing, not exported, or nested), and istiod drops it too.
  if (rule.delegate) return undefined;
  const name = match?.name ? `${rule.name ?? ''}.${match.name}` : rule.name;
  const ops = convertHeaderOperations(rule.headers);
  const base: { -readonly [K in keyof Route]: Route[K] } = {
    ...(name ? { name } : {}),
    match: convertRouteMatch(match),
    metadata: buildRouteMetadata(vs.namespace, vs.name, ruleIndex, matchIndex),
    ...(match?.statPrefix ? { statPrefix: match.statPrefix } : {}),
  };
  if (ops.requestHeadersToAdd.length) base.requestHeadersToAdd = ops.requestHeadersToAdd;
  if (ops.requestHeadersToRemove.length) base.requestHeadersToRemove = ops.requestHeadersToRemove;
  if (ops.responseHeadersToAdd.length) base.responseHeadersToAdd = ops.responseHeadersToAdd;
  if (ops.responseHeadersToRemove.length) base.responseHeadersToRemove = ops.responseHeadersToRemove;

  const fault = convertFault(rule.fault);
  if (rule.redirect) {
    const redirect = convertRedirect(rule.redirect, ctx.port, ctx.isTls);
    if (!redirect) return undefined;
    base.redirect = redirect;
  } else if (rule.directResponse) {
    base.directResponse = convertDirectResponse(rule.directResponse);
  } else {
    if (!rule.route || rule.route.length === 0) return undefined;
    applyRouteAction(base, vs, rule, ops.authority, ctx);
  }
  base.decorator = { operation: routeOperation(base, vs.name, ctx.port) };
  const perFilter: Record<string, Any> = {};
  if (fault) perFilter[FAULT_FILTER] = toAny(TypeUrl.Fault, fault) as Any;
  if (rule.corsPolicy) perFilter[CORS_FILTER] = toAny(TypeUrl.CorsPolicy, convertCorsPolicy(rule.corsPolicy)) as Any;
  if (Object.keys(perFilter).length > 0) base.typedPerFilterConfig = perFilter;
  return base;
}

function applyRouteAction(
  out: { -readonly [K in keyof Route]: Route[K] },
  vs: IndexedVirtualService,
  rule: HTTPRoute,
  routeAuthority: string,
  ctx: RouteContext,
): void {
  const timeout: Duration = convertDuration(rule.timeout) ?? ZERO_DURATION;
  const action: { -readonly [K in keyof RouteAction]: RouteAction[K] } = { timeout, maxGrpcTimeout: timeout };
  let authority = routeAuthority;
  if (rule.rewrite) {
    const rr = rule.rewrite.uriRegexRewrite;
    if (rr) action.regexRewrite = { pattern: { regex: rr.match ?? '' }, substitution: rr.rewrite ?? '' };
    else if (rule.rewrite.uri) action.prefixRewrite = rule.rewrite.uri;
    if (rule.rewrite.authority) authority = rule.rewrite.authority;
  }
  if (authority) action.hostRewriteLiteral = authority;

  const mirrors: RequestMirrorPolicy[] = [];
  if (rule.mirror) {
    const pct = rule.mirrorPercentage;
    if (!pct || pct.value > 0) {
      mirrors.push({
        cluster: resolveDestination(rule.mirror, vs.namespace, ctx).cluster,
        runtimeFraction: { defaultValue: pct ? percentToFraction(pct.value) : integerPercentToFraction(100) },
        traceSampled: { value: false },
      });
    }
  }
  for (const m of rule.mirrors ?? []) {
    if (!m.destination || (m.percentage && m.percentage.value <= 0)) continue;
    mirrors.push({
      cluster: resolveDestination(m.destination, vs.namespace, ctx).cluster,
      runtimeFraction: { defaultValue: m.percentage ? percentToFraction(m.percentage.value) : integerPercentToFraction(100) },
      traceSampled: { value: false },
    });
  }
  if (mirrors.length > 0) action.requestMirrorPolicies = mirrors;

  const dsts = rule.route ?? [];
  let consistentHash = false;
  if (dsts.length === 1) {
    const single = convertSingleDestination(dsts[0]!, vs.namespace, ctx);
    action.cluster = single.cluster;
    if (single.requestHeadersToAdd.length) out.requestHeadersToAdd = [...(out.requestHeadersToAdd ?? []), ...single.requestHeadersToAdd];
    if (single.requestHeadersToRemove.length) out.requestHeadersToRemove = [...(out.requestHeadersToRemove ?? []), ...single.requestHeadersToRemove];
    if (single.responseHeadersToAdd.length) out.responseHeadersToAdd = [...(out.responseHeadersToAdd ?? []), ...single.responseHeadersToAdd];
    if (single.responseHeadersToRemove.length) out.responseHeadersToRemove = [...(out.responseHeadersToRemove ?? []), ...single.responseHeadersToRemove];
    if (single.authority && !action.hostRewriteLiteral) action.hostRewriteLiteral = single.authority;
    if (single.hashPolicy) {
      action.hashPolicy = [single.hashPolicy];
      consistentHash = true;
    }
  } else {
    const weighted = convertWeightedDestinations(dsts, vs.namespace, ctx);
    action.weightedClusters = { clusters: weighted.clusters };
    if (weighted.hashPolicies.length > 0) action.hashPolicy = weighted.hashPolicies;
  }
  const retry = convertRetryPolicy(rule.retries, consistentHash);
  if (retry) action.retryPolicy = retry;
  out.route = action;
}
