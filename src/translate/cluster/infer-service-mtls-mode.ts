/**
 * istiod's BestEffortInferServiceMTLSMode: the hint auto mTLS uses for a destination service.
 * Mesh-external services: unknown (no auto mTLS). Passthrough traffic (resolution NONE or a
 * PASSTHROUGH load balancer): DISABLE unless every endpoint has a sidecar. Otherwise the
 * namespace-/mesh-wide PeerAuthentication mode, else PERMISSIVE. Workload-level policies are
 * ignored here (they are applied per endpoint by EDS).
 */
import type { MeshSnapshot } from '../../model/snapshot.js';
import type { Service } from '../../registry/types.js';
import { endpointTlsMode } from './endpoint-identity.js';
import { namespaceMtlsMode, type MtlsMode } from './peer-authentication-mode.js';

/** The inferred mode; undefined means unknown. */
export function inferServiceMtlsMode(snapshot: MeshSnapshot, service: Service, port: number, passthroughLb: boolean): MtlsMode | undefined {
  if (service.meshExternal) return undefined;
  if (service.resolution === 'NONE' || passthroughLb) {
    const eps = snapshot.registry.endpoints(service, port);
    if (eps.length === 0) return 'DISABLE';
    if (eps.some((e) => endpointTlsMode(e) !== 'istio')) return 'DISABLE';
  }
  return namespaceMtlsMode(snapshot, service.namespace) ?? 'PERMISSIVE';
}
