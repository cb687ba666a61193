/**
 * RDS through a {@link TranslationCache}. A sidecar's route configuration holds one virtual host
 * per service (1,000 services → 1,000 virtual hosts in the `8080` RouteConfiguration), and a change
 * to one VirtualService changes one of them. Two levels of reuse:
 *
 * - One VirtualService's routes for one port and scope are remembered under a key of every input
 *   `buildHttpRoutesForVirtualService` reads: the VirtualService's namespace, name and spec (digest),
 *   the port, the gateway names, the proxy's labels when a match uses `sourceLabels`, and the
 *   scope's part ({@link sidecarRouteScopeKey}: namespace, the services' shape, the Sidecar, the
 *   DestinationRules, the domain suffix). Unchanged VirtualServices are neither rebuilt nor
 *   digested; endpoint changes do not touch route keys.
 * - Virtual hosts and route configurations are interned: a virtual host by its own fields plus the
 *   identity of its routes (digested when the routes were not remembered, e.g. default routes), a
 *   RouteConfiguration by its other fields plus the identities of its virtual hosts. An unchanged
 *   one keeps its identity across snapshots, and equal ones are shared between scopes (the same
 *   service seen from other namespaces), so the ADS encoder (ads-route-encoding.ts) encodes a
 *   changed RouteConfiguration as one new virtual host plus cached bytes.
 *
 * - A scope's build of each port is remembered ({@link routeBuildRecords}): the next snapshot's
 *   build for the same scope inputs swaps the changed VirtualServices' routes into the remembered,
 *   already interned, route configuration instead of building and interning 1,000 virtual hosts
 *   again (route/route-config-update.ts).
 *
 * Equality with an uncached build is tested in cached-routes.test.ts.
 */
import type { HTTPRoute } from '../config/schema/virtual-service.js';
import type { Resource } from '../config/resource.js';
import type { Route, RouteConfiguration, VirtualHost } from '../envoy/types/route.js';
import type { RouteContext } from './route/route-context.js';
import type { ProxyScope } from './proxy-scope.js';
import type { SidecarRouteOptions } from './route/sidecar-outbound-routes.js';
import type { RouteBuildRecord } from './route/route-config-update.js';
import type { IndexedVirtualService } from './virtual-services.js';
import { digest, type TranslationCache } from './translation-cache.js';

/** Routes handed out by {@link virtualServiceRoutesMemo}; their identity stands for their content. */
const remembered = new WeakSet<readonly Route[]>();

/** Per-snapshot digests of VirtualService resources (the resource objects are per snapshot). */
/** Keyed by the indexed spec: a root VirtualService's merged spec is a new object whenever it is re-merged (its delegates may have changed). */
const vsDigests = new WeakMap<object, string>();

/**
 * The `virtualServiceRoutes` option of the sidecar route builder for one scope, backed by `cache`
 * (call `cache.begin(snapshot)` first). `scopeKey` must capture everything the scope contributes
 * to route building: see {@link sidecarRouteScopeKey}.
 */
export function virtualServiceRoutesMemo(cache: TranslationCache, scopeKey: string): NonNullable<SidecarRouteOptions['virtualServiceRoutes']> {
  return (vs, ctx, build) => {
    const routes = cache.memo(`rds-vs|${routesKey(vs, ctx, scopeKey)}`, build);
    remembered.add(routes);
    return routes;
  };
}

/**
 * What a sidecar scope contributes to its VirtualServices' routes, besides the VirtualService:
 * destinations resolve through the services it sees (namespace, hostname, ports and exportTo of
 * every registry service; the Sidecar resource that narrows them; the proxy's namespace), hash
 * policies come from DestinationRules (all of them, by identity; selected by namespace, and by
 * labels when `labels` is non-empty), short names resolve with the mesh domain suffix.
 */
export function sidecarRouteScopeKey(cache: TranslationCache, scope: ProxyScope, labels: string): string {
  const sidecar = scope.sidecar ? cache.idOf(scope.sidecar) : '-';
  return `${scope.node.namespace}|${labels}|${sidecar}|${cache.servicesShapeKey()}|${cache.kindKey('DestinationRule')}|${scope.snapshot.meshConfig.domainSuffix}`;
}

