/**
 * The clusters of one runtime snapshot, built lazily. Compiling a snapshot validates every Cluster
 * cheaply ({@link validateCluster}, so a bad one still NACKs the push) but builds the runtime of a
 * cluster — hosts, pools, load balancer, stats children, resilience — only when something asks for
 * it: a request routed to it ({@link ClusterTable.get}), or at compile time when it must run
 * without traffic (active health checks) or was already in use by the previous snapshot. A sidecar
 * with thousands of clusters of config typically talks to a handful of them.
 *
 * A cluster in use carries over to the next snapshot: its runtime object itself when its Cluster
 * and ClusterLoadAssignment are unchanged (same objects, or equal content), otherwise a rebuilt
 * runtime, which still reuses the manager's per-host pools. So warm keep-alive pools survive pushes.
 *
 * Memory: when the resources come as wire bytes ({@link EncodedResourceMap}, what the ADS client
 * hands over), an entry keeps the bytes of its Cluster and ClusterLoadAssignment, not their decoded
 * objects, and decodes them when asked (building the runtime, admin output); a built entry keeps
 * what it was built from. A cluster whose Cluster and assignment bytes equal the previous table's
 * is neither decoded nor validated again (validation depends on nothing else), so a push that
 * changes one assignment decodes one cluster, not thousands.
 */
import type { Cluster, ClusterLoadAssignment } from '../../envoy/types.js';
import { encodedOf, type EncodedResourceMap } from '../../xds/encoded-resources.js';
import { sameBytes } from '../../xds/ads-wire.js';
import { decodeResource } from '../../xds/protos.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { ClusterManager, UpstreamCluster } from './cluster-manager.js';
import { sameContent } from './same-content.js';

/** One configured cluster: its config, its load assignment (both decoded on access) and, once built, its runtime. */
export interface ClusterEntry {
  readonly config: Cluster;
  /** The EDS assignment (EDS clusters; undefined until it arrives or for other types). */
  readonly cla: ClusterLoadAssignment | undefined;
  runtime: UpstreamCluster | undefined;
}

/** A resource as an entry holds it: its wire bytes (decoded on each access) or its object. */
interface Ref<T> {
  readonly bytes?: Uint8Array;
  readonly obj?: T;
}

function refTo<T extends object>(map: ReadonlyMap<string, object>, name: string): Ref<T> | undefined {
  const bytes = encodedOf(map, name);
  if (bytes !== undefined) return { bytes };
  const obj = map.get(name) as T | undefined;
  return obj === undefined ? undefined : { obj };
}

function deref<T>(typeUrl: string, r: Ref<T> | undefined): T | undefined {
  if (r === undefined) return undefined;
  return r.obj ?? decodeResource<T>(typeUrl, r.bytes!);
}

/** Both absent, or the same bytes (no decoding). */
function sameBytesRef(a: Ref<unknown> | undefined, b: Ref<unknown> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.bytes !== undefined && b.bytes !== undefined && sameBytes(a.bytes, b.bytes);
}

/** Same content: bytes compared when both have them, decoded objects otherwise. */
function sameRef<T>(typeUrl: string, a: Ref<T> | undefined, b: Ref<T> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.bytes !== undefined && b.bytes !== undefined) return sameBytes(a.bytes, b.bytes);
  return sameContent(deref(typeUrl, a), deref(typeUrl, b));
}

/** What a compiled table knows about one cluster. */
class Entry implements ClusterEntry {
  runtime: UpstreamCluster | undefined = undefined;
  /** What the runtime was built from (kept while it is built). */
  held: { readonly config: Cluster; readonly cla: ClusterLoadAssignment | undefined } | undefined;

  constructor(
    readonly configRef: Ref<Cluster>,
    /** EDS clusters only. */
    readonly claRef: Ref<ClusterLoadAssignment> | undefined,
    /** `edsClusterConfig.serviceName`, else the cluster name. */
    readonly service: string,
    readonly isEds: boolean,
    readonly healthChecked: boolean,
  ) {}

  get config(): Cluster {
    return this.held?.config ?? deref(TypeUrl.Cluster, this.configRef)!;
  }

  get cla(): ClusterLoadAssignment | undefined {
    if (this.held !== undefined) return this.held.cla;
    return deref(TypeUrl.ClusterLoadAssignment, this.claRef);
  }

  /** Builds the runtime from the given (decoded) config and assignment and keeps them. */
  build(manager: ClusterManager, config: Cluster, cla: ClusterLoadAssignment | undefined): UpstreamCluster {
    const rt = manager.build(config, cla);
    this.runtime = rt;
    this.held = { config, cla };
    return rt;
  }
}

/**
 * A read-only map of cluster name → {@link UpstreamCluster} whose values are built on first
 * {@link get}. `size`, `has` and `keys` never build; `values`, `entries`, `forEach` and iteration
 * build every cluster (use {@link built} to walk only the clusters in use).
 */
export class ClusterTable implements ReadonlyMap<string, UpstreamCluster> {
  /** @internal use {@link compileClusters} */
  constructor(
    private readonly entryMap: ReadonlyMap<string, Entry>,
    private readonly manager: ClusterManager,
  ) {}

  /** Number of configured clusters (built or not). */
  get size(): number {
    return this.entryMap.size;
  }

