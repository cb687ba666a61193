/**
 * Envoy's xDS v3 protos, loaded at run time with protobufjs from the copies that ship inside
 * `@grpc/grpc-js-xds` (nothing vendored here). Every xDS resource in Weft is a plain object in
 * protobufjs' JSON-ish form: camelCase fields, enums as names, durations as `{seconds, nanos}`,
 * `google.protobuf.Any` as `{'@type': 'type.googleapis.com/…', …fields}`. These helpers convert
 * between that form and wire bytes.
 */
import type protobuf from 'protobufjs';
import { loadEnvoyRoot, type EnvoyProtoSpec } from './envoy-descriptor.js';
import { TypeUrl } from '../envoy/type-url.js';
import { WeftError } from '../util/weft-error.js';

/** The proto files Weft needs; their imports are followed automatically. */
const PROTO_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/secret/v3/sds.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/filters/cel/v3/cel.proto',
  'envoy/config/trace/v3/zipkin.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
  'envoy/extensions/request_id/uuid/v3/uuid.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto',
  'xds/type/v3/typed_struct.proto',
];

/** Names looked up directly (ADS messages, the node, NACK status, ext_authz status codes). */
const EXTRA_ROOTS = [
  'envoy.service.discovery.v3.DiscoveryRequest',
  'envoy.service.discovery.v3.DiscoveryResponse',
  'envoy.config.core.v3.Node',
  'google.rpc.Status',
  'envoy.type.v3.StatusCode',
  ...Object.values(TypeUrl).map((u) => u.replace(/^type\.googleapis\.com\//, '')),
];

/** What {@link envoyRoot} loads: the files above and the names Weft looks up. */
export const ENVOY_PROTO_SPEC: EnvoyProtoSpec = { files: PROTO_FILES, extraRoots: EXTRA_ROOTS };

let cachedRoot: protobuf.Root | undefined;

/**
 * The protobufjs root holding Envoy's xDS types, loaded once and cached: from a pruned JSON
 * descriptor cached on disk (a few tens of ms), or on a first run parsed from the `.proto` files
 * (about 100 ms; see envoy-descriptor.ts).
 */
export function envoyRoot(): protobuf.Root {
  cachedRoot ??= loadEnvoyRoot(ENVOY_PROTO_SPEC);
  return cachedRoot;
}

/** Looks up a message type by its type URL or full name. */
export function messageType(typeUrlOrName: string): protobuf.Type {
  const name = typeUrlOrName.replace(/^type\.googleapis\.com\//, '');
  return envoyRoot().lookupType(name);
}

/** Options that fix Weft's object form: what `toObject` produces and `fromObject` accepts. */
export const OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  bytes: String,
  defaults: false,
  arrays: false,
  objects: false,
  oneofs: false,
  json: true,
};

/** Error raised when an object does not fit its proto type; code `XDS_ENCODE`. */
export class XdsEncodeError extends WeftError {
  readonly code = 'XDS_ENCODE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XdsEncodeError';
  }
}

/** Encodes a resource object of the given type to protobuf bytes, checking it first. */
export function encodeResource(typeUrl: string, obj: object): Uint8Array {
  const type = messageType(typeUrl);
  try {
    // fromObject accepts enum names; verify checks the converted message (enums as numbers).
    const message = type.fromObject(obj as Record<string, unknown>);
    const err = type.verify(message);
    if (err) throw new XdsEncodeError(`${type.name}: ${err}`);
    return type.encode(message).finish();
  } catch (cause) {
    if (cause instanceof XdsEncodeError) throw cause;
    throw new XdsEncodeError(`${type.name}: ${(cause as Error).message}`, { cause });
  }
}

/** Decodes protobuf bytes of the given type to Weft's object form. */
export function decodeResource<T = Record<string, unknown>>(typeUrl: string, bytes: Uint8Array): T {
  const type = messageType(typeUrl);
  return type.toObject(type.decode(bytes), OBJECT_OPTIONS) as T;
}
