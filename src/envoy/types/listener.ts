/**
 * Envoy v3 listener messages (`envoy.config.listener.v3`) and the two network filters Weft runs
 * (HTTP connection manager, TCP proxy), in Weft's object form (rules in `core.ts`).
 */
import type {
  AccessLog,
  Address,
  Any,
  BoolValue,
  CidrRange,
  ConfigSource,
  Duration,
  Http1ProtocolOptions,
  Http2ProtocolOptions,
  HttpProtocolOptions,
  Metadata,
  Percent,
  TrafficDirection,
  TransportSocket,
  UInt32Value,
} from './core.js';
import type { RouteConfiguration } from './route.js';

/** `Listener`: an address, listener filters and filter chains chosen per connection. */
export interface Listener {
  readonly name?: string;
  readonly address?: Address;
  readonly statPrefix?: string;
  readonly filterChains?: readonly FilterChain[];
  /** Used when no filter chain matches (istiod: PassthroughCluster / BlackHole chains). */
  readonly defaultFilterChain?: FilterChain;
  readonly useOriginalDst?: BoolValue;
  /** `{}` (false) for istiod's virtual inbound/outbound listeners reached via original-dst. */
  readonly bindToPort?: BoolValue;
  readonly perConnectionBufferLimitBytes?: UInt32Value;
  readonly metadata?: Metadata;
  readonly drainType?: 'DEFAULT' | 'MODIFY_ONLY';
  readonly listenerFilters?: readonly ListenerFilter[];
  readonly listenerFiltersTimeout?: Duration;
  readonly continueOnListenerFiltersTimeout?: boolean;
  readonly transparent?: BoolValue;
  readonly freebind?: BoolValue;
  readonly trafficDirection?: TrafficDirection;
  readonly accessLog?: readonly AccessLog[];
  readonly tcpBacklogSize?: UInt32Value;
}

/** `ListenerFilter` (tls_inspector, http_inspector, original_dst). */
export interface ListenerFilter {
  readonly name?: string;
  readonly typedConfig?: Any;
}

/** `FilterChain`: the network filters and transport socket for connections its match selects. */
export interface FilterChain {
  readonly name?: string;
  readonly filterChainMatch?: FilterChainMatch;
  readonly filters?: readonly Filter[];
  /** Downstream TLS (`DownstreamTlsContext`) when set; raw_buffer otherwise. */
  readonly transportSocket?: TransportSocket;
  readonly transportSocketConnectTimeout?: Duration;
  readonly metadata?: Metadata;
}

/** `FilterChainMatch.ConnectionSourceType`; missing is ANY. */
export type ConnectionSourceType = 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';

/** `FilterChainMatch`: every set criterion must hold; see `filter-chain-matcher.ts` for the order. */
export interface FilterChainMatch {
  readonly destinationPort?: UInt32Value;
  readonly prefixRanges?: readonly CidrRange[];
  readonly directSourcePrefixRanges?: readonly CidrRange[];
  readonly sourceType?: ConnectionSourceType;
  readonly sourcePrefixRanges?: readonly CidrRange[];
  readonly sourcePorts?: readonly number[];
  /** SNI: exact names or `*.example.com` wildcards. */
  readonly serverNames?: readonly string[];
  /** `raw_buffer` or `tls` (as detected by tls_inspector). */
  readonly transportProtocol?: string;
  /** ALPN: `h2`, `http/1.1`, `istio-peer-exchange`, `istio`, … */
  readonly applicationProtocols?: readonly string[];
}

/** `Filter`: a network filter with its typed config. */
export interface Filter {
  /** `envoy.filters.network.http_connection_manager`, `envoy.filters.network.tcp_proxy`, … */
  readonly name?: string;
  readonly typedConfig?: Any;
}

/** HCM codec choice; missing is AUTO. */
export type CodecType = 'AUTO' | 'HTTP1' | 'HTTP2' | 'HTTP3';

/** HCM client-certificate forwarding; missing is SANITIZE. */
export type ForwardClientCertDetails =
  | 'SANITIZE'
  | 'FORWARD_ONLY'
  | 'APPEND_FORWARD'
  | 'SANITIZE_SET'
  | 'ALWAYS_FORWARD_ONLY';

/** HCM handling of `%2F`/`%5C` in paths; missing is IMPLEMENTATION_SPECIFIC_DEFAULT. */
export type PathWithEscapedSlashesAction =
  | 'IMPLEMENTATION_SPECIFIC_DEFAULT'
  | 'KEEP_UNCHANGED'
  | 'REJECT_REQUEST'
  | 'UNESCAPE_AND_REDIRECT'
  | 'UNESCAPE_AND_FORWARD';

