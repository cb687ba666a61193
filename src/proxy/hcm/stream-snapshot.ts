/**
 * The part of the proxy's compiled snapshot a stream reads: the route table of its connection
 * manager and the clusters by name. The listener layer's `RuntimeSnapshot`
 * (`listener/runtime-snapshot.ts`) satisfies it; the connection manager and router see only this,
 * so `hcm/` does not import the layer that compiles listeners. As in Envoy, a stream keeps the
 * snapshot (route configuration and cluster set) it started on even if a push replaces it
 * (`source/common/router/router.cc` holds the route and cluster it resolved for the whole request).
 */
import type { RouteTable } from '../../envoy/route-table.js';
import type { ClusterTable } from '../upstream/cluster-table.js';
import type { HcmRuntime } from './hcm-runtime.js';

/** What a stream reads from the snapshot it started on. */
export interface StreamSnapshot {
  /** Clusters by name (a cluster's runtime is built on first use). */
  readonly clusters: ClusterTable;
  /** The route table `hcm` uses now (undefined: RDS not received yet). */
  routeTable(hcm: HcmRuntime): RouteTable | undefined;
}
