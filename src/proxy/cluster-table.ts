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
 */
import type { Cluster, ClusterLoadAssignment } from '../envoy/types.js';
import type { ClusterManager, UpstreamCluster } from './cluster-manager.js';
import { sameContent } from './same-content.js';

/** One configured cluster: its decoded config, its load assignment and, once built, its runtime. */
export interface ClusterEntry {
  readonly config: Cluster;
  /** The EDS assignment (EDS clusters; undefined until it arrives or for other types). */
  readonly cla: ClusterLoadAssignment | undefined;
  runtime: UpstreamCluster | undefined;
}

/**
 * A read-only map of cluster name → {@link UpstreamCluster} whose values are built on first
 * {@link get}. `size`, `has` and `keys` never build; `values`, `entries`, `forEach` and iteration
 * build every cluster (use {@link built} to walk only the clusters in use).
 */
export class ClusterTable implements ReadonlyMap<string, UpstreamCluster> {
  constructor(
    private readonly entryMap: ReadonlyMap<string, ClusterEntry>,
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

  private buildLazily(e: ClusterEntry): UpstreamCluster {
    const rt = this.manager.build(e.config, e.cla);
    e.runtime = rt;
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
 * cannot be served); runtimes are built now only for clusters with active health checks and for
 * clusters the `previous` table had built (reused as they are when config and assignment are unchanged).
 * `onError` wraps a failure with the cluster's name.
 */
export function compileClusters(
  sources: ClusterSources, manager: ClusterManager, previous: ClusterTable | undefined,
  validate: (c: Cluster, cla: ClusterLoadAssignment | undefined) => void, onError: (name: string, err: unknown) => Error,
): ClusterTable {
  const entries = new Map<string, ClusterEntry>();
  for (const [name, config] of sources.clusters) {
    const cla = sources.endpoints.get(config.edsClusterConfig?.serviceName || name);
    try {
      validate(config, cla);
    } catch (err) {
      throw onError(name, err);
    }
    entries.set(name, { config, cla: config.type === 'EDS' ? cla : undefined, runtime: undefined });
  }
  const table = new ClusterTable(entries, manager);
  const prev = new Map<string, Readonly<ClusterEntry>>();
  if (previous !== undefined) for (const [name, e] of previous.configured()) if (e.runtime !== undefined) prev.set(name, e);
  for (const [name, e] of entries) {
    const old = prev.get(name);
    if (old !== undefined && sameContent(old.config, e.config) && sameContent(old.cla, e.cla)) {
      e.runtime = old.runtime;
      continue;
    }
    if (old === undefined && (e.config.healthChecks?.length ?? 0) === 0) continue;
    try {
      e.runtime = manager.build(e.config, e.cla);
    } catch (err) {
      throw onError(name, err);
    }
  }
  return table;
}
