/**
 * The model snapshot: one immutable view of all validated configuration plus the registry and mesh
 * config, built once per change. Everything downstream (translation, analysis, explain) reads this
 * and nothing else.
 */
import type { Resource } from '../config/resource.js';
import { resourceId } from '../config/resource.js';
import type { Registry, Service, Workload } from '../registry/types.js';
import { buildRegistry, type RegistryOptions } from '../registry/build-registry.js';
import { registryInputs, rememberRegistryInputs, reusableRegistry } from '../registry/registry-reuse.js';
import type { MeshConfig } from '../config/mesh-config.js';
import { DEFAULT_MESH_CONFIG } from '../config/mesh-config.js';
import { isVisible, resolveHost } from '../config/hosts.js';
import type { Labels } from '../config/labels.js';
import { selectorMatches } from '../config/labels.js';

/** An immutable, indexed view of the mesh at one version. */
export interface MeshSnapshot {
  /** Monotonic version label of this snapshot (`1`, `2`, …). */
  readonly version: string;
  readonly meshConfig: MeshConfig;
  readonly registry: Registry;
  /** All resources, in a deterministic order (kind, namespace, name). */
  readonly resources: readonly Resource[];
  /**
   * Resources of one kind in Istio's conflict order: oldest `creationTimestamp` first, then
   * namespace/name (resources without a timestamp sort after those with one, by namespace/name).
   */
  list<S = unknown>(kind: string): readonly Resource<S>[];
  get<S = unknown>(kind: string, namespace: string, name: string): Resource<S> | undefined;
  /** Expands a short host in `namespace` to its FQDN. */
  resolveHost(host: string, namespace: string): string;
  /** Services with `hostname` visible from namespace `fromNamespace` (exportTo). */
  visibleServices(hostname: string, fromNamespace: string): readonly Service[];
  /** Workloads in `namespace` whose labels match `selector`. */
  selectWorkloads(namespace: string, selector: Labels | undefined): readonly Workload[];
}

/** Inputs to a snapshot. */
export interface SnapshotInput {
  readonly resources: readonly Resource[];
  readonly meshConfig?: MeshConfig;
  readonly version?: string;
  readonly registry?: RegistryOptions;
  /**
   * An earlier snapshot whose registry (the very same Service and Workload objects) is reused when
   * the registry's inputs are unchanged: the same resource objects of the kinds it reads, the same
   * namespaces, mesh config and registry option functions (see registry/registry-reuse.ts). Leave it
   * out when something outside the resources changed (endpoint health).
   */
  readonly previous?: MeshSnapshot;
}

/** Builds a snapshot (pure; the registry is derived from the same resources). */
export function buildSnapshot(input: SnapshotInput): MeshSnapshot {
  const meshConfig = input.meshConfig ?? DEFAULT_MESH_CONFIG;
  const resources = [...input.resources].sort((a, b) => cmp(a.kind, b.kind) || cmp(a.metadata.namespace, b.metadata.namespace) || cmp(a.metadata.name, b.metadata.name));
  const inputs = registryInputs(resources, meshConfig, input.registry);
  const registry = reusableRegistry(input.previous?.registry, inputs) ?? rememberRegistryInputs(buildRegistry(resources, { ...input.registry, meshConfig }), inputs);
  const byKind = new Map<string, Resource[]>();
  const byId = new Map<string, Resource>();
  for (const r of resources) {
    let list = byKind.get(r.kind);
    if (!list) byKind.set(r.kind, (list = []));
    list.push(r);
    byId.set(resourceId(r), r);
  }
  for (const list of byKind.values()) list.sort(conflictOrder);
  return Object.freeze({
    version: input.version ?? '1',
    meshConfig,
    registry,
    resources: Object.freeze(resources),
    list: <S>(kind: string) => (byKind.get(kind) ?? []) as readonly Resource<S>[],
    get: <S>(kind: string, namespace: string, name: string) => byId.get(`${kind}/${namespace}/${name}`) as Resource<S> | undefined,
    resolveHost: (host: string, namespace: string) => resolveHost(host, namespace, meshConfig.domainSuffix),
    visibleServices: (hostname: string, fromNamespace: string) =>
      registry.servicesByHost(hostname).filter((s) => isVisible(s.exportTo, fromNamespace) || s.namespace === fromNamespace),
    selectWorkloads: (namespace: string, selector: Labels | undefined) =>
      registry.workloads.filter((w) => w.namespace === namespace && selectorMatches(selector, w.labels)),
  });
}

/** Istio's conflict resolution order: older first, then by namespace and name. */
export function conflictOrder(a: Resource, b: Resource): number {
  const ta = a.metadata.creationTimestamp;
  const tb = b.metadata.creationTimestamp;
  if (ta && tb && ta !== tb) return ta < tb ? -1 : 1;
  if (ta && !tb) return -1;
  if (!ta && tb) return 1;
  return cmp(a.metadata.namespace, b.metadata.namespace) || cmp(a.metadata.name, b.metadata.name);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
