/**
 * Inbound clusters of a sidecar whose Sidecar has `ingress` listeners (istiod's
 * `buildInboundClustersFromSidecar`): one STATIC `inbound|<port>||` cluster per listener, its
 * endpoint the listener's `defaultEndpoint` (sidecar-ingress.ts), protocol from the listener, the
 * DestinationRule of the port's real service (if any) applied as for service ports, and the
 * Sidecar's connection pool for the port replacing the rule's (`buildInboundCluster`).
 */
import type { Cluster, LbEndpoint } from '../../envoy/types.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import type { Service, ServicePort } from '../../registry/types.js';
import { applyUpstreamProtocol } from './apply-connection-pool.js';
import { applyTrafficPolicy } from './apply-traffic-policy.js';
import { finishCluster, newDraft } from './cluster-draft.js';
import { buildClusterMetadata } from './cluster-metadata.js';
import { inboundClusterName } from './cluster-names.js';
import { destinationRuleFor } from './destination-rule-index.js';
import { inboundConnectionPoolForPort, sidecarIngressPorts, type IngressEndpoint } from './sidecar-ingress.js';
import { portLevelTrafficPolicy, type ResolvedTrafficPolicy } from './traffic-policy-merge.js';

/**
 * `policy` with the Sidecar's connection pool for inbound `port` in place of its own, as istiod does
 * ("a connection pool set on the Sidecar overrides any settings derived from the DestinationRule").
 */
export function withSidecarConnectionPool(snapshot: MeshSnapshot, node: ProxyNode, port: number, policy: ResolvedTrafficPolicy | undefined): ResolvedTrafficPolicy | undefined {
  const pool = inboundConnectionPoolForPort(snapshot, node, port);
  return pool ? { ...(policy ?? {}), connectionPool: pool } : policy;
}

/** The inbound clusters from the Sidecar's ingress listeners; undefined when it has none. */
export function buildIngressClusters(
  snapshot: MeshSnapshot, node: ProxyNode, targets: readonly { readonly service: Service; readonly port: ServicePort; readonly targetPort: number }[],
): Cluster[] | undefined {
  const ports = sidecarIngressPorts(snapshot, node, targets);
  if (!ports) return undefined;
  return ports.map((p) => {
    const name = inboundClusterName(p.port);
    const draft = newDraft({
      name,
      type: 'STATIC',
      commonLbConfig: {},
      loadAssignment: { clusterName: name, endpoints: [{ lbEndpoints: [lbEndpoint(p.endpoint)] }] },
    });
    applyUpstreamProtocol(draft, p.protocol, true);
    const rule = p.realService ? destinationRuleFor(snapshot, node, p.realService, 'inbound') : undefined;
    const drPolicy = rule?.spec.trafficPolicy ? portLevelTrafficPolicy(rule.spec.trafficPolicy, p.realServicePort?.port ?? p.port).policy : undefined;
    draft.cluster.metadata = buildClusterMetadata({ services: [p.service], rule: rule?.spec.trafficPolicy ? rule : undefined });
    applyTrafficPolicy(draft, withSidecarConnectionPool(snapshot, node, p.port, drPolicy), snapshot.meshConfig, { direction: 'inbound' });
    return finishCluster(draft);
  });
}

function lbEndpoint(e: IngressEndpoint): LbEndpoint {
  return e.kind === 'unix'
    ? { endpoint: { address: { pipe: { path: e.path } } } }
    : { endpoint: { address: { socketAddress: { address: e.address, portValue: e.port } } } };
}
