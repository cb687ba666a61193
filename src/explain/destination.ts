/**
 * One cluster a request may go to, as the source proxy has it: the service, port and subset behind
 * the name (`outbound|9080|v2|reviews…`), the DestinationRule that applies and the subset's labels,
 * the load-balancing policy (from the translated cluster, with where it comes from), the endpoints
 * (EDS, or the inline load assignment of DNS clusters) with their health and the pod behind each
 * address, and the TLS to the first endpoint. Special clusters get a note instead.
 */
import type { DestinationRuleSpec } from '../config/schema/destination-rule.js';
import type { Cluster, LbEndpoint } from '../envoy/types.js';
import type { ProxyNode } from '../model/proxy-node.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { Workload } from '../registry/types.js';
import type { SimClusterChoice } from '../simulate/types.js';
import {
  BLACKHOLE_CLUSTER,
  destinationRuleFor,
  effectiveTrafficPolicy,
  PASSTHROUGH_CLUSTER,
  parseClusterName,
  type ConsolidatedDestinationRule,
} from '../translate/cluster/index.js';
import type { XdsResources } from '../translate/translate.js';
import type { ExplainedDestination, ExplainedEndpoint } from './types.js';
import { upstreamTls } from './upstream-tls.js';

/** A destination and what the inbound step needs: the endpoint objects and workloads. */
export interface DescribedDestination {
  readonly destination: ExplainedDestination;
  readonly cluster?: Cluster;
  readonly lbEndpoints: readonly LbEndpoint[];
  /** The workload behind each endpoint (same order), when known. */
  readonly workloads: readonly (Workload | undefined)[];
}

const SPECIAL: Readonly<Record<string, string>> = {
  [BLACKHOLE_CLUSTER]: 'BlackHoleCluster: the request is dropped (no service matches; REGISTRY_ONLY outbound policy, or a route to a missing host)',
  [PASSTHROUGH_CLUSTER]: 'PassthroughCluster: forwarded to the address the app dialed, outside the mesh (ALLOW_ANY outbound policy)',
  InboundPassthroughCluster: 'InboundPassthroughCluster: passed to the app as is',
};

/** Describes one cluster choice of the source proxy. */
export function describeDestination(snapshot: MeshSnapshot, node: ProxyNode, resources: XdsResources, choice: SimClusterChoice): DescribedDestination {
  const base = { cluster: choice.name, weight: choice.weight, share: choice.share };
  const cluster = resources.clusters.find((c) => c.name === choice.name);
  const special = SPECIAL[choice.name];
  if (special) return { destination: { ...base, endpoints: [], note: special }, ...(cluster ? { cluster } : {}), lbEndpoints: [], workloads: [] };
  const parsed = parseClusterName(choice.name);
  const service = parsed ? (snapshot.visibleServices(parsed.host, node.namespace)[0] ?? snapshot.registry.servicesByHost(parsed.host)[0]) : undefined;
  const rule = service ? destinationRuleFor(snapshot, node, service, 'outbound') : undefined;
  const subset = parsed?.subset ? rule?.spec.subsets?.find((s) => s.name === parsed.subset) : undefined;
  const policy = parsed ? effectiveTrafficPolicy(rule?.spec.trafficPolicy, parsed.port, subset) : undefined;
  const lbEndpoints = endpointsOf(resources, cluster, choice.name);
  const workloads = lbEndpoints.map((e) => workloadAt(snapshot, e));
  const endpoints: ExplainedEndpoint[] = lbEndpoints.map((e, i) => {
    const w = workloads[i];
    const sa = e.endpoint?.address?.socketAddress;
    return {
      address: sa?.address ?? '',
      port: sa?.portValue ?? 0,
      health: e.healthStatus ?? 'UNKNOWN',
      weight: e.loadBalancingWeight?.value ?? 1,
      ...(w ? { workload: w.name, namespace: w.namespace } : {}),
    };
  });
  const ruleName = rule ? ruleId(rule) : undefined;
  const destination: ExplainedDestination = {
    ...base,
    ...(parsed ? { host: parsed.host, port: parsed.port } : {}),
    ...(parsed?.subset ? { subset: parsed.subset } : {}),
    ...(subset?.labels ? { subsetLabels: subset.labels } : {}),
    ...(ruleName ? { destinationRule: ruleName } : {}),
    ...(cluster ? lb(cluster, ruleName, policy?.loadBalancer) : {}),
    endpoints,
    ...(cluster
      ? { tls: upstreamTls(cluster, lbEndpoints[0], ruleName ? { rule: ruleName, ...(policy?.tls?.mode ? { mode: policy.tls.mode } : {}) } : undefined, snapshot.meshConfig.enableAutoMtls) }
      : {}),
    ...(parsed?.subset && !subset ? { note: `subset ${parsed.subset} is not defined by ${ruleName ? `DestinationRule ${ruleName}` : 'any DestinationRule'}: the cluster has no endpoints` } : {}),
    ...(!service && parsed ? { note: `no service ${parsed.host} is visible from ${node.namespace}` } : {}),
    ...(cluster?.type === 'ORIGINAL_DST' ? { note: ORIGINAL_DST_NOTE } : {}),
  };
  return { destination, ...(cluster ? { cluster } : {}), lbEndpoints, workloads };
}

