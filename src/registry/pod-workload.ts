/**
 * Which workloads are pods `weft up` runs with a sidecar: the replicas of a Deployment and bare
 * Pods (issue 12), as opposed to WorkloadEntries (VMs, external endpoints) that run their own.
 */
import type { Workload } from './types.js';

/** True for a Deployment replica or a bare Pod. */
export function isPod(w: Pick<Workload, 'origin'> | undefined): boolean {
  return w?.origin.kind === 'Deployment' || w?.origin.kind === 'Pod';
}