function routesKey(vs: IndexedVirtualService, ctx: RouteContext, scopeKey: string): string {
  let vsKey = vsDigests.get(vs.spec);
  if (vsKey === undefined) {
    vsKey = digest({ namespace: vs.namespace, name: vs.name, spec: vs.spec });
    vsDigests.set(vs.spec, vsKey);
  }
  const rules = vs.spec.http ?? [];
  // sourceLabels matches read the proxy's own labels (the scope key has them only when some config selects by label).
  const labels = usesSourceLabels(rules) ? JSON.stringify(Object.entries(ctx.scope.node.labels).sort()) : '';
  const gateways = [...ctx.gatewayNames].sort().join(',');
  return `${vsKey}|${ctx.port}|${ctx.isTls}|${gateways}|${labels}|${scopeKey}`;
}

function usesSourceLabels(rules: readonly HTTPRoute[]): boolean {
  return rules.some((r) => r.match?.some((m) => m.sourceLabels !== undefined));
}

/** `routes` with every virtual host and route configuration replaced by an equal, earlier object where there is one. */
export function internRouteConfigs(cache: TranslationCache, routes: readonly RouteConfiguration[]): RouteConfiguration[] {
  return routes.map((rc) => internRouteConfig(cache, rc));
}

function internRouteConfig(cache: TranslationCache, rc: RouteConfiguration): RouteConfiguration {
  if (interned.has(rc)) return rc;
  const name = rc.name ?? '';
  if (rc.virtualHosts === undefined) return cache.intern('rds', name, rc);
  const vhosts = rc.virtualHosts.map((vh) => internVirtualHost(cache, name, vh));
  const { virtualHosts: _vhosts, ...rest } = rc;
  const key = `rds|${name}|${JSON.stringify(rest)}|${vhosts.map((vh) => cache.idOf(vh)).join(',')}`;
  return cache.memo(key, () => ({ ...rc, virtualHosts: vhosts }));
}

function internVirtualHost(cache: TranslationCache, routeName: string, vh: VirtualHost): VirtualHost {
  if (interned.has(vh)) return vh;
  const routes = vh.routes;
  if (!routes || !remembered.has(routes)) return cache.intern('rds-vh', `${routeName}|${vh.name ?? ''}`, vh);
  const { routes: _routes, ...rest } = vh;
  return cache.memo(`rds-vh|${routeName}|${JSON.stringify(rest)}|${cache.idOf(routes)}`, () => vh);
}

/** The `previousBuild`/`recordBuild` options of one scope's route build, plus what to call after interning. */
export interface RouteBuildRecords {
  readonly previousBuild: NonNullable<SidecarRouteOptions['previousBuild']>;
  readonly recordBuild: NonNullable<SidecarRouteOptions['recordBuild']>;
  /** Records the interned route configurations (call with {@link internRouteConfigs}' result). */
  interned(routes: readonly RouteConfiguration[]): void;
}

/**
 * Remembered route builds of one scope, in `cache` (two generations, like its other entries).
 * `scopeKey` must capture every input of the build besides the VirtualServices: the route scope key
 * ({@link sidecarRouteScopeKey}) and the outbound traffic policy (the catch-all virtual host).
 */
export function routeBuildRecords(cache: TranslationCache, scopeKey: string, outboundPolicy: string): RouteBuildRecords {
  const keyOf = (port: number | string) => `rds-build|${scopeKey}|${outboundPolicy}|${port}`;
  const fresh = new Map<string, RouteBuildRecord>();
  return {
    previousBuild: (port) => cache.recall<RouteBuildRecord>(keyOf(port)),
    recordBuild: (port, record) => fresh.set(String(port), record),
    interned: (routes) => {
      for (const rc of routes) {
        const record = rc.name === undefined ? undefined : fresh.get(rc.name);
        if (!record) continue;
        const config = rc;
        interned.add(config);
        for (const vh of config.virtualHosts ?? []) interned.add(vh);
        cache.store(keyOf(rc.name!), { ...record, config });
      }
    },
  };
}

/** Virtual hosts and route configurations that came out of interning (skipped when seen again). */
const interned = new WeakSet<object>();
