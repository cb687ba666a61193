/**
 * The security HTTP filters of one proxy's inbound (sidecar) or gateway connection managers, in
 * istiod's order (pilot/pkg/networking/core/listener.go `buildHTTPConnectionManager`): the CUSTOM
 * authorization filters (RBAC shadow + ext_authz), then `jwt_authn` (RequestAuthentication), then the
 * other authorization filters (DENY, AUDIT, ALLOW); the HCM appends fault, CORS and the router.
 * Selection uses the proxy's namespace and labels (a gateway's are its Deployment's, e.g.
 * `istio-system` / `istio: ingressgateway`). Pure and deterministic.
 */
import type { HttpFilter } from '../../envoy/types.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import { buildAuthzFilters, type SecurityNote } from './authz-filters.js';
import { buildJwtFilter } from './jwt-filter.js';

/** Security filters and notes about skipped config. */
export interface SecurityFilters {
  readonly filters: readonly HttpFilter[];
  readonly notes: readonly SecurityNote[];
}

const cache = new WeakMap<MeshSnapshot, Map<string, SecurityFilters>>();

/** The security HTTP filters for a proxy (cached per snapshot and workload). */
export function securityHttpFilters(snapshot: MeshSnapshot, node: Pick<ProxyNode, 'namespace' | 'labels'>): SecurityFilters {
  let perSnap = cache.get(snapshot);
  if (!perSnap) cache.set(snapshot, (perSnap = new Map()));
  const key = `${node.namespace}\u0000${Object.keys(node.labels).sort().map((k) => `${k}=${node.labels[k]}`).join(',')}`;
  let out = perSnap.get(key);
  if (!out) {
    const target = { namespace: node.namespace, labels: node.labels };
    const jwt = buildJwtFilter(snapshot, target);
    const authz = buildAuthzFilters(snapshot, target);
    const custom = authz.filters.slice(0, authz.customCount);
    out = { filters: [...custom, ...(jwt ? [jwt] : []), ...authz.filters.slice(authz.customCount)], notes: authz.notes };
    perSnap.set(key, out);
  }
  return out;
}