/**
 * A `resolution: NONE` ServiceEntry (or a passthrough service) gets an ORIGINAL_DST cluster, as
 * istiod builds it (pilot/pkg/networking/core/cluster_builder.go): it has no endpoint list by design,
 * and each request goes to the address the client connected to.
 */
export const ORIGINAL_DST_NOTE = 'ORIGINAL_DST cluster (ServiceEntry resolution NONE): no endpoint list by design; each request goes to the original destination address the client dialled';

function ruleId(rule: ConsolidatedDestinationRule): string {
  const names = rule.from.map((r) => `${r.metadata.namespace}/${r.metadata.name}`);
  return names.length > 0 ? names.join(' + ') : `${rule.namespace}/${rule.name}`;
}

type LoadBalancer = NonNullable<DestinationRuleSpec['trafficPolicy']>['loadBalancer'];

function lb(cluster: Cluster, ruleName: string | undefined, settings: LoadBalancer | undefined): { lbPolicy: string; lbSource: string } {
  const lbPolicy = cluster.type === 'ORIGINAL_DST' ? 'CLUSTER_PROVIDED (original destination)' : (cluster.lbPolicy ?? 'ROUND_ROBIN');
  if (settings?.simple) return { lbPolicy, lbSource: `DestinationRule ${ruleName}: loadBalancer.simple ${settings.simple}` };
  if (settings?.consistentHash) {
    const ch = settings.consistentHash;
    const key = ch.httpHeaderName ? `header ${ch.httpHeaderName}` : ch.httpCookie ? `cookie ${ch.httpCookie.name}` : ch.useSourceIp ? 'source IP' : ch.httpQueryParameterName ? `query ${ch.httpQueryParameterName}` : 'hash';
    return { lbPolicy, lbSource: `DestinationRule ${ruleName}: consistentHash by ${key}` };
  }
  if (settings) return { lbPolicy, lbSource: `DestinationRule ${ruleName}: loadBalancer` };
  return { lbPolicy, lbSource: 'default: no DestinationRule loadBalancer' };
}

function endpointsOf(resources: XdsResources, cluster: Cluster | undefined, name: string): LbEndpoint[] {
  const cla = resources.endpoints.find((e) => e.clusterName === name) ?? cluster?.loadAssignment;
  return (cla?.endpoints ?? []).flatMap((l) => l.lbEndpoints ?? []);
}

/** The workload behind an endpoint: by address, narrowed by the `istio.workload` metadata's namespace. */
function workloadAt(snapshot: MeshSnapshot, e: LbEndpoint): Workload | undefined {
  const address = e.endpoint?.address?.socketAddress?.address;
  if (!address) return undefined;
  const meta = e.metadata?.filterMetadata?.istio?.fields?.workload?.stringValue?.split(';');
  const matches = snapshot.registry.workloads.filter((w) => w.address === address);
  if (matches.length <= 1 || !meta) return matches[0];
  return matches.find((w) => w.namespace === meta[1] && (w.origin.name === meta[0] || w.name === meta[0])) ?? matches[0];
}
