/**
 * Per-registry lookups that the per-proxy (inbound) translation needs for every proxy: a proxy's own
 * workload by namespace and pod name, and the services of one namespace. Built once per registry
 * (registries are immutable; a snapshot rebuilds it only when its inputs changed, see
 * registry/registry-reuse.ts), so a push to N proxies costs N map
 * lookups instead of N scans of every workload and service.
 */
import type { Registry, Service, Workload } from '../registry/types.js';

interface Index {
  readonly workloads: ReadonlyMap<string, Workload>;
  readonly servicesByNamespace: ReadonlyMap<string, readonly Service[]>;
}

const indexes = new WeakMap<Registry, Index>();

function indexOf(registry: Registry): Index {
  let index = indexes.get(registry);
  if (!index) {
    const workloads = new Map<string, Workload>();
    // The first workload of a name wins, as `workloads.find` would.
    for (const w of registry.workloads) if (!workloads.has(`${w.namespace}/${w.name}`)) workloads.set(`${w.namespace}/${w.name}`, w);
    const servicesByNamespace = new Map<string, Service[]>();
    for (const s of registry.services) {
      let list = servicesByNamespace.get(s.namespace);
      if (!list) servicesByNamespace.set(s.namespace, (list = []));
      list.push(s);
    }
    index = { workloads, servicesByNamespace };
    indexes.set(registry, index);
  }
  return index;
}

/** The first workload named `name` in `namespace` (registry order). */
export function workloadNamed(registry: Registry, namespace: string, name: string): Workload | undefined {
  return indexOf(registry).workloads.get(`${namespace}/${name}`);
}

/** The services of `namespace`, in registry order. */
export function servicesInNamespace(registry: Registry, namespace: string): readonly Service[] {
  return indexOf(registry).servicesByNamespace.get(namespace) ?? [];
}
