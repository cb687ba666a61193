/**
 * Envoy v3 route messages (`envoy.config.route.v3`) in Weft's object form (see `core.ts` for the
 * rules: optional fields, omitted defaults, `{value}` wrappers, enum names, Struct shape).
 */
import type {
  Any,
  BoolValue,
  DataSource,
  Duration,
  FractionalPercent,
  HeaderValueOption,
  Int64Range,
  Metadata,
  RegexMatchAndSubstitute,
  RegexMatcher,
  RoutingPriority,
  RuntimeFractionalPercent,
  StringMatcher,
  TypedExtensionConfig,
  UInt32Value,
} from './core.js';
import type { MetadataMatcher } from '../rbac/types.js';

/** `RouteConfiguration`: what RDS serves (istiod names outbound ones by port, e.g. `9080`). */
export interface RouteConfiguration {
  readonly name?: string;
  readonly virtualHosts?: readonly VirtualHost[];
  readonly internalOnlyHeaders?: readonly string[];
  readonly responseHeadersToAdd?: readonly HeaderValueOption[];
  readonly responseHeadersToRemove?: readonly string[];
  readonly requestHeadersToAdd?: readonly HeaderValueOption[];
  readonly requestHeadersToRemove?: readonly string[];
  readonly mostSpecificHeaderMutationsWins?: boolean;
  /** Istio sets `{value: false}` (decoded `{}`) so unknown clusters do not reject the config. */
  readonly validateClusters?: BoolValue;
  readonly maxDirectResponseBodySizeBytes?: UInt32Value;
  readonly requestMirrorPolicies?: readonly RequestMirrorPolicy[];
  /** Strip the authority's port before virtual-host matching. */
  readonly ignorePortInHostMatching?: boolean;
  /** Ignore `;params` in the path when matching routes. */
  readonly ignorePathParametersInPathMatching?: boolean;
  readonly typedPerFilterConfig?: Readonly<Record<string, Any>>;
  readonly metadata?: Metadata;
}

/** `VirtualHost.TlsRequirementType`; missing is NONE. Istio's Gateway `httpsRedirect` sets ALL. */
export type TlsRequirementType = 'NONE' | 'EXTERNAL_ONLY' | 'ALL';

/** `VirtualHost`: a set of domains and the ordered routes that serve them. */
export interface VirtualHost {
  readonly name?: string;
  /** `example.com`, `*.example.com`, `*-bar.example.com`, `foo.*`, `*`; may include `:port`. */
  readonly domains?: readonly string[];
  readonly routes?: readonly Route[];
  readonly requireTls?: TlsRequirementType;
  readonly requestHeadersToAdd?: readonly HeaderValueOption[];
  readonly requestHeadersToRemove?: readonly string[];
  readonly responseHeadersToAdd?: readonly HeaderValueOption[];
  readonly responseHeadersToRemove?: readonly string[];
  /** Deprecated in favour of `typedPerFilterConfig['envoy.filters.http.cors']`. */
  readonly cors?: CorsPolicy;
  /** Keyed by HTTP filter name (`envoy.filters.http.cors`, `envoy.filters.http.fault`, …). */
  readonly typedPerFilterConfig?: Readonly<Record<string, Any>>;
  readonly includeRequestAttemptCount?: boolean;
  readonly includeAttemptCountInResponse?: boolean;
  /** Used by routes that have no retry policy of their own. */
  readonly retryPolicy?: RetryPolicy;
  readonly perRequestBufferLimitBytes?: UInt32Value;
  readonly requestMirrorPolicies?: readonly RequestMirrorPolicy[];
  readonly metadata?: Metadata;
}

/** `Route`: a match plus exactly one action (route / redirect / directResponse / nonForwarding). */
export interface Route {
  readonly name?: string;
  readonly match?: RouteMatch;
  readonly route?: RouteAction;
  readonly redirect?: RedirectAction;
  readonly directResponse?: DirectResponseAction;
  readonly nonForwardingAction?: Readonly<Record<string, never>>;
  /** Istio puts `filterMetadata.istio.fields.config` (the VirtualService path) here. */
  readonly metadata?: Metadata;
  readonly decorator?: Decorator;
  readonly typedPerFilterConfig?: Readonly<Record<string, Any>>;
  readonly requestHeadersToAdd?: readonly HeaderValueOption[];
  readonly requestHeadersToRemove?: readonly string[];
  readonly responseHeadersToAdd?: readonly HeaderValueOption[];
  readonly responseHeadersToRemove?: readonly string[];
  readonly perRequestBufferLimitBytes?: UInt32Value;
  readonly statPrefix?: string;
}

