/**
 * A sidecar's outbound route configurations, one per HTTP service port, named by the port (`9080`),
 * as istiod's buildSidecarOutboundHTTPRouteConfig: a virtual host `<fqdn>:<port>` per service with
 * every domain a client may use; VirtualService routes for services that have one (the oldest
 * VirtualService owns a host: sidecars do not merge, istio/istio#36621), a default route to
 * `outbound|<port>||<host>` for the others; on port 80 also virtual hosts for VirtualService hosts
 * that are not services; finally the catch-all `allow_any` (PassthroughCluster) or `block_all` (502)
 * virtual host according to the outbound traffic policy.
 */
import type { RouteConfiguration, Route, VirtualHost } from '../../envoy/types/route.js';
import { hostMatches } from '../../config/hosts.js';
import { isHttpProtocol } from '../../registry/protocol.js';
import type { Service } from '../../registry/types.js';
import { PASSTHROUGH_CLUSTER, outboundClusterName } from '../cluster/cluster-names.js';
import type { ProxyScope } from '../proxy-scope.js';
import { MESH_GATEWAY, type IndexedVirtualService } from '../virtual-services.js';
import { ZERO_DURATION } from '../../envoy/duration.js';
import { buildHttpRoutesForVirtualService } from './http-routes.js';
import { convertRetryPolicy } from './retry-policy.js';
import { NO_HASH_POLICY, type HashPolicyLookup, type RouteContext } from './route-context.js';
import { CATCH_ALL_MATCH } from './route-match.js';
import { traceOperation } from './route-metadata.js';
import { virtualHostDomains } from './virtual-host-domains.js';
import { updateRouteConfig, type RouteBuildRecord } from './route-config-update.js';

/** Name of istiod's catch-all virtual host and route for ALLOW_ANY. */
export const ALLOW_ANY_VHOST = 'allow_any';
/** Name of istiod's catch-all virtual host and route for REGISTRY_ONLY. */
export const BLOCK_ALL_VHOST = 'block_all';
/** Name istiod gives a route built without a VirtualService. */
export const DEFAULT_ROUTE_NAME = 'default';
/** Largest direct-response body istiod allows (1 MiB). */
export const MAX_DIRECT_RESPONSE_BODY = 1024 * 1024;

/** Options of the sidecar route builder. */
export interface SidecarRouteOptions {
  readonly hashPolicy?: HashPolicyLookup;
  /**
   * Builds (or hands out a remembered copy of) one VirtualService's routes; default: build. A
   * cache passed here must return routes equal to `build()`'s (see translate/cached-routes.ts).
   */
  readonly virtualServiceRoutes?: (vs: IndexedVirtualService, ctx: RouteContext, build: () => Route[]) => Route[];
  /**
   * The record of an earlier build for `port` whose scope inputs other than the VirtualServices
   * equal this one's (see route-config-update.ts); the build then only swaps changed routes in.
   */
  readonly previousBuild?: (port: number) => RouteBuildRecord | undefined;
  /** Receives the record of each build, for a later `previousBuild`. */
  readonly recordBuild?: (port: number, record: RouteBuildRecord) => void;
}

/** The HTTP ports a sidecar has outbound route configurations for (sorted). */
export function sidecarHttpPorts(scope: ProxyScope): number[] {
  const ports = new Set<number>();
  for (const svc of scope.services) for (const p of svc.ports) if (isHttpProtocol(p.protocol)) ports.add(p.port);
  return [...ports].sort((a, b) => a - b);
}

/** Builds every outbound route configuration of a sidecar, sorted by name. */
export function buildSidecarOutboundRoutes(scope: ProxyScope, options: SidecarRouteOptions = {}): RouteConfiguration[] {
  return sidecarHttpPorts(scope)
    .map((port) => buildSidecarRouteConfig(scope, port, options))
    .sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
}

