/**
 * The PeerAuthentication mode of one workload port and the policy that set it, with the precedence
 * translation uses (`src/translate/cluster/peer-authentication-mode.ts`): a port-level entry of the
 * workload policy, then the workload policy, then the namespace-wide policy, then the mesh-wide one
 * (root namespace); UNSET inherits; PERMISSIVE when nothing is set. The mode itself is taken from
 * translation's own function so the two never disagree.
 */
import type { Resource } from '../config/resource.js';
import type { PeerAuthenticationSpec } from '../config/schema/peer-authentication.js';
import type { Labels } from '../config/labels.js';
import { selectorMatches } from '../config/labels.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import { workloadMtlsMode } from '../translate/cluster/peer-authentication-mode.js';
import type { ExplainedPeerAuthentication } from './types.js';

/** The effective PeerAuthentication of a workload port. */
export function effectivePeerAuthentication(snapshot: MeshSnapshot, namespace: string, labels: Labels, port: number): ExplainedPeerAuthentication {
  const mode = workloadMtlsMode(snapshot, namespace, labels, port);
  const all = snapshot.list<PeerAuthenticationSpec>('PeerAuthentication');
  const root = snapshot.meshConfig.rootNamespace;
  const wide = (ns: string) => all.find((r) => r.metadata.namespace === ns && !hasSelector(r.spec) && !hasTargetRef(r.spec));
  const workload = all.find((r) => r.metadata.namespace === namespace && hasSelector(r.spec) && selectorMatches(r.spec.selector?.matchLabels, labels));
  const portMode = workload?.spec.portLevelMtls?.[String(port)]?.mode;
  if (workload && portMode && portMode !== 'UNSET') return { mode, policy: id(workload), scope: 'port' };
  if (workload && modeOf(workload)) return { mode, policy: id(workload), scope: 'workload' };
  const nsPolicy = namespace === root ? undefined : wide(namespace);
  if (nsPolicy && modeOf(nsPolicy)) return { mode, policy: id(nsPolicy), scope: 'namespace' };
  const meshPolicy = wide(root);
  if (meshPolicy && modeOf(meshPolicy)) return { mode, policy: id(meshPolicy), scope: namespace === root ? 'namespace' : 'mesh' };
  return { mode, scope: 'default' };
}

function id(r: Resource): string {
  return `${r.metadata.namespace}/${r.metadata.name}`;
}

function modeOf(r: Resource<PeerAuthenticationSpec>): string | undefined {
  const m = r.spec.mtls?.mode;
  return m === undefined || m === 'UNSET' ? undefined : m;
}

function hasSelector(spec: PeerAuthenticationSpec): boolean {
  return Object.keys(spec.selector?.matchLabels ?? {}).length > 0;
}

function hasTargetRef(spec: PeerAuthenticationSpec): boolean {
  const s = spec as { targetRef?: unknown; targetRefs?: unknown };
  return s.targetRef !== undefined || s.targetRefs !== undefined;
}
