/**
 * Common Envoy v3 messages (`envoy.config.core.v3`, `envoy.type.v3`, `envoy.type.matcher.v3`,
 * `google.protobuf` well-known types) in Weft's object form: what `decodeResource` in
 * `src/xds/protos.ts` returns and `encodeResource` accepts.
 *
 * Rules of the object form (checked against the protos shipped in `@grpc/grpc-js-xds`):
 * - Field names are protobufjs' camelCase, which only folds `_x` when `x` is a letter: so
 *   `consecutive_5xx`, `enforcingConsecutive_5xx`, `acceptHttp_10`, `proxy_100Continue` keep their
 *   underscore.
 * - Every field is optional. Decoded objects omit proto3 defaults, so a missing number is 0, a
 *   missing bool false, a missing string '' and a missing enum its first (zero) value.
 * - Wrapper types (`UInt32Value`, `BoolValue`, …) are `{value}` objects whose inner default may be
 *   omitted: Envoy-style encoders (Go, C++) send `{value: false}` as an empty message, which decodes
 *   as `{}`; protobufjs itself writes the explicit default, which decodes as `{value: false}`. Both
 *   mean false / 0. So `caseSensitive: {}` means *false*, while a missing `caseSensitive` means the
 *   field's own default (true). Read wrappers with {@link wrapped}.
 * - Enums are their string names. int64/uint64 are plain numbers. `bytes` are base64 strings.
 * - `google.protobuf.Any` is `{'@type': 'type.googleapis.com/<full name>', ...fields}`.
 * - `google.protobuf.Struct` is NOT plain JSON: it is `{fields: {key: Value}}` where a `Value` is one
 *   of `{nullValue: 'NULL_VALUE'}`, `{numberValue}`, `{stringValue}`, `{boolValue}`,
 *   `{structValue: Struct}`, `{listValue: {values: Value[]}}`. A plain-JSON object given to
 *   `encodeResource` as a Struct silently encodes as an empty Struct.
 */

/** `google.protobuf.Duration`; a missing part is 0. */
export interface Duration {
  readonly seconds?: number;
  readonly nanos?: number;
}

/** `google.protobuf.UInt32Value` (also used for UInt64Value; uint64 decode as numbers). */
export interface UInt32Value {
  readonly value?: number;
}

/** `google.protobuf.UInt64Value`. */
export type UInt64Value = UInt32Value;

/** `google.protobuf.BoolValue`; `{}` is false. */
export interface BoolValue {
  readonly value?: boolean;
}

/** `google.protobuf.DoubleValue`. */
export interface DoubleValue {
  readonly value?: number;
}

/** `google.protobuf.Any`: the type URL plus the packed message's fields. */
export interface Any {
  readonly '@type': string;
  readonly [field: string]: unknown;
}

/** An `Any` known to pack a message of shape `T`. */
export type TypedAny<T> = { readonly '@type': string } & T;

/** `google.protobuf.Value` in object form: exactly one member is set. */
export interface StructValue {
  readonly nullValue?: 'NULL_VALUE';
  readonly numberValue?: number;
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly structValue?: Struct;
  readonly listValue?: { readonly values?: readonly StructValue[] };
}

/** `google.protobuf.Struct` in object form (`{fields: …}`, see the file comment). */
export interface Struct {
  readonly fields?: Readonly<Record<string, StructValue>>;
}

/** `envoy.config.core.v3.Metadata`: per-filter namespaces (`istio`, `envoy.lb`, …). */
export interface Metadata {
  readonly filterMetadata?: Readonly<Record<string, Struct>>;
  readonly typedFilterMetadata?: Readonly<Record<string, Any>>;
}

/** `envoy.type.v3.FractionalPercent.DenominatorType`; missing means HUNDRED. */
export type DenominatorType = 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION';

/** `envoy.type.v3.FractionalPercent`: numerator / denominator. */
export interface FractionalPercent {
  readonly numerator?: number;
  readonly denominator?: DenominatorType;
}

/** `envoy.config.core.v3.RuntimeFractionalPercent`; Weft has no runtime, so `defaultValue` rules. */
export interface RuntimeFractionalPercent {
  readonly defaultValue?: FractionalPercent;
  readonly runtimeKey?: string;
}

/** `envoy.type.v3.Percent` (a double in [0, 100]). */
export interface Percent {
  readonly value?: number;
}

/** `envoy.type.v3.Int64Range`: half-open [start, end). */
export interface Int64Range {
  readonly start?: number;
  readonly end?: number;
}

/** `envoy.type.matcher.v3.RegexMatcher`: RE2 syntax, matched against the whole input. */
export interface RegexMatcher {
  readonly regex?: string;
  /** Deprecated engine selector; RE2 is the only engine. */
  readonly googleRe2?: { readonly maxProgramSize?: UInt32Value };
}

/** `envoy.type.matcher.v3.RegexMatchAndSubstitute`: RE2 global replace, `\1`-style groups. */
export interface RegexMatchAndSubstitute {
  readonly pattern?: RegexMatcher;
  readonly substitution?: string;
}

/** `envoy.type.matcher.v3.StringMatcher`: exactly one of exact/prefix/suffix/safeRegex/contains. */
export interface StringMatcher {
  readonly exact?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly safeRegex?: RegexMatcher;
  readonly contains?: string;
  /** Unsupported extension matcher; compiling one is an error. */
  readonly custom?: TypedExtensionConfig;
  /** ASCII case-insensitive exact/prefix/suffix/contains; no effect on safeRegex. */
  readonly ignoreCase?: boolean;
}