/** Builds the route configuration for one outbound port. */
export function buildSidecarRouteConfig(scope: ProxyScope, port: number, options: SidecarRouteOptions = {}): RouteConfiguration {
  const ctx: RouteContext = { scope, port, gatewayNames: new Set([MESH_GATEWAY]), isTls: false, hashPolicy: options.hashPolicy ?? NO_HASH_POLICY };
  const services = scope.servicesForPort(port).filter((s) => s.ports.some((p) => p.port === port && isHttpProtocol(p.protocol)));
  const domainSuffix = scope.snapshot.meshConfig.domainSuffix;
  const virtualServices = scope.virtualServicesForPort(port);
  const routesOf = (vs: IndexedVirtualService): Route[] => {
    const build = () => buildHttpRoutesForVirtualService(vs, ctx);
    return options.virtualServiceRoutes ? options.virtualServiceRoutes(vs, ctx, build) : build();
  };
  const prev = options.previousBuild?.(port);
  const updated = prev && updateRouteConfig(prev, virtualServices, routesOf);
  if (updated) {
    options.recordBuild?.(port, updated);
    return updated.config;
  }
  const claimed = new Map<string, { routes: Route[] }>();
  const nonServiceHosts: { host: string; routes: Route[] }[] = [];
  const routesByVs: (Route[] | undefined)[] = [];

  // Exact hosts are looked up by name; only wildcard hosts scan the services (1,000 VirtualServices
  // × 1,000 services would otherwise cost a million comparisons per port and scope).
  const byHostname = new Map(services.map((s) => [s.hostname, s]));
  const servicesMatching = (h: string): Service[] => {
    if (!h.startsWith('*')) {
      const s = byHostname.get(h);
      return s ? [s] : [];
    }
    return services.filter((s) => hostMatches(h, s.hostname));
  };
  for (const vs of virtualServices) {
    const matchedSet = new Set<Service>();
    for (const h of vs.hosts) for (const s of servicesMatching(h)) if (!claimed.has(s.hostname)) matchedSet.add(s);
    const matched = [...matchedSet];
    const others = port === 80 ? vs.hosts.filter((h) => servicesMatching(h).length === 0) : [];
    routesByVs.push(undefined);
    if (matched.length === 0 && others.length === 0) continue;
    const routes = routesOf(vs);
    routesByVs[routesByVs.length - 1] = routes;
    if (routes.length === 0) continue;
    for (const s of matched) claimed.set(s.hostname, { routes });
    for (const h of others) nonServiceHosts.push({ host: h, routes });
  }

  const seenDomains = new Set<string>();
  const seenNames = new Set<string>();
  const vhosts: VirtualHost[] = [];
  const addVhost = (name: string, domains: string[], routes: Route[]) => {
    if (seenNames.has(name)) return;
    seenNames.add(name);
    const unique = domains.filter((d) => {
      const key = d.toLowerCase();
      if (seenDomains.has(key)) return false;
      seenDomains.add(key);
      return true;
    });
    if (unique.length > 0) vhosts.push({ name, domains: unique, routes, includeRequestAttemptCount: true });
  };
  for (const { host, routes } of nonServiceHosts) addVhost(`${host}:${port}`, [host, `${host}:${port}`], routes);
  for (const svc of services) {
    const routes = claimed.get(svc.hostname)?.routes ?? [defaultRoute(svc, port, ctx)];
    addVhost(`${svc.hostname}:${port}`, virtualHostDomains(svc, port, scope.node.namespace, domainSuffix), routes);
  }
  vhosts.sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
  vhosts.push(catchAllVirtualHost(scope.outboundTrafficPolicy === 'ALLOW_ANY', scope.egressProxyCluster));
  const config: RouteConfiguration = {
    name: String(port),
    virtualHosts: vhosts,
    validateClusters: { value: false },
    maxDirectResponseBodySizeBytes: { value: MAX_DIRECT_RESPONSE_BODY },
  };
  options.recordBuild?.(port, { virtualServices, routes: routesByVs, config });
  return config;
}

/** istiod's BuildDefaultHTTPOutboundRoute: all paths to the service port's cluster, default retries, no timeout. */
function defaultRoute(svc: Service, port: number, ctx: RouteContext): Route {
  const hash = ctx.hashPolicy(svc.hostname, undefined, port);
  const retry = convertRetryPolicy(undefined, hash !== undefined);
  return {
    name: DEFAULT_ROUTE_NAME,
    match: CATCH_ALL_MATCH,
    decorator: { operation: traceOperation(svc.hostname, port) },
    route: {
      cluster: outboundClusterName(port, '', svc.hostname),
      timeout: ZERO_DURATION,
      maxGrpcTimeout: ZERO_DURATION,
      ...(retry ? { retryPolicy: retry } : {}),
      ...(hash ? { hashPolicy: [hash] } : {}),
    },
  };
}

/**
 * istiod's buildCatchAllVirtualHost: PassthroughCluster (or the Sidecar's `egressProxy` cluster)
 * without timeout, or a 502 direct response.
 */
export function catchAllVirtualHost(allowAny: boolean, egressProxyCluster?: string): VirtualHost {
  if (allowAny) {
    return {
      name: ALLOW_ANY_VHOST,
      domains: ['*'],
      routes: [{ name: ALLOW_ANY_VHOST, match: { prefix: '/' }, route: { cluster: egressProxyCluster ?? PASSTHROUGH_CLUSTER, timeout: ZERO_DURATION, maxGrpcTimeout: ZERO_DURATION } }],
      includeRequestAttemptCount: true,
    };
  }
  return {
    name: BLOCK_ALL_VHOST,
    domains: ['*'],
    routes: [{ name: BLOCK_ALL_VHOST, match: { prefix: '/' }, directResponse: { status: 502 } }],
    includeRequestAttemptCount: true,
  };
}
