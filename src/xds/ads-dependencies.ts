/**
 * Which named resources an ADS client should subscribe to next, derived from what it already
 * accepted. Envoy fetches all Listeners and Clusters (wildcard), then the RouteConfigurations the
 * listeners reference and the ClusterLoadAssignments of the EDS clusters; Secrets follow the SDS
 * references inside clusters and listeners. The client calls a {@link SubscriptionResolver} after
 * each accepted update and re-subscribes when a type's name list changed.
 */
import { TypeUrl } from './protos.js';

/** Accepted resources of a client: type URL → name → decoded resource object. */
export type AcceptedResources = ReadonlyMap<string, ReadonlyMap<string, object>>;

/**
 * Maps everything accepted so far to the names wanted per named type (EDS, RDS, SDS, or any other
 * type URL the client should request by name). A type absent from the result keeps its current
 * names; an empty list unsubscribes from all names of that type.
 */
export type SubscriptionResolver = (accepted: AcceptedResources) => Map<string, string[]>;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !ArrayBuffer.isView(v);
}

/** Calls `visit` on every object nested in `root` (arrays and objects, depth first). */
function walk(root: unknown, visit: (o: Obj) => void): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (isObj(v)) {
      visit(v);
      for (const x of Object.values(v)) if (typeof x === 'object' && x !== null) stack.push(x);
    }
  }
}

/** Service names of the clusters of type EDS (`edsClusterConfig.serviceName`, else the cluster name). */
export function edsNames(clusters: Iterable<object>): string[] {
  const out = new Set<string>();
  for (const c of clusters as Iterable<Obj>) {
    if (c['type'] !== 'EDS') continue;
    const eds = c['edsClusterConfig'];
    const service = isObj(eds) && typeof eds['serviceName'] === 'string' && eds['serviceName'] ? eds['serviceName'] : c['name'];
    if (typeof service === 'string' && service) out.add(service);
  }
  return [...out].sort();
}

/**
 * Route configuration names referenced by HttpConnectionManagers with `rds.routeConfigName`,
 * wherever they sit in the listeners (filter chains, default filter chain, API listener).
 */
export function rdsNames(listeners: Iterable<object>): string[] {
  const out = new Set<string>();
  for (const l of listeners) {
    walk(l, (o) => {
      if (o['@type'] !== TypeUrl.HttpConnectionManager) return;
      const rds = o['rds'];
      if (isObj(rds) && typeof rds['routeConfigName'] === 'string' && rds['routeConfigName']) out.add(rds['routeConfigName']);
    });
  }
  return [...out].sort();
}

/** Secret names of every SdsSecretConfig (`{name, sdsConfig}`) inside the given resources. */
export function sdsNames(resources: Iterable<object>): string[] {
  const out = new Set<string>();
  for (const r of resources) {
    walk(r, (o) => {
      if (typeof o['name'] === 'string' && o['name'] && isObj(o['sdsConfig'])) out.add(o['name']);
    });
  }
  return [...out].sort();
}

/** Envoy's behaviour: EDS for EDS clusters, RDS for HCM `rds` references, SDS for SDS references. */
export const defaultSubscriptions: SubscriptionResolver = (accepted) => {
  const clusters = [...(accepted.get(TypeUrl.Cluster)?.values() ?? [])];
  const listeners = [...(accepted.get(TypeUrl.Listener)?.values() ?? [])];
  return new Map([
    [TypeUrl.ClusterLoadAssignment, edsNames(clusters)],
    [TypeUrl.RouteConfiguration, rdsNames(listeners)],
    [TypeUrl.Secret, sdsNames([...clusters, ...listeners])],
  ]);
};
