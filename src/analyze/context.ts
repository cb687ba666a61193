/**
 * What analyzers see: the model snapshot plus the lookups several analyzers share (services by host
 * with Istio's visibility and wildcard rules, pods selected by a selector, namespaces that exist).
 * Built once per run so each analyzer stays a short description of one check.
 */
import type { Resource } from '../config/resource.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { MeshConfig } from '../config/mesh-config.js';
import type { Service, Workload } from '../registry/types.js';
import type { Labels } from '../config/labels.js';
import { selectorMatches } from '../config/labels.js';
import { hostMatches, isVisible, parseExportTo } from '../config/hosts.js';

/** The read-only view every analyzer gets. */
export interface AnalysisContext {
  readonly snapshot: MeshSnapshot;
  readonly mesh: MeshConfig;
  /** Resources of a kind in Istio's conflict order. */
  list<S>(kind: string): readonly Resource<S>[];
  /** Pods (Deployment replicas) and WorkloadEntries. */
  readonly workloads: readonly Workload[];
  /** Workloads whose labels match `selector`; in `namespace` only, or everywhere when it is undefined. */
  selectWorkloads(selector: Labels | undefined, namespace: string | undefined): readonly Workload[];
  /**
   * The service a destination host names from namespace `fromNamespace`, as Istio resolves it:
   * short names expand in that namespace, exact hosts first, then wildcard ServiceEntry hosts;
   * only services exported to that namespace count.
   */
  findService(host: string, fromNamespace: string): Service | undefined;
  /** True when a namespace is known (declared, or holding any resource). */
  namespaceExists(ns: string): boolean;
  /** Expands a short host in a namespace (`reviews` → `reviews.default.svc.cluster.local`). */
  fqdn(host: string, namespace: string): string;
  /** Labels of a namespace from its Namespace manifest, if any. */
  namespaceLabels(ns: string): Labels | undefined;
}

/** Builds the context for one analysis run. */
export function buildContext(snapshot: MeshSnapshot): AnalysisContext {
  const registry = snapshot.registry;
  const services = registry.services;
  const fqdn = (host: string, ns: string) => snapshot.resolveHost(host, ns);
  const visible = (s: Service, ns: string) => s.namespace === ns || isVisible(s.exportTo, ns);
  return Object.freeze({
    snapshot,
    mesh: snapshot.meshConfig,
    list: <S>(kind: string) => snapshot.list<S>(kind),
    workloads: registry.workloads,
    selectWorkloads: (selector: Labels | undefined, namespace: string | undefined) =>
      registry.workloads.filter((w) => (namespace === undefined || w.namespace === namespace) && selectorMatches(selector, w.labels)),
    findService: (host: string, fromNamespace: string) => {
      const name = fqdn(host, fromNamespace);
      const exact = registry.servicesByHost(name).find((s) => visible(s, fromNamespace));
      if (exact) return exact;
      return services.find((s) => s.hostname.startsWith('*') && hostMatches(s.hostname, name) && visible(s, fromNamespace));
    },
    namespaceExists: (ns: string) => registry.namespaces.has(ns),
    fqdn,
    namespaceLabels: (ns: string) => registry.namespaceLabels(ns),
  });
}

/** Namespaces a resource with `exportTo` is visible in: `*` for all, else the set (Istio's parsing). */
export function exportScopes(exportTo: readonly string[] | undefined, ownNamespace: string): '*' | ReadonlySet<string> {
  return parseExportTo(exportTo, ownNamespace);
}
