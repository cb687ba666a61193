/**
 * Cluster warming and "make before break" for the proxy's xDS resources: from what the ADS client
 * accepted, the resources the next runtime snapshot is compiled from, such that a route never
 * points at a cluster the proxy does not have warm, and a cluster the routes in force still use is
 * not dropped before they stop using it.
 *
 * Envoy's semantics followed (docs: intro/arch_overview/upstream/cluster_manager "Cluster warming",
 * api-docs/xds_protocol "Resource warming"; source: cluster_manager_impl.cc):
 * - A new EDS cluster is "warming" until its ClusterLoadAssignment arrives, or until its
 *   `edsClusterConfig.edsConfig.initialFetchTimeout` passes (default 15 s; 0 = no timeout, as
 *   istiod sets it). A warming cluster is invisible to routing; an updated cluster that is still
 *   warming leaves the previous version of that cluster serving until it warms.
 * - Envoy pauses its CDS ACK while clusters warm so an ADS server can hold RDS back; Weft's
 *   server, like istiod, sends CDS → EDS → LDS → RDS in one push without waiting, and the EDS of a
 *   new cluster is only requested after CDS is accepted, so the new routes can arrive first. The
 *   proxy therefore applies a changed RouteConfiguration only once every cluster it names that is
 *   warming has warmed; meanwhile the previous version of that RouteConfiguration stays in force.
 *   The hold is bounded ({@link DEFAULT_ROUTE_HOLD_MS}): past it the route is applied as Envoy
 *   would (requests to a still-warming cluster get 503 NC).
 * - Deviation from Envoy, deliberate: Envoy removes a cluster as soon as CDS drops it, so routes
 *   still naming it answer 503 NC until the new RDS lands (Istio documents the workaround: change
 *   the VirtualService first, wait, then remove the subset — its "make before break" guideline).
 *   Weft keeps a removed cluster (config and last endpoints) while a RouteConfiguration or
 *   listener in force still names it, for at most {@link DEFAULT_RETAIN_MS}, so one apply that
 *   renames a subset in a DestinationRule and its VirtualService loses no request.
 *
 * Pure logic: time is passed in; the proxy calls {@link ClusterWarming.resolve} on every accepted
 * update and at {@link WarmingPlan.nextDeadline}, compiles the plan's resources, and on success
 * {@link ClusterWarming.commit}s the plan.
 */
import type { Cluster, ClusterLoadAssignment } from '../../envoy/types.js';
import { EncodedResourceMap, encodedOf } from '../../xds/encoded-resources.js';
import { sameBytes } from '../../xds/ads-wire.js';
import { DEFAULT_INITIAL_FETCH_TIMEOUT_MS } from '../../envoy/defaults.js';
import { durationMs } from '../../envoy/duration.js';
import type { XdsResources } from './xds-resources.js';
import { sameContent } from './same-content.js';

/** How long a changed RouteConfiguration waits at most for the clusters it names to warm. */
export const DEFAULT_ROUTE_HOLD_MS = 15_000;
/** How long a cluster removed from CDS is kept at most while the routes in force still name it. */
export const DEFAULT_RETAIN_MS = 15_000;

/** Bounds of {@link ClusterWarming}. */
export interface WarmingOptions {
  /** Default {@link DEFAULT_ROUTE_HOLD_MS}. */
  readonly routeHoldMs?: number;
  /** Default {@link DEFAULT_RETAIN_MS}. */
  readonly retainMs?: number;
  /** Initial fetch timeout of EDS clusters that set none; default {@link DEFAULT_INITIAL_FETCH_TIMEOUT_MS}. */
  readonly defaultFetchTimeoutMs?: number;
}

/** The resources to serve now, and why they differ from what was accepted. */
export interface WarmingPlan {
  /** What the snapshot is compiled from (the accepted resources when nothing is warming, held or retained). */
  readonly resources: XdsResources;
  /** Accepted clusters not warm yet (not served, or served in their previous version). */
  readonly warming: readonly string[];
  /** RouteConfigurations whose accepted version waits for warming clusters (the previous one serves). */
  readonly heldRoutes: readonly string[];
  /** Clusters removed from CDS still served because routes or listeners in force name them. */
  readonly retained: readonly string[];
  /** Clusters that stopped warming by timeout in this plan (activated without endpoints). */
  readonly timedOut: readonly string[];
  /** When (ms, the `now` clock) the plan must be resolved again because a bound runs out; undefined when never. */
  readonly nextDeadline: number | undefined;
  /** @internal since-times carried to the next resolve once committed */
  readonly since: Readonly<Since>;
}

interface Since {
  warming: Map<string, number>;
  held: Map<string, number>;
  retained: Map<string, number>;
}

type Obj = Record<string, unknown>;

