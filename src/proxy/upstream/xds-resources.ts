/**
 * The xDS resources a proxy has accepted (listeners, routes, clusters, endpoints by name, and the
 * accepted version per type URL): what the runtime snapshot is compiled from
 * (`listener/runtime-snapshot.ts`) and what cluster warming compares pushes against
 * (`cluster-warming.ts`). Each push replaces a whole type, as in Envoy's state-of-the-world xDS
 * (a SotW response carries every resource of its type).
 */
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';

/** The accepted xDS resources a snapshot is compiled from, by name, with their versions. */
export interface XdsResources {
  readonly listeners: ReadonlyMap<string, Listener>;
  readonly routes: ReadonlyMap<string, RouteConfiguration>;
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly endpoints: ReadonlyMap<string, ClusterLoadAssignment>;
  /** Accepted version per type URL. */
  readonly versions: Readonly<Record<string, string>>;
}

/** No resources at all (the proxy before its first push). */
export const EMPTY_RESOURCES: XdsResources = Object.freeze({
  listeners: new Map(), routes: new Map(), clusters: new Map(), endpoints: new Map(), versions: Object.freeze({}),
});

/** `resources` with one type replaced by an update; unknown types leave it unchanged. */
export function withUpdate(resources: XdsResources, typeUrl: string, update: ReadonlyMap<string, object>, version: string): XdsResources {
  const versions = { ...resources.versions, [typeUrl]: version };
  switch (typeUrl) {
    case TypeUrl.Listener:
      return { ...resources, versions, listeners: update as ReadonlyMap<string, Listener> };
    case TypeUrl.RouteConfiguration:
      return { ...resources, versions, routes: update as ReadonlyMap<string, RouteConfiguration> };
    case TypeUrl.Cluster:
      return { ...resources, versions, clusters: update as ReadonlyMap<string, Cluster> };
    case TypeUrl.ClusterLoadAssignment:
      return { ...resources, versions, endpoints: update as ReadonlyMap<string, ClusterLoadAssignment> };
    default:
      return { ...resources, versions };
  }
}

