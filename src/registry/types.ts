/**
 * The service registry's model: services (from Kubernetes Services and ServiceEntries), workloads
 * (pods of Deployments, WorkloadEntries) and the endpoints that join them. Everything is immutable
 * and built in one pass by `buildRegistry`.
 */
import type { Labels } from '../config/labels.js';
import type { ResourceKey } from '../config/diagnostic.js';
import type { ExportTo } from '../config/hosts.js';

/** Application protocol of a service port, as Istio's protocol selection names it. */
export type Protocol =
  | 'HTTP' | 'HTTP2' | 'HTTPS' | 'GRPC' | 'GRPC-WEB' | 'TCP' | 'TLS' | 'MONGO' | 'MYSQL' | 'REDIS' | 'UDP' | 'UNKNOWN';

/** One port of a service. */
export interface ServicePort {
  readonly name: string;
  readonly port: number;
  /** Port on the workload (number, or a container port name to resolve per workload). */
  readonly targetPort?: number | string;
  readonly protocol: Protocol;
}

/** Where a service's endpoints come from and how clients reach them (Istio's resolution). */
export type Resolution = 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN' | 'NONE';

/** A service: one hostname with its ports. A ServiceEntry with several hosts yields one per host. */
export interface Service {
  /** FQDN (`reviews.default.svc.cluster.local`) or the ServiceEntry host, possibly a wildcard. */
  readonly hostname: string;
  readonly name: string;
  readonly namespace: string;
  readonly ports: readonly ServicePort[];
  /** Cluster IPs / ServiceEntry addresses (may be empty). */
  readonly addresses: readonly string[];
  readonly resolution: Resolution;
  /** True for ServiceEntries with `location: MESH_EXTERNAL`. */
  readonly meshExternal: boolean;
  /** Selects workloads (Kubernetes Service `selector`, ServiceEntry `workloadSelector`). */
  readonly selector?: Labels;
  readonly exportTo: ExportTo;
  readonly labels: Labels;
  /** `Service` or `ServiceEntry`. */
  readonly origin: ResourceKey;
  readonly creationTimestamp?: string;
  /** Kubernetes ExternalName target, resolved by DNS. */
  readonly externalName?: string;
  /** ServiceEntry `subjectAltNames`. */
  readonly subjectAltNames?: readonly string[];
}

/** A workload instance: one pod replica of a Deployment, or a WorkloadEntry. */
export interface Workload {
  /** Pod name (`reviews-v2-0`) or WorkloadEntry name. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly serviceAccount: string;
  /** IP address; absent for pods no runner has placed yet (analysis without `weft up`). */
  readonly address?: string;
  /** Named ports (container ports by name, or WorkloadEntry `ports`). */
  readonly namedPorts: Readonly<Record<string, number>>;
  /** First container port, when known. */
  readonly containerPorts: readonly number[];
  readonly weight?: number;
  readonly locality?: string;
  readonly network?: string;
  /** `Deployment` (with the replica index), `Pod` (a bare Pod, replica 0) or `WorkloadEntry`. */
  readonly origin: ResourceKey & { readonly replica?: number };
}

/** One address:port serving one port of one service. */
export interface Endpoint {
  readonly hostname: string;
  readonly servicePort: ServicePort;
  readonly address: string;
  readonly port: number;
  readonly labels: Labels;
  readonly serviceAccount?: string;
  readonly workload?: Workload;
  readonly weight: number;
  readonly locality?: string;
  readonly healthy: boolean;
}

/** The whole registry, with lookups. */
export interface Registry {
  readonly services: readonly Service[];
  readonly workloads: readonly Workload[];
  /** Services by hostname; ServiceEntries may add a host that a Kubernetes Service also has (several entries). */
  servicesByHost(hostname: string): readonly Service[];
  /** Endpoints of a service port (by port number). */
  endpoints(service: Service, port: number): readonly Endpoint[];
  /** Namespaces known from Namespace manifests or from any resource's namespace. */
  readonly namespaces: ReadonlySet<string>;
  /** Namespace labels from Namespace manifests. */
  namespaceLabels(ns: string): Labels | undefined;
  /** ServiceAccounts declared (`ns/name`). */
  readonly serviceAccounts: ReadonlySet<string>;
}
