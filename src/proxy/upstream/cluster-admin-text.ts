/**
 * Admin `/clusters` host lines of a cluster that has not been built yet (no request used it): what
 * its config says — every endpoint with no active requests, health as EDS reported it, its weight —
 * without creating host runtimes, pools or stats just to print them.
 */
import type { Cluster, ClusterLoadAssignment } from '../../envoy/types.js';
import { formatAddress } from '../lb/host.js';

const EDS_UNHEALTHY = new Set(['UNHEALTHY', 'DRAINING', 'TIMEOUT']);

/** `cluster::host::rq_active|health_flags|weight::value` lines of an unbuilt cluster's endpoints. */
export function configuredHostLines(name: string, cluster: Cluster, cla: ClusterLoadAssignment | undefined): string[] {
  if (cluster.type === 'ORIGINAL_DST') return [];
  const lines: string[] = [];
  const assignment = cluster.type === 'EDS' ? cla : cluster.loadAssignment;
  for (const locality of assignment?.endpoints ?? []) {
    for (const ep of locality.lbEndpoints ?? []) {
      const sa = ep.endpoint?.address?.socketAddress;
      if (!sa?.address || sa.portValue === undefined) continue;
      const h = `${name}::${formatAddress(sa.address, sa.portValue)}`;
      const weight = ep.loadBalancingWeight?.value ?? 1;
      const healthy = !EDS_UNHEALTHY.has(String(ep.healthStatus ?? ''));
      lines.push(`${h}::rq_active::0`, `${h}::health_flags::${healthy ? 'healthy' : '/failed_eds_health'}`, `${h}::weight::${weight > 0 ? weight : 1}`);
    }
  }
  return lines;
}