/** `envoy.config.core.v3.HeaderValue`. */
export interface HeaderValue {
  readonly key?: string;
  readonly value?: string;
  /** base64 bytes; used instead of `value` when set. */
  readonly rawValue?: string;
}

/** `envoy.config.core.v3.HeaderValueOption.HeaderAppendAction`; missing is APPEND_IF_EXISTS_OR_ADD. */
export type HeaderAppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';

/** `envoy.config.core.v3.HeaderValueOption`; deprecated `append` overrides `appendAction` when set. */
export interface HeaderValueOption {
  readonly header?: HeaderValue;
  readonly append?: BoolValue;
  readonly appendAction?: HeaderAppendAction;
  readonly keepEmptyValue?: boolean;
}

/** `envoy.config.core.v3.DataSource`. */
export interface DataSource {
  readonly filename?: string;
  /** base64 bytes. */
  readonly inlineBytes?: string;
  readonly inlineString?: string;
  readonly environmentVariable?: string;
}

/** `envoy.config.core.v3.SocketAddress`. */
export interface SocketAddress {
  readonly protocol?: 'TCP' | 'UDP';
  readonly address?: string;
  readonly portValue?: number;
  readonly namedPort?: string;
  readonly resolverName?: string;
  readonly ipv4Compat?: boolean;
}

/** `envoy.config.core.v3.Address`: one of socket, pipe or internal address. */
export interface Address {
  readonly socketAddress?: SocketAddress;
  readonly pipe?: { readonly path?: string; readonly mode?: number };
  readonly envoyInternalAddress?: { readonly serverListenerName?: string; readonly endpointId?: string };
}

/** `envoy.config.core.v3.CidrRange`; a missing `prefixLen` is 0. */
export interface CidrRange {
  readonly addressPrefix?: string;
  readonly prefixLen?: UInt32Value;
}

/** `envoy.config.core.v3.TypedExtensionConfig`. */
export interface TypedExtensionConfig {
  readonly name?: string;
  readonly typedConfig?: Any;
}

/** `envoy.config.core.v3.TransportSocket` (tls, raw_buffer, …). */
export interface TransportSocket {
  readonly name?: string;
  readonly typedConfig?: Any;
}

/** `envoy.config.core.v3.ConfigSource`, as istiod uses it (`ads: {}`, resource API V3). */
export interface ConfigSource {
  readonly ads?: Readonly<Record<string, never>>;
  readonly self?: Readonly<Record<string, never>>;
  readonly path?: string;
  readonly initialFetchTimeout?: Duration;
  readonly resourceApiVersion?: 'AUTO' | 'V2' | 'V3';
}

/** `envoy.config.core.v3.Locality`. */
export interface Locality {
  readonly region?: string;
  readonly zone?: string;
  readonly subZone?: string;
}

/** `envoy.config.core.v3.HealthStatus`; missing is UNKNOWN (treated as healthy by Envoy). */
export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

/** `envoy.config.core.v3.TrafficDirection`; missing is UNSPECIFIED. */
export type TrafficDirection = 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';

/** `envoy.config.core.v3.RoutingPriority`; missing is DEFAULT. */
export type RoutingPriority = 'DEFAULT' | 'HIGH';

/** `envoy.config.core.v3.HttpProtocolOptions` (HCM `commonHttpProtocolOptions`, upstream options). */
export interface HttpProtocolOptions {
  readonly idleTimeout?: Duration;
  readonly maxConnectionDuration?: Duration;
  readonly maxHeadersCount?: UInt32Value;
  readonly maxStreamDuration?: Duration;
  readonly headersWithUnderscoresAction?: 'ALLOW' | 'REJECT_REQUEST' | 'DROP_HEADER';
  readonly maxRequestsPerConnection?: UInt32Value;
}

/** `envoy.config.core.v3.Http1ProtocolOptions` (subset; note protobufjs' `acceptHttp_10`). */
export interface Http1ProtocolOptions {
  readonly allowAbsoluteUrl?: BoolValue;
  readonly acceptHttp_10?: boolean;
  readonly defaultHostForHttp_10?: string;
  readonly enableTrailers?: boolean;
  readonly allowChunkedLength?: boolean;
}

/** `envoy.config.core.v3.Http2ProtocolOptions` (subset). */
export interface Http2ProtocolOptions {
  readonly hpackTableSize?: UInt32Value;
  readonly maxConcurrentStreams?: UInt32Value;
  readonly initialStreamWindowSize?: UInt32Value;
  readonly initialConnectionWindowSize?: UInt32Value;
  readonly allowConnect?: boolean;
  /** `KeepaliveSettings`: PING every `interval`, close the connection when one is not answered within `timeout`. */
  readonly connectionKeepalive?: { readonly interval?: Duration; readonly timeout?: Duration };
}

/** `envoy.config.core.v3.TcpKeepalive`. */
export interface TcpKeepalive {
  readonly keepaliveProbes?: UInt32Value;
  readonly keepaliveTime?: UInt32Value;
  readonly keepaliveInterval?: UInt32Value;
}

/** `envoy.config.accesslog.v3.AccessLog`; filters are kept loosely typed. */
export interface AccessLog {
  readonly name?: string;
  readonly filter?: Readonly<Record<string, unknown>>;
  readonly typedConfig?: Any;
}

/** Reads a wrapper field: the default when the wrapper is absent, the (defaulted) value when present. */
export function wrapped<T extends number | boolean>(w: { readonly value?: T } | undefined, dflt: T): T {
  if (w === undefined || w === null) return dflt;
  if (w.value !== undefined) return w.value;
  return (typeof dflt === 'number' ? 0 : false) as T;
}
