/**
 * Updating a sidecar's outbound RouteConfiguration in place of rebuilding it. In a mesh of 1,000
 * services the `8080` RouteConfiguration has 1,000 virtual hosts, and a change to one
 * VirtualService changes one of them; rebuilding all of them in every scope is most of what a push
 * costs. A {@link RouteBuildRecord} remembers one build: the VirtualServices it saw for the port,
 * the routes each one produced, and the result. When the next build for the same scope inputs sees
 * the same VirtualServices (same names and hosts, in the same order) and a changed one still
 * produces routes exactly when it did before, the VirtualService → service claims, the virtual host
 * names and domains are all unchanged; only the changed VirtualServices' routes are swapped into
 * their virtual hosts. Anything else falls back to a full build. Equality with a full build is
 * tested in cached-routes.test.ts.
 *
 * The caller must only hand a record back to a build whose scope inputs other than the
 * VirtualServices are those of the recorded build (see translate/cached-routes.ts).
 */
import type { Route, RouteConfiguration } from '../../envoy/types/route.js';
import type { IndexedVirtualService } from '../virtual-services.js';

/** One build of a route configuration for one port, as remembered for the next build. */
export interface RouteBuildRecord {
  /** The VirtualServices for the port, in order. */
  readonly virtualServices: readonly IndexedVirtualService[];
  /** Per VirtualService: the routes it produced, or undefined when it matched nothing (not built). */
  readonly routes: readonly (readonly Route[] | undefined)[];
  /** The route configuration built. */
  readonly config: RouteConfiguration;
}

/**
 * The route configuration for `virtualServices`, derived from `prev` by swapping the routes of the
 * VirtualServices that changed, with the record of it; undefined when a full build is needed.
 * `routesOf` builds (or hands out the remembered) routes of a VirtualService.
 */
export function updateRouteConfig(
  prev: RouteBuildRecord,
  virtualServices: readonly IndexedVirtualService[],
  routesOf: (vs: IndexedVirtualService) => readonly Route[],
): RouteBuildRecord | undefined {
  if (prev.virtualServices.length !== virtualServices.length || !prev.config.virtualHosts) return undefined;
  const routes = prev.routes.slice();
  const swapped = new Map<readonly Route[], readonly Route[]>();
  for (let i = 0; i < virtualServices.length; i++) {
    const before = prev.virtualServices[i]!;
    const now = virtualServices[i]!;
    if (before === now || before.resource === now.resource) continue;
    if (before.namespace !== now.namespace || before.name !== now.name || !sameStrings(before.hosts, now.hosts)) return undefined;
    const old = prev.routes[i];
    // It matched no service or host before; with the same hosts it matches none now.
    if (old === undefined) continue;
    const next = routesOf(now);
    // Whether it claims its hosts depends on it having routes.
    if ((next.length === 0) !== (old.length === 0)) return undefined;
    routes[i] = next;
    if (next !== old) {
      // Routes are never shared between two VirtualServices (cached per VirtualService); be safe.
      if (swapped.has(old)) return undefined;
      swapped.set(old, next);
    }
  }
  if (swapped.size === 0) return { virtualServices, routes, config: prev.config };
  const virtualHosts = prev.config.virtualHosts.map((vh) => {
    const next = vh.routes && swapped.get(vh.routes);
    return next ? { ...vh, routes: next as Route[] } : vh;
  });
  return { virtualServices, routes, config: { ...prev.config, virtualHosts } };
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