/** Same resource under `name` in both maps: same bytes when both are encoded, else same (or equal) object. */
function sameEntry(a: ReadonlyMap<string, object>, b: ReadonlyMap<string, object>, name: string): boolean {
  const ba = encodedOf(a, name);
  const bb = encodedOf(b, name);
  if (ba !== undefined && bb !== undefined) return sameBytes(ba, bb);
  if (!a.has(name) || !b.has(name)) return false;
  return sameContent(a.get(name), b.get(name));
}

const refsCache = new WeakMap<object, readonly string[]>();

/**
 * Cluster names a RouteConfiguration or Listener names: route `cluster`, `weightedClusters`
 * entries, mirror policies' `cluster`, tcp_proxy `cluster` and its weighted clusters, inline
 * route configurations (memoised per decoded object; unchanged resources keep their objects).
 */
export function clusterRefs(resource: object): readonly string[] {
  const cached = refsCache.get(resource);
  if (cached) return cached;
  const out = new Set<string>();
  const stack: unknown[] = [resource];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) continue;
    const o = v as Obj;
    if (typeof o['cluster'] === 'string' && o['cluster']) out.add(o['cluster']);
    const wc = o['weightedClusters'];
    if (typeof wc === 'object' && wc !== null) {
      for (const c of ((wc as Obj)['clusters'] as unknown[] | undefined) ?? []) {
        const n = (c as Obj | null)?.['name'];
        if (typeof n === 'string' && n) out.add(n);
      }
    }
    for (const x of Object.values(o)) if (typeof x === 'object' && x !== null) stack.push(x);
  }
  const refs = [...out];
  refsCache.set(resource, refs);
  return refs;
}

/** The EDS service name of an EDS cluster (`edsClusterConfig.serviceName`, else its name); undefined for other types. */
function edsService(c: Cluster, name: string): string | undefined {
  if (c.type !== 'EDS') return undefined;
  return c.edsClusterConfig?.serviceName || name;
}

/** Tracks warming, held routes and retained clusters across updates. See the file comment. */
export class ClusterWarming {
  private readonly routeHoldMs: number;
  private readonly retainMs: number;
  private readonly defaultFetchTimeoutMs: number;
  private served: XdsResources | undefined;
  private since: Since = { warming: new Map(), held: new Map(), retained: new Map() };

  constructor(options: WarmingOptions = {}) {
    this.routeHoldMs = options.routeHoldMs ?? DEFAULT_ROUTE_HOLD_MS;
    this.retainMs = options.retainMs ?? DEFAULT_RETAIN_MS;
    this.defaultFetchTimeoutMs = options.defaultFetchTimeoutMs ?? DEFAULT_INITIAL_FETCH_TIMEOUT_MS;
  }

  /** What to serve for the `accepted` resources at time `now` (nothing changes until {@link commit}). */
  resolve(accepted: XdsResources, now: number): WarmingPlan {
    const prev = this.served;
    const since: Since = { warming: new Map(), held: new Map(), retained: new Map() };
    const deadlines: number[] = [];
    const timedOut: string[] = [];

    // 1. Clusters: which accepted ones are warm; a warming one that was served keeps its served version.
    const warming = new Set<string>();
    const keepServedCluster = new Set<string>();
    for (const name of accepted.clusters.keys()) {
      if (prev && sameEntry(prev.clusters, accepted.clusters, name)) continue; // served as it is: warm
      const c = accepted.clusters.get(name)!;
      const service = edsService(c, name);
      if (service === undefined || accepted.endpoints.has(service)) continue;
      const t0 = this.since.warming.get(name) ?? now;
      const configured = durationMs(c.edsClusterConfig?.edsConfig?.initialFetchTimeout);
      const timeout = configured === undefined ? this.defaultFetchTimeoutMs : configured === 0 ? Infinity : configured;
      if (now - t0 >= timeout) {
        timedOut.push(name);
        continue;
      }
      warming.add(name);
      since.warming.set(name, t0);
      if (timeout !== Infinity) deadlines.push(t0 + timeout);
      if (prev?.clusters.has(name)) keepServedCluster.add(name);
    }

    // 2. Routes: a changed one naming a warming cluster waits (bounded), its served version stays.
    const heldRoutes: string[] = [];
    if (prev && warming.size > 0) {
      for (const [name, rc] of accepted.routes) {
        if (!prev.routes.has(name) || sameEntry(prev.routes, accepted.routes, name)) continue;
        if (!clusterRefs(rc).some((c) => warming.has(c))) continue;
        const t0 = this.since.held.get(name) ?? now;
        if (now - t0 >= this.routeHoldMs) continue;
        heldRoutes.push(name);
        since.held.set(name, t0);
        deadlines.push(t0 + this.routeHoldMs);
      }
    }
    const held = new Set(heldRoutes);

    // 3. Clusters removed from CDS that the routes or listeners in force still name are kept (bounded).
    const retained: string[] = [];
    if (prev) {
      let inUse: Set<string> | undefined;
      for (const name of prev.clusters.keys()) {
        if (accepted.clusters.has(name)) continue;
        inUse ??= this.namesInUse(accepted, prev, held);
        if (!inUse.has(name)) continue;
        const t0 = this.since.retained.get(name) ?? now;
        if (now - t0 >= this.retainMs) continue;
        retained.push(name);
        since.retained.set(name, t0);
        deadlines.push(t0 + this.retainMs);
      }
    }

    const resources = warming.size === 0 && held.size === 0 && retained.length === 0
      ? accepted
      : this.compose(accepted, prev!, warming, keepServedCluster, held, retained);
    return {
      resources, warming: [...warming], heldRoutes, retained, timedOut,
      nextDeadline: deadlines.length ? Math.min(...deadlines) : undefined, since,
    };
  }

