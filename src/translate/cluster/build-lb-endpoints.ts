/**
 * Endpoints of one service port (optionally one subset) as Envoy LocalityLbEndpoints, shared by EDS
 * and by the inline load assignments of DNS clusters (istiod's EndpointBuilder):
 *
 * - endpoints of the port from the registry, filtered by the subset's labels, without address-less ones;
 * - grouped by locality (sorted), each group weighted by the sum of its endpoints' weights;
 * - each LbEndpoint has its address, `loadBalancingWeight`, HEALTHY or UNHEALTHY, and metadata:
 *   `envoy.transport_socket_match: {tlsMode: istio}` when the endpoint has a sidecar and mTLS to it is
 *   not disabled (by the DestinationRule's TLS mode for the cluster or the workload's
 *   PeerAuthentication), and `istio.workload` = `name;namespace;canonical-service;revision;cluster`
 *   for telemetry, as istiod writes it.
 */
import type { Subset, TrafficPolicy } from '../../config/schema/destination-rule.js';
import type { LbEndpoint, Locality, LocalityLbEndpoints } from '../../envoy/types.js';
import type { Labels } from '../../config/labels.js';
import { selectorMatches } from '../../config/labels.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import type { Endpoint, Service } from '../../registry/types.js';
import type { ConsolidatedDestinationRule } from './destination-rule-index.js';
import { endpointTlsMode } from './endpoint-identity.js';
import { TRANSPORT_SOCKET_MATCH_KEY } from './apply-upstream-tls.js';
import { workloadMtlsMode } from './peer-authentication-mode.js';
import { toStruct, type PlainValue } from './struct-values.js';

/** The cluster id istiod puts in telemetry metadata for a single-cluster mesh. */
export const CLUSTER_ID = 'Kubernetes';

/** Builds the locality groups for a service port, restricted to `subset` when given. */
export function buildLocalityLbEndpoints(
  snapshot: MeshSnapshot,
  service: Service,
  port: number,
  rule: ConsolidatedDestinationRule | undefined,
  subsetName: string,
): LocalityLbEndpoints[] {
  return buildLocalityGroups(snapshot, service, port, rule, subsetName).map((g) => g.group);
}

/** One locality group with the registry endpoints its `lbEndpoints` were built from (same order). */
export interface LocalityGroup {
  readonly group: LocalityLbEndpoints;
  readonly endpoints: readonly Endpoint[];
}

/** {@link buildLocalityLbEndpoints}, keeping each group's registry endpoints (istiod's WrappedLocalityLbEndpoints). */
export function buildLocalityGroups(
  snapshot: MeshSnapshot,
  service: Service,
  port: number,
  rule: ConsolidatedDestinationRule | undefined,
  subsetName: string,
): LocalityGroup[] {
  const subset = subsetName ? rule?.spec.subsets?.find((s) => s.name === subsetName) : undefined;
  const subsetLabels: Labels | undefined = subset?.labels;
  const drTlsMode = tlsModeForCluster(rule, subsetName, port);
  const groups = new Map<string, { lb: LbEndpoint[]; eps: Endpoint[] }>();
  for (const ep of endpointsFor(snapshot, service, port)) {
    if (!ep.address) continue;
    if (subsetLabels && !selectorMatches(subsetLabels, ep.labels)) continue;
    const mtls = drTlsMode !== undefined ? drTlsMode === 'ISTIO_MUTUAL' : mtlsPossible(snapshot, ep);
    const key = ep.locality ?? '';
    let list = groups.get(key);
    if (!list) groups.set(key, (list = { lb: [], eps: [] }));
    list.lb.push(buildLbEndpoint(ep, mtls));
    list.eps.push(ep);
  }
  return [...groups.keys()].sort().map((key) => {
    const { lb: lbEndpoints, eps } = groups.get(key)!;
    const weight = lbEndpoints.reduce((sum, e) => sum + (e.loadBalancingWeight?.value ?? 1), 0);
    return { group: { locality: parseLocality(key), lbEndpoints, loadBalancingWeight: { value: weight } }, endpoints: eps };
  });
}

