/**
 * VirtualServices as istiod's PushContext holds them after indexing: hosts resolved to FQDNs in the
 * VirtualService's namespace, gateway names normalized to `namespace/name` (or `mesh`), exportTo
 * parsed, delegating rules replaced by their delegates' merged rules (istiod's mergeVirtualServices),
 * in Istio's conflict order (oldest first). Every later stage reads this form only.
 */
import type { Resource } from '../config/resource.js';
import type { VirtualServiceSpec } from '../config/schema/virtual-service.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { ExportTo } from '../config/hosts.js';
import { parseExportTo } from '../config/hosts.js';
import { isRootVirtualService, mergeDelegates } from './delegate-merge.js';

/** The reserved gateway name that binds a VirtualService to every sidecar. */
export const MESH_GATEWAY = 'mesh';

/** A VirtualService with its hosts and gateway names normalized. */
export interface IndexedVirtualService {
  readonly resource: Resource<VirtualServiceSpec>;
  readonly name: string;
  readonly namespace: string;
  readonly spec: VirtualServiceSpec;
  /** Hosts as written, short names expanded to FQDNs in the VirtualService's namespace. */
  readonly hosts: readonly string[];
  /** `mesh` or `namespace/name`; `[mesh]` when the spec names no gateway (Istio's default). */
  readonly gateways: readonly string[];
  readonly exportTo: ExportTo;
}

/**
 * Normalizes a gateway reference the way istiod resolves it: `mesh` stays; `ns/name` stays (`./name`
 * means the VirtualService's namespace); the legacy `name.ns` becomes `ns/name`; a bare `name` is in
 * the VirtualService's namespace.
 */
export function normalizeGatewayName(ref: string, vsNamespace: string): string {
  if (ref === MESH_GATEWAY) return ref;
  const slash = ref.indexOf('/');
  if (slash >= 0) {
    const ns = ref.slice(0, slash);
    return `${ns === '.' ? vsNamespace : ns}/${ref.slice(slash + 1)}`;
  }
  const dot = ref.indexOf('.');
  if (dot >= 0) return `${ref.slice(dot + 1).split('.')[0]}/${ref.slice(0, dot)}`;
  return `${vsNamespace}/${ref}`;
}

const indexed = new WeakMap<MeshSnapshot, readonly IndexedVirtualService[]>();

/**
 * Indexes every VirtualService of the snapshot, oldest first (Istio's precedence order). Computed
 * once per snapshot (every proxy scope reads it); the result and its entries are frozen.
 */
export function indexVirtualServices(snapshot: MeshSnapshot): readonly IndexedVirtualService[] {
  let list = indexed.get(snapshot);
  if (!list) {
    list = Object.freeze(buildIndex(snapshot));
    indexed.set(snapshot, list);
  }
  return list;
}

function buildIndex(snapshot: MeshSnapshot): IndexedVirtualService[] {
  const all = snapshot.list<VirtualServiceSpec>('VirtualService');
  const resolver = { resolveHost: (h: string, ns: string) => snapshot.resolveHost(h, ns), normalizeGateway: normalizeGatewayName };
  return all.map((r) => {
    const ns = r.metadata.namespace;
    // A root VirtualService's delegating rules are replaced by its delegates' merged rules (delegate-merge.ts).
    const spec = isRootVirtualService(r.spec) ? mergeDelegates(r, all, resolver) : r.spec;
    const gateways = spec.gateways && spec.gateways.length > 0 ? spec.gateways.map((g) => normalizeGatewayName(g, ns)) : [MESH_GATEWAY];
    return Object.freeze({
      resource: r,
      name: r.metadata.name,
      namespace: ns,
      spec,
      hosts: (spec.hosts ?? []).map((h) => snapshot.resolveHost(h, ns)),
      gateways: [...new Set(gateways)],
      exportTo: parseExportTo(spec.exportTo, ns),
    });
  });
}
