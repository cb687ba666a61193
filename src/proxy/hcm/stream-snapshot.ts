/**
 * The part of the proxy's compiled snapshot a stream reads: the route table of its connection
 * manager and the clusters by name. The listener layer's `RuntimeSnapshot`
 * (`listener/runtime-snapshot.ts`) satisfies it; the connection manager and router see only this,
 * so `hcm/` does not import the layer that compiles listeners. A stream keeps the snapshot it
 * started on even if a push replaces it, as Envoy's `ActiveStream::decodeHeaders` snaps the route
 * configuration once for the whole stream (`snapped_route_config_`,
 * source/common/http/conn_manager_impl.cc).
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