/** One registry endpoint as an Envoy LbEndpoint. */
export function buildLbEndpoint(ep: Endpoint, mtlsEnabled: boolean): LbEndpoint {
  const filterMetadata: Record<string, ReturnType<typeof toStruct>> = {};
  if (mtlsEnabled && endpointTlsMode(ep) === 'istio') filterMetadata[TRANSPORT_SOCKET_MATCH_KEY] = toStruct({ tlsMode: 'istio' });
  const w = ep.workload;
  if (w) {
    const labels = ep.labels;
    const workloadName = w.origin.kind === 'Deployment' ? w.origin.name : w.name;
    const canonicalName = labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels.app ?? workloadName;
    let revision = labels['service.istio.io/canonical-revision'] ?? labels['app.kubernetes.io/version'] ?? labels.version ?? 'latest';
    if (revision === 'latest') revision = '';
    const istio: Record<string, PlainValue> = { workload: [workloadName, w.namespace, canonicalName, revision, CLUSTER_ID].join(';') };
    filterMetadata.istio = toStruct(istio);
  }
  return {
    endpoint: { address: { socketAddress: { address: ep.address, portValue: ep.port } } },
    healthStatus: ep.healthy ? 'HEALTHY' : 'UNHEALTHY',
    ...(Object.keys(filterMetadata).length > 0 ? { metadata: { filterMetadata } } : {}),
    loadBalancingWeight: { value: Math.max(1, ep.weight) },
  };
}

/** Registry endpoints of a port; an ExternalName service resolves its external name by DNS. */
function endpointsFor(snapshot: MeshSnapshot, service: Service, port: number): readonly Endpoint[] {
  const eps = snapshot.registry.endpoints(service, port);
  if (eps.length > 0 || !service.externalName) return eps;
  const sp = service.ports.find((p) => p.port === port);
  if (!sp) return [];
  return [{ hostname: service.hostname, servicePort: sp, address: service.externalName, port, labels: {}, weight: 1, healthy: true }];
}

/** The endpoint has a sidecar and its workload's PeerAuthentication does not disable mTLS on the port. */
function mtlsPossible(snapshot: MeshSnapshot, ep: Endpoint): boolean {
  if (endpointTlsMode(ep) !== 'istio') return false;
  const ns = ep.workload?.namespace ?? '';
  return workloadMtlsMode(snapshot, ns, ep.labels, ep.port) !== 'DISABLE';
}

/**
 * The TLS mode a DestinationRule sets for a cluster (istiod's tlsModeForDestinationRule): the
 * subset's policy for subset clusters (only), else the top-level policy; a port-level tls wins.
 */
export function tlsModeForCluster(rule: ConsolidatedDestinationRule | undefined, subsetName: string, port: number): string | undefined {
  if (!rule) return undefined;
  let policy: TrafficPolicy | undefined;
  if (subsetName === '') policy = rule.spec.trafficPolicy;
  else policy = rule.spec.subsets?.find((s: Subset) => s.name === subsetName)?.trafficPolicy;
  if (!policy) return undefined;
  let mode = policy.tls ? policy.tls.mode ?? 'DISABLE' : undefined;
  const portTls = policy.portLevelSettings?.find((p) => p.port?.number === port && p.tls)?.tls;
  if (portTls) mode = portTls.mode ?? 'DISABLE';
  return mode;
}

/** `region/zone/subzone` → Envoy Locality (`{}` when unknown). */
export function parseLocality(label: string): Locality {
  if (!label) return {};
  const [region, zone, subZone] = label.split('/');
  return {
    ...(region ? { region } : {}),
    ...(zone ? { zone } : {}),
    ...(subZone ? { subZone } : {}),
  };
}