/** `RouteMatch`: one path specifier plus optional header/query/runtime conditions (all ANDed). */
export interface RouteMatch {
  readonly prefix?: string;
  readonly path?: string;
  readonly safeRegex?: RegexMatcher;
  /** Prefix that must end at a `/` boundary (or at the end of the path). */
  readonly pathSeparatedPrefix?: string;
  readonly connectMatcher?: Readonly<Record<string, never>>;
  readonly pathMatchPolicy?: TypedExtensionConfig;
  /** Applies to prefix/path/pathSeparatedPrefix; missing means true, `{}` means false. */
  readonly caseSensitive?: BoolValue;
  readonly runtimeFraction?: RuntimeFractionalPercent;
  readonly headers?: readonly HeaderMatcher[];
  readonly queryParameters?: readonly QueryParameterMatcher[];
  readonly grpc?: Readonly<Record<string, never>>;
  /** Matchers on the request's dynamic metadata (e.g. the JWT payload), all of which must pass. */
  readonly dynamicMetadata?: readonly MetadataMatcher[];
}

/** `HeaderMatcher`: one specifier (none = present), optionally inverted. */
export interface HeaderMatcher {
  /** Lower-case header name; `:authority` (alias `host`), `:method`, `:path`, `:scheme` allowed. */
  readonly name?: string;
  readonly stringMatch?: StringMatcher;
  readonly presentMatch?: boolean;
  readonly rangeMatch?: Int64Range;
  readonly invertMatch?: boolean;
  readonly treatMissingHeaderAsEmpty?: boolean;
  /** @deprecated use stringMatch.exact; an empty value matches any present header. */
  readonly exactMatch?: string;
  /** @deprecated use stringMatch.prefix. */
  readonly prefixMatch?: string;
  /** @deprecated use stringMatch.suffix. */
  readonly suffixMatch?: string;
  /** @deprecated use stringMatch.safeRegex. */
  readonly safeRegexMatch?: RegexMatcher;
  /** @deprecated use stringMatch.contains. */
  readonly containsMatch?: string;
}

/** `QueryParameterMatcher`: the first value of the named parameter, not percent-decoded. */
export interface QueryParameterMatcher {
  readonly name?: string;
  readonly stringMatch?: StringMatcher;
  readonly presentMatch?: boolean;
}

/** `RouteAction`: forward to a cluster, with rewrites, timeouts, retries, mirrors and hashing. */
export interface RouteAction {
  readonly cluster?: string;
  readonly clusterHeader?: string;
  readonly weightedClusters?: WeightedCluster;
  readonly clusterNotFoundResponseCode?: 'SERVICE_UNAVAILABLE' | 'NOT_FOUND' | 'INTERNAL_SERVER_ERROR';
  readonly metadataMatch?: Metadata;
  readonly prefixRewrite?: string;
  readonly regexRewrite?: RegexMatchAndSubstitute;
  readonly hostRewriteLiteral?: string;
  readonly autoHostRewrite?: BoolValue;
  readonly hostRewriteHeader?: string;
  readonly hostRewritePathRegex?: RegexMatchAndSubstitute;
  readonly appendXForwardedHost?: boolean;
  /** Missing means Envoy's 15 s; `{}` (0 s) disables the timeout (Istio's default). */
  readonly timeout?: Duration;
  readonly idleTimeout?: Duration;
  readonly retryPolicy?: RetryPolicy;
  readonly requestMirrorPolicies?: readonly RequestMirrorPolicy[];
  readonly priority?: RoutingPriority;
  readonly hashPolicy?: readonly HashPolicy[];
  /** Deprecated in favour of the CORS filter's per-route config. */
  readonly cors?: CorsPolicy;
  readonly maxGrpcTimeout?: Duration;
  readonly grpcTimeoutOffset?: Duration;
  readonly upgradeConfigs?: readonly UpgradeConfig[];
  readonly maxStreamDuration?: MaxStreamDuration;
}

/** `WeightedCluster`: clusters chosen in proportion to weight / sum of weights. */
export interface WeightedCluster {
  readonly clusters?: readonly ClusterWeight[];
  /** @deprecated the total is the sum of the weights. */
  readonly totalWeight?: UInt32Value;
  readonly runtimeKeyPrefix?: string;
  /** Header carrying the random value (an integer) used for the pick. */
  readonly headerName?: string;
}

/** `WeightedCluster.ClusterWeight`; `weight` is a UInt32Value (`{}` = 0 = never chosen). */
export interface ClusterWeight {
  readonly name?: string;
  readonly clusterHeader?: string;
  readonly weight?: UInt32Value;
  readonly metadataMatch?: Metadata;
  readonly requestHeadersToAdd?: readonly HeaderValueOption[];
  readonly requestHeadersToRemove?: readonly string[];
  readonly responseHeadersToAdd?: readonly HeaderValueOption[];
  readonly responseHeadersToRemove?: readonly string[];
  readonly typedPerFilterConfig?: Readonly<Record<string, Any>>;
  readonly hostRewriteLiteral?: string;
}

