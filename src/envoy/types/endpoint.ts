/**
 * Envoy v3 endpoint messages (`envoy.config.endpoint.v3`), EDS' ClusterLoadAssignment, in Weft's
 * object form (rules in `core.ts`).
 */
import type {
  Address,
  Duration,
  FractionalPercent,
  HealthStatus,
  Locality,
  Metadata,
  UInt32Value,
} from './core.js';

/** `ClusterLoadAssignment`: the endpoints of one cluster (`clusterName` = the EDS service name). */
export interface ClusterLoadAssignment {
  readonly clusterName?: string;
  readonly endpoints?: readonly LocalityLbEndpoints[];
  readonly policy?: ClusterLoadAssignmentPolicy;
}

/** `ClusterLoadAssignment.Policy`. */
export interface ClusterLoadAssignmentPolicy {
  readonly dropOverloads?: readonly { readonly category?: string; readonly dropPercentage?: FractionalPercent }[];
  /** Percent × 100 of overprovisioning; missing is 140. */
  readonly overprovisioningFactor?: UInt32Value;
  readonly endpointStaleAfter?: Duration;
  readonly weightedPriorityHealth?: boolean;
}

/** `LocalityLbEndpoints`: endpoints of one locality at one priority (0 = highest). */
export interface LocalityLbEndpoints {
  readonly locality?: Locality;
  readonly metadata?: Metadata;
  readonly lbEndpoints?: readonly LbEndpoint[];
  readonly loadBalancingWeight?: UInt32Value;
  readonly priority?: number;
  readonly proximity?: UInt32Value;
}

/** `LbEndpoint`: one host with its health and weight (missing weight is 1). */
export interface LbEndpoint {
  readonly endpoint?: Endpoint;
  readonly endpointName?: string;
  readonly healthStatus?: HealthStatus;
  /** Istio puts `filterMetadata.istio` (workload, labels) and `envoy.transport_socket_match` here. */
  readonly metadata?: Metadata;
  readonly loadBalancingWeight?: UInt32Value;
}

/** `Endpoint`. */
export interface Endpoint {
  readonly address?: Address;
  readonly healthCheckConfig?: {
    readonly portValue?: number;
    readonly hostname?: string;
    readonly address?: Address;
    readonly disableActiveHealthCheck?: boolean;
  };
  readonly hostname?: string;
}
