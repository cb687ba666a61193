/**
 * Envoy v3 cluster messages (`envoy.config.cluster.v3`) plus the upstream HTTP protocol options
 * Istio packs into `typedExtensionProtocolOptions`, in Weft's object form (rules in `core.ts`).
 */
import type {
  Address,
  Any,
  BoolValue,
  ConfigSource,
  Duration,
  HeaderValueOption,
  Http1ProtocolOptions,
  Http2ProtocolOptions,
  HttpProtocolOptions,
  Int64Range,
  Metadata,
  Percent,
  RoutingPriority,
  StringMatcher,
  Struct,
  TcpKeepalive,
  TransportSocket,
  TypedExtensionConfig,
  UInt32Value,
  UInt64Value,
} from './core.js';
import type { ClusterLoadAssignment } from './endpoint.js';

/** `Cluster.DiscoveryType`; missing is STATIC. */
export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';

/** `Cluster.LbPolicy`; missing is ROUND_ROBIN. */
export type LbPolicy =
  | 'ROUND_ROBIN'
  | 'LEAST_REQUEST'
  | 'RING_HASH'
  | 'RANDOM'
  | 'MAGLEV'
  | 'CLUSTER_PROVIDED'
  | 'LOAD_BALANCING_POLICY_CONFIG';

/** `Cluster.DnsLookupFamily`; missing is AUTO. */
export type DnsLookupFamily = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';

/** `Cluster`: an upstream service as istiod names it (`outbound|9080|v2|reviews.default.svc.cluster.local`). */
export interface Cluster {
  readonly name?: string;
  readonly altStatName?: string;
  readonly type?: DiscoveryType;
  readonly edsClusterConfig?: { readonly edsConfig?: ConfigSource; readonly serviceName?: string };
  /** Envoy's default is 5 s; Istio sets 10 s. */
  readonly connectTimeout?: Duration;
  readonly perConnectionBufferLimitBytes?: UInt32Value;
  readonly lbPolicy?: LbPolicy;
  /** Endpoints of STATIC / DNS clusters. */
  readonly loadAssignment?: ClusterLoadAssignment;
  readonly healthChecks?: readonly HealthCheck[];
  /** @deprecated use `typedExtensionProtocolOptions` … `commonHttpProtocolOptions`. */
  readonly maxRequestsPerConnection?: UInt32Value;
  readonly circuitBreakers?: CircuitBreakers;
  /** Key `envoy.extensions.upstreams.http.v3.HttpProtocolOptions` → {@link UpstreamHttpProtocolOptions}. */
  readonly typedExtensionProtocolOptions?: Readonly<Record<string, Any>>;
  readonly dnsRefreshRate?: Duration;
  readonly respectDnsTtl?: boolean;
  readonly dnsLookupFamily?: DnsLookupFamily;
  readonly outlierDetection?: OutlierDetection;
  readonly cleanupInterval?: Duration;
  readonly ringHashLbConfig?: {
    readonly minimumRingSize?: UInt64Value;
    readonly hashFunction?: 'XX_HASH' | 'MURMUR_HASH_2';
    readonly maximumRingSize?: UInt64Value;
  };
  readonly maglevLbConfig?: { readonly tableSize?: UInt64Value };
  readonly originalDstLbConfig?: { readonly useHttpHeader?: boolean; readonly httpHeaderName?: string };
  readonly leastRequestLbConfig?: {
    readonly choiceCount?: UInt32Value;
    readonly activeRequestBias?: { readonly defaultValue?: number; readonly runtimeKey?: string };
    readonly slowStartConfig?: Readonly<Record<string, unknown>>;
  };
  readonly roundRobinLbConfig?: { readonly slowStartConfig?: Readonly<Record<string, unknown>> };
  readonly commonLbConfig?: CommonLbConfig;
  readonly transportSocket?: TransportSocket;
  /** Istio's auto-mTLS: `tlsMode-istio` (match `{fields: {tlsMode: istio}}`) and `tlsMode-disabled`. */
  readonly transportSocketMatches?: readonly TransportSocketMatch[];
  readonly metadata?: Metadata;
  readonly upstreamConnectionOptions?: { readonly tcpKeepalive?: TcpKeepalive };
  readonly closeConnectionsOnHostHealthFailure?: boolean;
  readonly ignoreHealthOnHostRemoval?: boolean;
  readonly filters?: readonly { readonly name?: string; readonly typedConfig?: Any }[];
  readonly upstreamBindConfig?: { readonly sourceAddress?: Address['socketAddress'] };
}

/** `Cluster.CommonLbConfig`; `healthyPanicThreshold` is a Percent (double), missing is 50. */
export interface CommonLbConfig {
  readonly healthyPanicThreshold?: Percent;
  readonly zoneAwareLbConfig?: {
    readonly routingEnabled?: Percent;
    readonly minClusterSize?: UInt64Value;
    readonly failTrafficOnPanic?: boolean;
  };
  readonly localityWeightedLbConfig?: Readonly<Record<string, never>>;
  readonly updateMergeWindow?: Duration;
  readonly ignoreNewHostsUntilFirstHc?: boolean;
  readonly closeConnectionsOnHostSetChange?: boolean;
  readonly consistentHashingLbConfig?: {
    readonly useHostnameForHashing?: boolean;
    readonly hashBalanceFactor?: UInt32Value;
  };
}

