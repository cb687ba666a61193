/**
 * Which namespaces exist, and a warning for resources in one that does not.
 *
 * Kubernetes refuses an object in a namespace that does not exist (`namespaces "x" not found`);
 * istioctl analyze, on local files (`--use-kube=false`), says nothing (istio/istio#30805 checks
 * `-n` only against a live cluster). Weft has no cluster, and Istio YAML often relies on
 * namespaces created elsewhere, so it warns and never refuses: a namespace exists when a
 * `Namespace` resource names it, or it is one Kubernetes and Istio always have (`default`,
 * `kube-system`, `kube-public`, `kube-node-lease`, and `istio-system`, where `weft up` runs its
 * gateway). A resource being in a namespace does not make that namespace exist: that is the case
 * the warning is for.
 */
import type { Diagnostic } from './diagnostic.js';
import type { Resource } from './resource.js';

/** Namespaces that exist without a Namespace resource. */
export const WELL_KNOWN_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'istio-system']);

/** Stable code of the warning. */
export const NAMESPACE_NOT_FOUND = 'WFT0021';

/**
 * One Warning per missing namespace among `resources` (checked against the Namespaces in
 * `universe`, default `resources`), located at the first resource in it and counting the others.
 */
export function namespaceWarnings(resources: readonly Resource[], universe: readonly Resource[] = resources): Diagnostic[] {
  const existing = new Set(WELL_KNOWN_NAMESPACES);
  for (const r of universe) if (r.kind === 'Namespace' && r.metadata.namespace === '') existing.add(r.metadata.name);
  for (const r of resources) if (r.kind === 'Namespace' && r.metadata.namespace === '') existing.add(r.metadata.name);
  const missing = new Map<string, Resource[]>();
  for (const r of resources) {
    const ns = r.metadata.namespace;
    if (ns === '' || existing.has(ns)) continue;
    const list = missing.get(ns) ?? [];
    list.push(r);
    missing.set(ns, list);
  }
  return [...missing.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ns, list]) => {
    const first = list[0]!;
    const others = list.length > 1 ? ` and ${list.length - 1} other resource${list.length > 2 ? 's' : ''}` : '';
    return {
      code: NAMESPACE_NOT_FOUND,
      level: 'Warning',
      message: `namespace "${ns}" does not exist (no Namespace resource defines it; Kubernetes would refuse this${others}): Weft accepts it; add a Namespace "${ns}" if it is meant`,
      source: first.source,
      resource: { kind: first.kind, namespace: ns, name: first.metadata.name },
    };
  });
}