  /** True when a cluster of this name is configured. */
  has(name: string): boolean {
    return this.entryMap.has(name);
  }

  /** The runtime of a cluster, built (and cached) on first use; undefined when not configured. */
  get(name: string): UpstreamCluster | undefined {
    const e = this.entryMap.get(name);
    if (e === undefined) return undefined;
    return e.runtime ?? this.buildLazily(e);
  }

  /** The decoded config of a cluster, without building it. */
  config(name: string): Cluster | undefined {
    return this.entryMap.get(name)?.config;
  }

  /** Every configured cluster's entry (built or not): admin output, snapshot carry-over. */
  configured(): IterableIterator<[string, Readonly<ClusterEntry>]> {
    return this.entryMap.entries();
  }

  /** The runtimes built so far (the clusters in use). */
  *built(): IterableIterator<UpstreamCluster> {
    for (const e of this.entryMap.values()) if (e.runtime !== undefined) yield e.runtime;
  }

  /** Cluster names (never builds). */
  keys(): IterableIterator<string> {
    return this.entryMap.keys();
  }

  /** Every cluster's runtime: builds all of them. */
  *values(): IterableIterator<UpstreamCluster> {
    for (const name of this.entryMap.keys()) yield this.get(name)!;
  }

  /** `[name, runtime]` for every cluster: builds all of them. */
  *entries(): IterableIterator<[string, UpstreamCluster]> {
    for (const name of this.entryMap.keys()) yield [name, this.get(name)!];
  }

  /** Calls `fn` for every cluster: builds all of them. */
  forEach(fn: (value: UpstreamCluster, key: string, map: ReadonlyMap<string, UpstreamCluster>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  [Symbol.iterator](): IterableIterator<[string, UpstreamCluster]> {
    return this.entries();
  }

  /** @internal Every entry, for the next table's carry-over ({@link compileClusters}). */
  entriesForCarryOver(): ReadonlyMap<string, Entry> {
    return this.entryMap;
  }

  private buildLazily(e: Entry): UpstreamCluster {
    const rt = e.build(this.manager, e.config, e.cla);
    this.manager.adopt(this, rt);
    return rt;
  }
}

/** What {@link compileClusters} needs: the configured clusters and their assignments. */
export interface ClusterSources {
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly endpoints: ReadonlyMap<string, ClusterLoadAssignment>;
}

/**
 * The cluster table of a new snapshot. `validate` runs for every cluster (it throws for one that
 * cannot be served) except one whose Cluster and assignment bytes equal the `previous` table's (it
 * passed then); runtimes are built now only for clusters with active health checks and for
 * clusters the `previous` table had built (reused as they are when config and assignment are unchanged).
 * `onError` wraps a failure with the cluster's name.
 */
export function compileClusters(
  sources: ClusterSources, manager: ClusterManager, previous: ClusterTable | undefined,
  validate: (c: Cluster, cla: ClusterLoadAssignment | undefined) => void, onError: (name: string, err: unknown) => Error,
): ClusterTable {
  const prev = previous?.entriesForCarryOver();
  const entries = new Map<string, Entry>();
  const decodedNow = new Map<string, Cluster>();
  for (const name of sources.clusters.keys()) {
    const configRef = refTo<Cluster>(sources.clusters, name)!;
    const old = prev?.get(name);
    const sameConfigBytes = old !== undefined && sameBytesRef(old.configRef, configRef);
    let config: Cluster | undefined;
    let service: string;
    let isEds: boolean;
    let healthChecked: boolean;
    if (sameConfigBytes) {
      ({ service, isEds, healthChecked } = old);
    } else {
      config = sources.clusters.get(name)!;
      service = config.edsClusterConfig?.serviceName || name;
      isEds = config.type === 'EDS';
      healthChecked = (config.healthChecks?.length ?? 0) > 0;
    }
    const claRef = isEds ? refTo<ClusterLoadAssignment>(sources.endpoints, service) : undefined;
    if (!(sameConfigBytes && sameBytesRef(old.claRef, claRef))) {
      config ??= sources.clusters.get(name)!;
      try {
        // Non-EDS clusters are validated with their own loadAssignment (validate ignores `cla` for them).
        validate(config, deref(TypeUrl.ClusterLoadAssignment, claRef));
      } catch (err) {
        throw onError(name, err);
      }
      // Kept only for the clusters the second loop may build (few): not thousands of objects at once.
      if (old?.runtime !== undefined || healthChecked) decodedNow.set(name, config);
    }
    entries.set(name, new Entry(configRef, claRef, service, isEds, healthChecked));
  }
  const table = new ClusterTable(entries, manager);
  for (const [name, e] of entries) {
    const old = prev?.get(name);
    const built = old?.runtime !== undefined ? old : undefined;
    if (built !== undefined && sameRef(TypeUrl.Cluster, built.configRef, e.configRef) && sameRef(TypeUrl.ClusterLoadAssignment, built.claRef, e.claRef)) {
      e.runtime = built.runtime;
      e.held = built.held;
      continue;
    }
    if (built === undefined && !e.healthChecked) continue;
    try {
      e.build(manager, decodedNow.get(name) ?? e.config, e.cla);
    } catch (err) {
      throw onError(name, err);
    }
  }
  return table;
}
