/**
 * A gateway proxy's HTTP route configurations, as istiod's buildGatewayHTTPRouteConfig: one per route
 * name (`http.<listenerPort>` for plain HTTP servers, `https.<port>.<portName>.<gw>.<ns>` per HTTPS
 * server). For each server, the VirtualServices bound to its Gateway contribute routes for every host
 * in the intersection of the server's hosts (those whose `ns/` qualifier admits the VirtualService's
 * namespace) and the VirtualService's hosts (the more specific of two overlapping hosts). Virtual
 * hosts are `<host>:<server port>` with the host as the only domain; rules of several VirtualServices
 * for one host are merged in VirtualService order (oldest first) with catch-all routes moved last
 * (istiod merges on gateways, unlike sidecars: istio/istio#36621). `httpsRedirect` servers require
 * TLS. With no virtual host at all, a `blackhole:<port>` virtual host answers 404.
 */
import { hostSubsetOf } from '../../config/schema/networking-common.js';
import type { Route, RouteConfiguration, VirtualHost } from '../../envoy/types/route.js';
import type { GatewayServer } from '../gateway-servers.js';
import type { ProxyScope } from '../proxy-scope.js';
import { buildHttpRoutesForVirtualService } from './http-routes.js';
import { NO_HASH_POLICY, type HashPolicyLookup } from './route-context.js';
import { isCatchAllRoute } from './route-match.js';
import { MAX_DIRECT_RESPONSE_BODY } from './sidecar-outbound-routes.js';

/** Options of the gateway route builder. */
export interface GatewayRouteOptions {
  readonly hashPolicy?: HashPolicyLookup;
}

/** Builds every HTTP route configuration of a gateway proxy, sorted by name. */
export function buildGatewayRoutes(scope: ProxyScope, servers: readonly GatewayServer[], options: GatewayRouteOptions = {}): RouteConfiguration[] {
  const byRoute = new Map<string, GatewayServer[]>();
  for (const s of servers) {
    if (!s.routeName) continue;
    const list = byRoute.get(s.routeName);
    if (list) list.push(s);
    else byRoute.set(s.routeName, [s]);
  }
  return [...byRoute.keys()].sort().map((name) => buildGatewayRouteConfig(scope, name, byRoute.get(name)!, options));
}

/** The hosts two host lists share: for each overlapping pair, the more specific one (istiod's Names.Intersection). */
export function intersectHosts(serverHosts: readonly string[], vsHosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of serverHosts) {
    for (const v of vsHosts) {
      const pick = hostSubsetOf(s, v) ? s : hostSubsetOf(v, s) ? v : undefined;
      if (pick !== undefined && !out.includes(pick)) out.push(pick);
    }
  }
  return out;
}

function buildGatewayRouteConfig(scope: ProxyScope, name: string, servers: readonly GatewayServer[], options: GatewayRouteOptions): RouteConfiguration {
  const vhosts = new Map<string, { -readonly [K in keyof VirtualHost]: VirtualHost[K] } & { routes: Route[] }>();
  const routeCache = new Map<string, Route[]>();
  for (const server of servers) {
    const redirect = !!server.server.tls?.httpsRedirect;
    for (const vs of scope.virtualServicesForGateway(server.gateway.ref)) {
      const serverHosts = server.hosts.filter((h) => h.namespace === '*' || h.namespace === vs.namespace).map((h) => h.host);
      const hosts = intersectHosts(serverHosts, vs.hosts.map((h) => h.toLowerCase()));
      if (hosts.length === 0) continue;
      const key = `${server.gateway.ref}|${server.port}|${server.terminatesTls}|${vs.namespace}/${vs.name}`;
      let routes = routeCache.get(key);
      if (!routes) {
        routes = buildHttpRoutesForVirtualService(vs, {
          scope,
          port: server.port,
          gatewayNames: new Set([server.gateway.ref]),
          isTls: !!server.server.tls,
          hashPolicy: options.hashPolicy ?? NO_HASH_POLICY,
        });
        routeCache.set(key, routes);
      }
      if (routes.length === 0) continue;
      for (const host of hosts) {
        const existing = vhosts.get(host);
        if (existing) {
          existing.routes.push(...routes);
          if (redirect) existing.requireTls = 'ALL';
        } else {
          vhosts.set(host, { name: `${host}:${server.port}`, domains: [host], routes: [...routes], includeRequestAttemptCount: true, ...(redirect ? { requireTls: 'ALL' as const } : {}) });
        }
      }
    }
    if (redirect) {
      for (const { host } of server.hosts) {
        const existing = vhosts.get(host);
        if (existing) existing.requireTls = 'ALL';
        else vhosts.set(host, { name: `${host}:${server.port}`, domains: [host], routes: [], includeRequestAttemptCount: true, requireTls: 'ALL' });
      }
    }
  }
  let virtualHosts: VirtualHost[];
  if (vhosts.size === 0) {
    virtualHosts = [{ name: `blackhole:${servers[0]!.port}`, domains: ['*'] }];
  } else {
    virtualHosts = [...vhosts.values()]
      .map(({ routes, ...v }) => (routes.length > 0 ? { ...v, routes: sortCatchAllLast(routes) } : v))
      .sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
  }
  return {
    name,
    virtualHosts,
    validateClusters: { value: false },
    ignorePortInHostMatching: true,
    maxDirectResponseBodySizeBytes: { value: MAX_DIRECT_RESPONSE_BODY },
  };
}

/** istiod's SortVHostRoutes: catch-all routes move to the end, the others keep their order. */
function sortCatchAllLast(routes: readonly Route[]): Route[] {
  return [...routes.filter((r) => !isCatchAllRoute(r)), ...routes.filter((r) => isCatchAllRoute(r))];
}