/** `Cluster.TransportSocketMatch`: `match` is a Struct compared with endpoint metadata. */
export interface TransportSocketMatch {
  readonly name?: string;
  readonly match?: Struct;
  readonly transportSocket?: TransportSocket;
}

/** `CircuitBreakers`: one threshold set per routing priority. */
export interface CircuitBreakers {
  readonly thresholds?: readonly CircuitBreakerThresholds[];
  readonly perHostThresholds?: readonly CircuitBreakerThresholds[];
}

/** `CircuitBreakers.Thresholds`; Envoy's defaults are 1024 each and 3 retries. */
export interface CircuitBreakerThresholds {
  readonly priority?: RoutingPriority;
  readonly maxConnections?: UInt32Value;
  readonly maxPendingRequests?: UInt32Value;
  readonly maxRequests?: UInt32Value;
  readonly maxRetries?: UInt32Value;
  readonly retryBudget?: { readonly budgetPercent?: Percent; readonly minRetryConcurrency?: UInt32Value };
  readonly trackRemaining?: boolean;
  readonly maxConnectionPools?: UInt32Value;
}

/** `OutlierDetection`, every field (note protobufjs' `consecutive_5xx` spellings). */
export interface OutlierDetection {
  readonly consecutive_5xx?: UInt32Value;
  readonly interval?: Duration;
  readonly baseEjectionTime?: Duration;
  readonly maxEjectionPercent?: UInt32Value;
  readonly enforcingConsecutive_5xx?: UInt32Value;
  readonly enforcingSuccessRate?: UInt32Value;
  readonly successRateMinimumHosts?: UInt32Value;
  readonly successRateRequestVolume?: UInt32Value;
  readonly successRateStdevFactor?: UInt32Value;
  readonly consecutiveGatewayFailure?: UInt32Value;
  readonly enforcingConsecutiveGatewayFailure?: UInt32Value;
  readonly splitExternalLocalOriginErrors?: boolean;
  readonly consecutiveLocalOriginFailure?: UInt32Value;
  readonly enforcingConsecutiveLocalOriginFailure?: UInt32Value;
  readonly enforcingLocalOriginSuccessRate?: UInt32Value;
  readonly failurePercentageThreshold?: UInt32Value;
  readonly enforcingFailurePercentage?: UInt32Value;
  readonly enforcingFailurePercentageLocalOrigin?: UInt32Value;
  readonly failurePercentageMinimumHosts?: UInt32Value;
  readonly failurePercentageRequestVolume?: UInt32Value;
  readonly maxEjectionTime?: Duration;
  readonly maxEjectionTimeJitter?: Duration;
  readonly successfulActiveHealthCheckUnejectHost?: BoolValue;
  readonly monitors?: readonly TypedExtensionConfig[];
  readonly alwaysEjectOneHost?: BoolValue;
}

/** `envoy.config.core.v3.HealthCheck` (HTTP, TCP and gRPC checkers). */
export interface HealthCheck {
  readonly timeout?: Duration;
  readonly interval?: Duration;
  readonly initialJitter?: Duration;
  readonly intervalJitter?: Duration;
  readonly intervalJitterPercent?: number;
  readonly unhealthyThreshold?: UInt32Value;
  readonly healthyThreshold?: UInt32Value;
  readonly altPort?: UInt32Value;
  readonly reuseConnection?: BoolValue;
  readonly httpHealthCheck?: {
    readonly host?: string;
    readonly path?: string;
    readonly requestHeadersToAdd?: readonly HeaderValueOption[];
    readonly requestHeadersToRemove?: readonly string[];
    readonly expectedStatuses?: readonly Int64Range[];
    readonly retriableStatuses?: readonly Int64Range[];
    readonly codecClientType?: 'HTTP1' | 'HTTP2' | 'HTTP3';
    readonly serviceNameMatcher?: StringMatcher;
    readonly method?: string;
  };
  readonly tcpHealthCheck?: {
    readonly send?: { readonly text?: string; readonly binary?: string };
    readonly receive?: readonly { readonly text?: string; readonly binary?: string }[];
  };
  readonly grpcHealthCheck?: { readonly serviceName?: string; readonly authority?: string };
  readonly noTrafficInterval?: Duration;
  readonly noTrafficHealthyInterval?: Duration;
  readonly unhealthyInterval?: Duration;
  readonly unhealthyEdgeInterval?: Duration;
  readonly healthyEdgeInterval?: Duration;
  readonly eventLogger?: readonly TypedExtensionConfig[];
  readonly alwaysLogHealthCheckFailures?: boolean;
}

/** `extensions.upstreams.http.v3.HttpProtocolOptions` (Istio's connection-pool settings). */
export interface UpstreamHttpProtocolOptions {
  readonly commonHttpProtocolOptions?: HttpProtocolOptions;
  readonly upstreamHttpProtocolOptions?: {
    readonly autoSni?: boolean;
    readonly autoSanValidation?: boolean;
    readonly overrideAutoSniHeader?: string;
  };
  readonly explicitHttpConfig?: {
    readonly httpProtocolOptions?: Http1ProtocolOptions;
    readonly http2ProtocolOptions?: Http2ProtocolOptions;
  };
  readonly useDownstreamProtocolConfig?: {
    readonly httpProtocolOptions?: Http1ProtocolOptions;
    readonly http2ProtocolOptions?: Http2ProtocolOptions;
  };
}