/** `RetryPolicy`; `numRetries` missing means 1. */
export interface RetryPolicy {
  /** Comma-separated: `5xx`, `gateway-error`, `reset`, `connect-failure`, `retriable-status-codes`, … */
  readonly retryOn?: string;
  readonly numRetries?: UInt32Value;
  readonly perTryTimeout?: Duration;
  readonly perTryIdleTimeout?: Duration;
  readonly retryPriority?: { readonly name?: string; readonly typedConfig?: Any };
  /** Istio adds `envoy.retry_host_predicates.previous_hosts`. */
  readonly retryHostPredicate?: readonly { readonly name?: string; readonly typedConfig?: Any }[];
  readonly hostSelectionRetryMaxAttempts?: number;
  readonly retriableStatusCodes?: readonly number[];
  readonly retryBackOff?: { readonly baseInterval?: Duration; readonly maxInterval?: Duration };
  readonly retriableHeaders?: readonly HeaderMatcher[];
  readonly retriableRequestHeaders?: readonly HeaderMatcher[];
}

/** `RequestMirrorPolicy` (shadowing); a missing `runtimeFraction` mirrors 100 %. */
export interface RequestMirrorPolicy {
  readonly cluster?: string;
  readonly clusterHeader?: string;
  readonly runtimeFraction?: RuntimeFractionalPercent;
  readonly traceSampled?: BoolValue;
  readonly disableShadowHostSuffixAppend?: boolean;
}

/** `RouteAction.HashPolicy`: one hash source for ring-hash/maglev. */
export interface HashPolicy {
  readonly header?: { readonly headerName?: string; readonly regexRewrite?: RegexMatchAndSubstitute };
  readonly cookie?: { readonly name?: string; readonly ttl?: Duration; readonly path?: string; readonly attributes?: readonly { readonly name?: string; readonly value?: string }[] };
  readonly connectionProperties?: { readonly sourceIp?: boolean };
  readonly queryParameter?: { readonly name?: string };
  readonly filterState?: { readonly key?: string };
  readonly terminal?: boolean;
}

/** `RouteAction.MaxStreamDuration`. */
export interface MaxStreamDuration {
  readonly maxStreamDuration?: Duration;
  readonly grpcTimeoutHeaderMax?: Duration;
  readonly grpcTimeoutHeaderOffset?: Duration;
}

/** `RouteAction.UpgradeConfig` (`websocket`, `CONNECT`). */
export interface UpgradeConfig {
  readonly upgradeType?: string;
  readonly enabled?: BoolValue;
}

/** `RedirectAction.RedirectResponseCode`; missing is MOVED_PERMANENTLY (301). */
export type RedirectResponseCode =
  | 'MOVED_PERMANENTLY'
  | 'FOUND'
  | 'SEE_OTHER'
  | 'TEMPORARY_REDIRECT'
  | 'PERMANENT_REDIRECT';

/** `RedirectAction`: answer with a Location built from the request. */
export interface RedirectAction {
  readonly httpsRedirect?: boolean;
  readonly schemeRedirect?: string;
  readonly hostRedirect?: string;
  readonly portRedirect?: number;
  readonly pathRedirect?: string;
  readonly prefixRewrite?: string;
  readonly regexRewrite?: RegexMatchAndSubstitute;
  readonly responseCode?: RedirectResponseCode;
  readonly stripQuery?: boolean;
}

/** `DirectResponseAction`: a fixed local reply. */
export interface DirectResponseAction {
  readonly status?: number;
  readonly body?: DataSource;
}

/** `Decorator`: span operation name. */
export interface Decorator {
  readonly operation?: string;
  readonly propagate?: BoolValue;
}

/**
 * CORS policy: both the deprecated `route.v3.CorsPolicy` and the CORS filter's per-route
 * `extensions.filters.http.cors.v3.CorsPolicy` (same fields), found in `typedPerFilterConfig`.
 */
export interface CorsPolicy {
  readonly allowOriginStringMatch?: readonly StringMatcher[];
  readonly allowMethods?: string;
  readonly allowHeaders?: string;
  readonly exposeHeaders?: string;
  readonly maxAge?: string;
  readonly allowCredentials?: BoolValue;
  readonly filterEnabled?: RuntimeFractionalPercent;
  readonly shadowEnabled?: RuntimeFractionalPercent;
  readonly allowPrivateNetworkAccess?: BoolValue;
  readonly forwardNotMatchingPreflights?: BoolValue;
}

/** Fault filter config (`extensions.filters.http.fault.v3.HTTPFault`), also used per route. */
export interface HttpFault {
  readonly delay?: { readonly fixedDelay?: Duration; readonly percentage?: FractionalPercent };
  readonly abort?: {
    readonly httpStatus?: number;
    readonly grpcStatus?: number;
    readonly percentage?: FractionalPercent;
  };
  readonly upstreamCluster?: string;
  readonly headers?: readonly HeaderMatcher[];
  readonly maxActiveFaults?: UInt32Value;
}
