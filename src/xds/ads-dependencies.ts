/**
 * Which named resources an ADS client should subscribe to next, derived from what it already
 * accepted. Envoy fetches all Listeners and Clusters (wildcard), then the RouteConfigurations the
 * listeners reference and the ClusterLoadAssignments of the EDS clusters; Secrets follow the SDS
 * references inside clusters and listeners. The client calls a {@link SubscriptionResolver} after
 * each accepted update and re-subscribes when a type's name list changed.
 */
import { TypeUrl } from '../envoy/type-url.js';
import { EncodedResourceMap } from './encoded-resources.js';

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

/** The names one resource references (per dependent type), memoised by its wire bytes. */
interface Refs {
  readonly eds: readonly string[];
  readonly rds: readonly string[];
  readonly sds: readonly string[];
}

const NO_REFS: Refs = { eds: [], rds: [], sds: [] } as const;
const refsByBytes = new WeakMap<Uint8Array, Refs>();

const NONE: readonly string[] = Object.freeze([]);

/** `names`, or one shared empty list (thousands of resources reference nothing of a type). */
function orNone(names: string[]): readonly string[] {
  return names.length === 0 ? NONE : names;
}

function refsOfObject(typeUrl: string, obj: object): Refs {
  if (typeUrl === TypeUrl.Cluster) return { eds: orNone(edsNames([obj])), rds: NONE, sds: orNone(sdsNames([obj])) };
  return { eds: NONE, rds: orNone(rdsNames([obj])), sds: orNone(sdsNames([obj])) };
}

/**
 * Remembers what one resource references, keyed by its bytes object, so the default resolver does
 * not decode it again; the ADS client calls this for every resource it decodes.
 */
export function rememberRefs(typeUrl: string, bytes: Uint8Array, obj: object): void {
  if (typeUrl === TypeUrl.Cluster || typeUrl === TypeUrl.Listener) refsByBytes.set(bytes, refsOfObject(typeUrl, obj));
}

/**
 * What each resource of `map` references. Resources of an {@link EncodedResourceMap} are looked at
 * once per distinct bytes object (an unchanged resource keeps its bytes across pushes), so after
 * each update only the new or changed ones are decoded and walked.
 */
function* refsOf(typeUrl: string, map: ReadonlyMap<string, object> | undefined): Iterable<Refs> {
  if (map === undefined) return;
  if (!(map instanceof EncodedResourceMap)) {
    for (const obj of map.values()) yield refsOfObject(typeUrl, obj);
    return;
  }
  for (const [name, bytes] of map.encodedEntries()) {
    let refs = refsByBytes.get(bytes);
    if (refs === undefined) {
      const obj = map.get(name);
      refs = obj === undefined ? NO_REFS : refsOfObject(typeUrl, obj);
      refsByBytes.set(bytes, refs);
    }
    yield refs;
  }
}

/** Envoy's behaviour: EDS for EDS clusters, RDS for HCM `rds` references, SDS for SDS references. */
export const defaultSubscriptions: SubscriptionResolver = (accepted) => {
  const eds = new Set<string>();
  const rds = new Set<string>();
  const sds = new Set<string>();
  for (const typeUrl of [TypeUrl.Cluster, TypeUrl.Listener]) {
    for (const r of refsOf(typeUrl, accepted.get(typeUrl))) {
      for (const n of r.eds) eds.add(n);
      for (const n of r.rds) rds.add(n);
      for (const n of r.sds) sds.add(n);
    }
  }
  return new Map([
    [TypeUrl.ClusterLoadAssignment, [...eds].sort()],
    [TypeUrl.RouteConfiguration, [...rds].sort()],
    [TypeUrl.Secret, [...sds].sort()],
  ]);
};
