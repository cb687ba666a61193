/**
 * Inbound clusters of a sidecar (istiod's buildInboundClustersFromServiceInstances): one
 * `inbound|<targetPort>||` cluster per workload port that a selecting service exposes, STATIC with the
 * app's address (`node.appAddress`, else the pod IP) and the target port. When several services
 * select the workload on one target port, the first (by hostname) decides protocol and policy and
 * all of them are listed in the telemetry metadata.
 *
 * Only the DestinationRule's connection pool applies inbound (rule looked up for the proxy's own
 * service, workloadSelector rules excluded, port-level settings by service port), so the server side
 * has the capacity the rule asks for, as in istiod.
 */
import type { Cluster } from '../../envoy/types.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import { selectorIsEmpty, selectorMatches } from '../../config/labels.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import type { Service, ServicePort, Workload } from '../../registry/types.js';
import { applyUpstreamProtocol } from './apply-connection-pool.js';
import { applyTrafficPolicy } from './apply-traffic-policy.js';
import { finishCluster, newDraft } from './cluster-draft.js';
import { buildClusterMetadata } from './cluster-metadata.js';
import { inboundClusterName } from './cluster-names.js';
import { destinationRuleFor } from './destination-rule-index.js';
import { portLevelTrafficPolicy } from './traffic-policy-merge.js';
import { servicesInNamespace, workloadNamed } from '../registry-index.js';
import { buildIngressClusters, withSidecarConnectionPool } from './ingress-clusters.js';

/** One service port served by the proxy's workload. */
export interface InboundTarget {
  readonly service: Service;
  readonly port: ServicePort;
  /** The port the app listens on. */
  readonly targetPort: number;
}

/** Service ports whose service selects the proxy's workload (same namespace, labels), by hostname. */
export function inboundTargets(snapshot: MeshSnapshot, node: ProxyNode): InboundTarget[] {
  if (node.role !== 'sidecar') return [];
  const workload = workloadNamed(snapshot.registry, node.namespace, node.podName);
  const out: InboundTarget[] = [];
  const services = servicesInNamespace(snapshot.registry, node.namespace)
    .filter((s) => s.selector && !selectorIsEmpty(s.selector) && selectorMatches(s.selector, node.labels))
    .slice()
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  for (const service of services) {
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      const targetPort = resolveTargetPort(port, workload);
      if (targetPort !== undefined) out.push({ service, port, targetPort });
    }
  }
  return out;
}

/** Builds the inbound clusters of a sidecar (none for gateways). */
export function buildInboundClusters(snapshot: MeshSnapshot, node: ProxyNode): Cluster[] {
  // A Sidecar with ingress listeners defines the inbound clusters instead (ingress-clusters.ts).
  const ingress = buildIngressClusters(snapshot, node, inboundTargets(snapshot, node));
  if (ingress) return ingress;
  const byPort = new Map<number, InboundTarget[]>();
  for (const t of inboundTargets(snapshot, node)) {
    const list = byPort.get(t.targetPort);
    if (list) list.push(t);
    else byPort.set(t.targetPort, [t]);
  }
  const address = node.appAddress ?? node.ip;
  const out: Cluster[] = [];
  for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
    const targets = byPort.get(port)!;
    const primary = targets[0]!;
    const name = inboundClusterName(port);
    const draft = newDraft({
      name,
      type: 'STATIC',
      commonLbConfig: {},
      loadAssignment: {
        clusterName: name,
        endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address, portValue: port } } } }] }],
      },
    });
    applyUpstreamProtocol(draft, primary.port.protocol, true);
    const rule = destinationRuleFor(snapshot, node, primary.service, 'inbound');
    const drPolicy = rule?.spec.trafficPolicy ? portLevelTrafficPolicy(rule.spec.trafficPolicy, primary.port.port).policy : undefined;
    const policy = withSidecarConnectionPool(snapshot, node, port, drPolicy);
    const services = uniqueServices(targets.filter((t) => t.port.port === primary.port.port).map((t) => t.service));
    draft.cluster.metadata = buildClusterMetadata({ services, rule: rule?.spec.trafficPolicy ? rule : undefined });
    applyTrafficPolicy(draft, policy, snapshot.meshConfig, { direction: 'inbound' });
    out.push(finishCluster(draft));
  }
  return out;
}

function resolveTargetPort(port: ServicePort, workload: Workload | undefined): number | undefined {
  const t = port.targetPort ?? port.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(t)) return Number(t);
  return workload?.namedPorts[t];
}

function uniqueServices(list: readonly Service[]): Service[] {
  const seen = new Set<string>();
  return list.filter((s) => (seen.has(s.hostname) ? false : (seen.add(s.hostname), true)));
}
