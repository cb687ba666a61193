/**
 * What the client side knows about a destination endpoint's proxy and identity:
 *
 * - `endpointTlsMode`: Istio's `security.istio.io/tlsMode` endpoint label. Under Weft every pod of a
 *   Deployment runs behind a Weft sidecar, so its endpoints are `istio` unless the pod template opts
 *   out (`sidecar.istio.io/inject: "false"`) or sets the label itself; WorkloadEntries, Endpoints
 *   manifests and ServiceEntry endpoints are `istio` only when labelled so (as in istiod).
 * - `serviceAccountsFor`: the SPIFFE identities a service's workloads run as plus a ServiceEntry's
 *   `subjectAltNames`, sorted (istiod's PushContext.ServiceAccounts), used as the SANs to verify.
 */
import type { MeshSnapshot } from '../../model/snapshot.js';
import type { Endpoint, Service } from '../../registry/types.js';
import { isPod } from '../../registry/pod-workload.js';

/** Istio's endpoint label naming the TLS mode its sidecar accepts. */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

/** `istio` when the endpoint has a sidecar that accepts Istio mTLS, else `disabled` (or the label's own value). */
export function endpointTlsMode(ep: Endpoint): string {
  const explicit = ep.labels[TLS_MODE_LABEL];
  if (explicit !== undefined) return explicit;
  if (isPod(ep.workload) && ep.labels['sidecar.istio.io/inject'] !== 'false') return 'istio';
  return 'disabled';
}

/** `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** SANs for a service: its endpoints' identities (all ports) and ServiceEntry subjectAltNames, sorted and unique. */
export function serviceAccountsFor(snapshot: MeshSnapshot, service: Service): readonly string[] {
  const out = new Set<string>();
  for (const p of service.ports) {
    for (const ep of snapshot.registry.endpoints(service, p.port)) {
      if (ep.serviceAccount) {
        const ns = ep.workload?.namespace ?? service.namespace;
        out.add(spiffeId(snapshot.meshConfig.trustDomain, ns, ep.serviceAccount));
      }
    }
  }
  for (const san of service.subjectAltNames ?? []) out.add(san);
  return [...out].sort();
}
