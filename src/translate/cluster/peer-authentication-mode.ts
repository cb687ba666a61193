/**
 * The mTLS mode PeerAuthentication gives a destination, as far as the client side needs it:
 *
 * - `namespaceMtlsMode`: istiod's AuthenticationPolicies.GetNamespaceMutualTLSMode, the hint
 *   BestEffortInferServiceMTLSMode uses for auto mTLS: the namespace-wide policy of the service's
 *   namespace (oldest first), else the mesh-wide one (root namespace); UNSET inherits; undefined
 *   when nothing is set (the caller falls back to PERMISSIVE).
 * - `workloadMtlsMode`: the effective mode for one workload port (workload > namespace > mesh,
 *   port-level overrides, UNSET inherits, PERMISSIVE by default), which EDS uses to drop the
 *   `tlsMode: istio` endpoint label when the server side disables mTLS.
 */
import type { PeerAuthenticationSpec } from '../../config/schema/peer-authentication.js';
import type { Resource } from '../../config/resource.js';
import type { Labels } from '../../config/labels.js';
import { selectorMatches } from '../../config/labels.js';
import type { MeshSnapshot } from '../../model/snapshot.js';

/** A resolved mTLS mode. */
export type MtlsMode = 'DISABLE' | 'PERMISSIVE' | 'STRICT';

/** The namespace-level (else mesh-level) mode for services of `namespace`; undefined when unset. */
export function namespaceMtlsMode(snapshot: MeshSnapshot, namespace: string): MtlsMode | undefined {
  const mesh = modeOf(namespaceWide(snapshot, snapshot.meshConfig.rootNamespace));
  const ns = namespace === snapshot.meshConfig.rootNamespace ? undefined : modeOf(namespaceWide(snapshot, namespace));
  return ns ?? mesh;
}

/** The effective mode for a workload (its namespace and labels) on one port. */
export function workloadMtlsMode(snapshot: MeshSnapshot, namespace: string, labels: Labels, port: number): MtlsMode {
  let mode: MtlsMode = namespaceMtlsMode(snapshot, namespace) ?? 'PERMISSIVE';
  const workload = snapshot
    .list<PeerAuthenticationSpec>('PeerAuthentication')
    .find((r) => r.metadata.namespace === namespace && hasSelector(r.spec) && selectorMatches(r.spec.selector?.matchLabels, labels));
  if (!workload) return mode;
  mode = modeOf(workload) ?? mode;
  const portMode = workload.spec.portLevelMtls?.[String(port)]?.mode;
  if (portMode && portMode !== 'UNSET') mode = portMode;
  return mode;
}

/** The oldest namespace-wide PeerAuthentication of a namespace (no selector labels, no targetRef). */
function namespaceWide(snapshot: MeshSnapshot, namespace: string): Resource<PeerAuthenticationSpec> | undefined {
  return snapshot
    .list<PeerAuthenticationSpec>('PeerAuthentication')
    .find((r) => r.metadata.namespace === namespace && !hasSelector(r.spec) && !hasTargetRef(r.spec));
}

function modeOf(r: Resource<PeerAuthenticationSpec> | undefined): MtlsMode | undefined {
  const m = r?.spec.mtls?.mode;
  return m === undefined || m === 'UNSET' ? undefined : m;
}

function hasSelector(spec: PeerAuthenticationSpec): boolean {
  return Object.keys(spec.selector?.matchLabels ?? {}).length > 0;
}

function hasTargetRef(spec: PeerAuthenticationSpec): boolean {
  const s = spec as { targetRef?: unknown; targetRefs?: unknown };
  return s.targetRef !== undefined || s.targetRefs !== undefined;
}
