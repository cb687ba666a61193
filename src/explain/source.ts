/**
 * The proxy a request to explain leaves from: a pod (`productpage-v1-0`) or a Deployment's first
 * replica (`productpage-v1`), or WorkloadEntry, in one namespace; or `ingress`, the ingress gateway
 * as `weft up` runs it (pod `istio-ingressgateway-0` in the root namespace, labelled with the mesh's
 * ingress selector), unless the config defines a workload with those labels.
 */
import { UserError } from '../util/user-error.js';
import { proxyId, type ProxyNode } from '../model/proxy-node.js';
import { selectorMatches } from '../config/labels.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { Workload } from '../registry/types.js';
import { spiffeId } from '../translate/cluster/endpoint-identity.js';
import type { ExplainedSource } from './types.js';

/** Names that select the ingress gateway. */
export const INGRESS_NAMES: readonly string[] = ['ingress', 'ingressgateway', 'istio-ingressgateway'];

/** The ingress gateway's pod under `weft up`. */
export const INGRESS_POD = 'istio-ingressgateway-0';
/** The ingress gateway's service account under `weft up`. */
export const INGRESS_SERVICE_ACCOUNT = 'istio-ingressgateway-service-account';

/** Address used for a proxy whose pod has none (not placed by a runner). */
export const PLACEHOLDER_ADDRESS = '0.0.0.0';

/** The proxy node and its description. */
export interface ResolvedSource {
  readonly node: ProxyNode;
  readonly source: ExplainedSource;
  readonly workload?: Workload;
}

/** Finds the source proxy; throws UserError EXPLAIN_UNKNOWN_WORKLOAD when nothing has that name. */
export function resolveSource(snapshot: MeshSnapshot, from: string, namespace = 'default'): ResolvedSource {
  if (INGRESS_NAMES.includes(from)) return ingressSource(snapshot);
  const candidates = snapshot.registry.workloads.filter((w) => w.namespace === namespace);
  const workload =
    candidates.find((w) => w.name === from) ??
    candidates.filter((w) => w.origin.name === from).sort((a, b) => (a.origin.replica ?? 0) - (b.origin.replica ?? 0))[0];
  if (!workload) {
    const known = [...new Set(candidates.map((w) => w.origin.name))].sort();
    throw new UserError('EXPLAIN_UNKNOWN_WORKLOAD', `no workload "${from}" in namespace ${namespace}`, {
      details: known.length > 0 ? `Workloads in ${namespace}: ${known.join(', ')} (or --from ingress).` : `Namespace ${namespace} has no workloads; use -n NS or --from ingress.`,
    });
  }
  const role = selectorMatches(snapshot.meshConfig.ingressGatewaySelector, workload.labels) ? 'router' : 'sidecar';
  return fromWorkload(snapshot, workload, role);
}

function ingressSource(snapshot: MeshSnapshot): ResolvedSource {
  const mesh = snapshot.meshConfig;
  const own = snapshot.registry.workloads.find((w) => selectorMatches(mesh.ingressGatewaySelector, w.labels));
  if (own) return fromWorkload(snapshot, own, 'router');
  const labels = { ...mesh.ingressGatewaySelector, app: 'istio-ingressgateway' };
  const node: ProxyNode = {
    id: proxyId('router', PLACEHOLDER_ADDRESS, INGRESS_POD, mesh.rootNamespace, mesh.domainSuffix),
    role: 'router',
    ip: PLACEHOLDER_ADDRESS,
    podName: INGRESS_POD,
    namespace: mesh.rootNamespace,
    labels,
    serviceAccount: INGRESS_SERVICE_ACCOUNT,
  };
  return { node, source: describe(snapshot, node) };
}

function fromWorkload(snapshot: MeshSnapshot, w: Workload, role: 'router' | 'sidecar'): ResolvedSource {
  const ip = w.address ?? PLACEHOLDER_ADDRESS;
  const node: ProxyNode = {
    id: proxyId(role, ip, w.name, w.namespace, snapshot.meshConfig.domainSuffix),
    role,
    ip,
    podName: w.name,
    namespace: w.namespace,
    labels: w.labels,
    serviceAccount: w.serviceAccount,
  };
  return { node, source: describe(snapshot, node), workload: w };
}

function describe(snapshot: MeshSnapshot, node: ProxyNode): ExplainedSource {
  return {
    role: node.role === 'router' ? 'gateway' : 'sidecar',
    pod: node.podName,
    namespace: node.namespace,
    address: node.ip,
    proxyId: node.id,
    serviceAccount: node.serviceAccount,
    identity: spiffeId(snapshot.meshConfig.trustDomain, node.namespace, node.serviceAccount),
  };
}
