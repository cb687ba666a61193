/**
 * Turns VirtualService destinations into Envoy cluster references, as istiod's GetDestinationCluster,
 * processDestination and processWeightedDestination: `outbound|<port>|<subset>|<host>` with the port
 * taken from the destination, else the service's only port, else the port the route serves; one
 * destination → `cluster`, several → `weightedClusters` (weight-0 entries left out), per-destination
 * header operations, and the destination's consistent-hash policy.
 */
import type { Destination, HTTPRouteDestination } from '../../config/schema/virtual-service.js';
import type { ClusterWeight, HashPolicy } from '../../envoy/types/route.js';
import type { HeaderValueOption } from '../../envoy/types/core.js';
import { outboundClusterName } from '../cluster/cluster-names.js';
import type { RouteContext } from './route-context.js';
import { convertHeaderOperations } from './headers.js';

/** The cluster a destination names, resolved in the VirtualService's namespace. */
export interface DestinationRef {
  readonly host: string;
  readonly subset: string;
  readonly port: number;
  readonly cluster: string;
}

/** Resolves a destination of a VirtualService in `vsNamespace` to its outbound cluster. */
export function resolveDestination(d: Destination, vsNamespace: string, ctx: RouteContext): DestinationRef {
  const host = ctx.scope.snapshot.resolveHost(d.host, vsNamespace);
  const svc = ctx.scope.lookupService(host);
  const port = d.port?.number ?? (svc && svc.ports.length === 1 ? svc.ports[0]!.port : ctx.port);
  const subset = d.subset ?? '';
  return { host, subset, port, cluster: outboundClusterName(port, subset, host) };
}

/** Route-level mutations contributed by the single destination of a route. */
export interface SingleDestination {
  readonly cluster: string;
  readonly requestHeadersToAdd: readonly HeaderValueOption[];
  readonly requestHeadersToRemove: readonly string[];
  readonly responseHeadersToAdd: readonly HeaderValueOption[];
  readonly responseHeadersToRemove: readonly string[];
  readonly authority: string;
  readonly hashPolicy?: HashPolicy;
}

/** Converts the only destination of a route (its weight, if any, is ignored as in istiod). */
export function convertSingleDestination(dst: HTTPRouteDestination, vsNamespace: string, ctx: RouteContext): SingleDestination {
  const ref = resolveDestination(dst.destination, vsNamespace, ctx);
  const ops = convertHeaderOperations(dst.headers);
  return { cluster: ref.cluster, ...ops, hashPolicy: ctx.hashPolicy(ref.host, dst.destination.subset, ref.port) };
}

/** Converts several weighted destinations; weight-0 destinations are left out, as istiod does. */
export function convertWeightedDestinations(
  dsts: readonly HTTPRouteDestination[],
  vsNamespace: string,
  ctx: RouteContext,
): { clusters: ClusterWeight[]; hashPolicies: HashPolicy[] } {
  const clusters: ClusterWeight[] = [];
  const hashPolicies: HashPolicy[] = [];
  for (const dst of dsts) {
    const weight = dst.weight ?? 0;
    if (weight === 0) continue;
    const ref = resolveDestination(dst.destination, vsNamespace, ctx);
    const ops = convertHeaderOperations(dst.headers);
    clusters.push({
      name: ref.cluster,
      weight: { value: weight },
      ...(ops.requestHeadersToAdd.length ? { requestHeadersToAdd: ops.requestHeadersToAdd } : {}),
      ...(ops.requestHeadersToRemove.length ? { requestHeadersToRemove: ops.requestHeadersToRemove } : {}),
      ...(ops.responseHeadersToAdd.length ? { responseHeadersToAdd: ops.responseHeadersToAdd } : {}),
      ...(ops.responseHeadersToRemove.length ? { responseHeadersToRemove: ops.responseHeadersToRemove } : {}),
      ...(ops.authority ? { hostRewriteLiteral: ops.authority } : {}),
    });
    const hash = ctx.hashPolicy(ref.host, dst.destination.subset, ref.port);
    if (hash) hashPolicies.push(hash);
  }
  return { clusters, hashPolicies };
}