/** `HttpConnectionManager` (`extensions.filters.network.http_connection_manager.v3`). */
export interface HttpConnectionManager {
  readonly codecType?: CodecType;
  readonly statPrefix?: string;
  readonly rds?: Rds;
  readonly routeConfig?: RouteConfiguration;
  readonly httpFilters?: readonly HttpFilter[];
  readonly addUserAgent?: BoolValue;
  readonly tracing?: HcmTracing;
  /** `request_id_extension` (UuidRequestIdConfig: `useRequestIdForTraceSampling`, as istiod sets it from Telemetry). */
  readonly requestIdExtension?: { readonly name?: string; readonly typedConfig?: Any };
  readonly commonHttpProtocolOptions?: HttpProtocolOptions;
  readonly httpProtocolOptions?: Http1ProtocolOptions;
  readonly http2ProtocolOptions?: Http2ProtocolOptions;
  readonly serverName?: string;
  readonly serverHeaderTransformation?: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  readonly maxRequestHeadersKb?: UInt32Value;
  readonly streamIdleTimeout?: Duration;
  readonly requestTimeout?: Duration;
  readonly requestHeadersTimeout?: Duration;
  readonly drainTimeout?: Duration;
  readonly delayedCloseTimeout?: Duration;
  readonly accessLog?: readonly AccessLog[];
  readonly useRemoteAddress?: BoolValue;
  readonly xffNumTrustedHops?: number;
  /** Which downstream addresses make a request internal; absent = none (Envoy ≥ 1.36's default). */
  readonly internalAddressConfig?: { readonly unixSockets?: boolean; readonly cidrRanges?: readonly CidrRange[] };
  readonly skipXffAppend?: boolean;
  readonly via?: string;
  readonly generateRequestId?: BoolValue;
  readonly preserveExternalRequestId?: boolean;
  readonly alwaysSetRequestIdInResponse?: boolean;
  readonly forwardClientCertDetails?: ForwardClientCertDetails;
  readonly setCurrentClientCertDetails?: SetCurrentClientCertDetails;
  /** protobufjs' name for `proxy_100_continue`. */
  readonly proxy_100Continue?: boolean;
  readonly upgradeConfigs?: readonly { readonly upgradeType?: string; readonly enabled?: BoolValue }[];
  readonly normalizePath?: BoolValue;
  readonly mergeSlashes?: boolean;
  readonly pathWithEscapedSlashesAction?: PathWithEscapedSlashesAction;
  readonly stripMatchingHostPort?: boolean;
  readonly stripAnyHostPort?: boolean;
  readonly streamErrorOnInvalidHttpMessage?: BoolValue;
  readonly stripTrailingHostDot?: boolean;
}

/** `HttpConnectionManager.Rds`: where to fetch the route configuration. */
export interface Rds {
  readonly configSource?: ConfigSource;
  readonly routeConfigName?: string;
}

/** `HttpFilter`: one entry of the HTTP filter chain (router last). */
export interface HttpFilter {
  readonly name?: string;
  readonly typedConfig?: Any;
  readonly isOptional?: boolean;
  readonly disabled?: boolean;
}

/** `HttpConnectionManager.Tracing`. */
export interface HcmTracing {
  readonly clientSampling?: Percent;
  readonly randomSampling?: Percent;
  readonly overallSampling?: Percent;
  readonly verbose?: boolean;
  readonly maxPathTagLength?: UInt32Value;
  readonly customTags?: readonly Readonly<Record<string, unknown>>[];
  readonly provider?: { readonly name?: string; readonly typedConfig?: Any };
  readonly spawnUpstreamSpan?: BoolValue;
}

/** `HttpConnectionManager.SetCurrentClientCertDetails` (XFCC fields). */
export interface SetCurrentClientCertDetails {
  readonly subject?: BoolValue;
  readonly cert?: boolean;
  readonly chain?: boolean;
  readonly dns?: boolean;
  readonly uri?: boolean;
}

/** `TcpProxy` (`extensions.filters.network.tcp_proxy.v3`). */
export interface TcpProxy {
  readonly statPrefix?: string;
  readonly cluster?: string;
  readonly weightedClusters?: TcpWeightedCluster;
  readonly metadataMatch?: Metadata;
  readonly idleTimeout?: Duration;
  readonly downstreamIdleTimeout?: Duration;
  readonly upstreamIdleTimeout?: Duration;
  readonly accessLog?: readonly AccessLog[];
  readonly maxConnectAttempts?: UInt32Value;
  readonly maxDownstreamConnectionDuration?: Duration;
  /** `envoy.type.v3.HashPolicy` entries: Istio writes `{sourceIp: {}}` for `consistentHash.useSourceIp`. */
  readonly hashPolicy?: readonly { readonly sourceIp?: Readonly<Record<string, never>>; readonly filterState?: { readonly key?: string } }[];
}

/** `TcpProxy.WeightedCluster`: unlike HTTP's, `weight` is a plain uint32 here. */
export interface TcpWeightedCluster {
  readonly clusters?: readonly {
    readonly name?: string;
    readonly weight?: number;
    readonly metadataMatch?: Metadata;
  }[];
}