  /** Records a plan as served (call once its snapshot compiled and was swapped in). */
  commit(plan: WarmingPlan): void {
    this.served = plan.resources;
    this.since = { warming: new Map(plan.since.warming), held: new Map(plan.since.held), retained: new Map(plan.since.retained) };
  }

  /** Cluster names the routes and listeners that will be in force name. */
  private namesInUse(accepted: XdsResources, prev: XdsResources, held: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    for (const [name, rc] of accepted.routes) {
      const inForce = held.has(name) ? prev.routes.get(name)! : rc;
      for (const c of clusterRefs(inForce)) out.add(c);
    }
    for (const l of accepted.listeners.values()) for (const c of clusterRefs(l)) out.add(c);
    return out;
  }

  /** The accepted resources with served versions put back where warming, held or retained. */
  private compose(
    accepted: XdsResources, prev: XdsResources, warming: ReadonlySet<string>, keepServed: ReadonlySet<string>,
    held: ReadonlySet<string>, retained: readonly string[],
  ): XdsResources {
    const clusterPut = new Map<string, ReadonlyMap<string, object>>();
    const clusterDrop = new Set<string>();
    const endpointPut = new Map<string, ReadonlyMap<string, object>>();
    const keepEndpointsOf = (name: string): void => {
      const service = edsService(prev.clusters.get(name)!, name);
      if (service === undefined || accepted.endpoints.has(service)) return;
      if (prev.endpoints.has(service)) endpointPut.set(service, prev.endpoints);
    };
    for (const name of warming) {
      if (keepServed.has(name)) {
        clusterPut.set(name, prev.clusters);
        keepEndpointsOf(name);
      } else {
        clusterDrop.add(name);
      }
    }
    for (const name of retained) {
      clusterPut.set(name, prev.clusters);
      keepEndpointsOf(name);
    }
    const routePut = new Map<string, ReadonlyMap<string, object>>();
    for (const name of held) routePut.set(name, prev.routes);
    return {
      ...accepted,
      clusters: overlay(accepted.clusters, clusterPut, clusterDrop) as ReadonlyMap<string, Cluster>,
      endpoints: overlay(accepted.endpoints, endpointPut, new Set()) as ReadonlyMap<string, ClusterLoadAssignment>,
      routes: overlay(accepted.routes, routePut, new Set()) as XdsResources['routes'],
    };
  }
}

/**
 * `base` with some names taken from other maps and some dropped. Encoded maps stay encoded (same
 * bytes objects, and held decoded objects kept, so unchanged resources keep their identity and
 * the snapshot compiler's caches); `base` itself when there is nothing to change.
 */
function overlay(base: ReadonlyMap<string, object>, put: ReadonlyMap<string, ReadonlyMap<string, object>>, drop: ReadonlySet<string>): ReadonlyMap<string, object> {
  if (put.size === 0 && drop.size === 0) return base;
  const encoded = base instanceof EncodedResourceMap && [...put.values()].every((m) => m instanceof EncodedResourceMap);
  if (encoded) {
    const b = base as EncodedResourceMap;
    const bytes = new Map<string, Uint8Array>();
    const decoded = new Map<string, object>();
    const take = (from: EncodedResourceMap, name: string): void => {
      bytes.set(name, from.encoded(name)!);
      const h = from.held(name);
      if (h !== undefined) decoded.set(name, h);
    };
    for (const name of b.keys()) if (!drop.has(name) && !put.has(name)) take(b, name);
    for (const [name, from] of put) if (from.has(name)) take(from as EncodedResourceMap, name);
    return new EncodedResourceMap(b.typeUrl, bytes, b.lazy, decoded);
  }
  const out = new Map<string, object>();
  for (const [name, v] of base) if (!drop.has(name) && !put.has(name)) out.set(name, v);
  for (const [name, from] of put) {
    const v = from.get(name);
    if (v !== undefined) out.set(name, v);
  }
  return out;
}
