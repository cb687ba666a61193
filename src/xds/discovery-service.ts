/**
 * The gRPC service definition of Envoy's Aggregated Discovery Service
 * (`envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources`, a bidi
 * stream of DiscoveryRequest → DiscoveryResponse), built by hand from the protobufjs types that
 * protos.ts loads, so @grpc/grpc-js can serve and call it with Envoy's exact wire format. A real
 * Envoy or a `@grpc/grpc-js-xds` client talks to a server using these definitions.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { envoyRoot, OBJECT_OPTIONS } from './protos.js';
import { AdsError, AdsErrorCode } from './ads-errors.js';
import type { NodeMessage } from './node-info.js';
import { decodeRequestFast } from './ads-request-codec.js';

/** Full gRPC method path of the state-of-the-world ADS stream. */
export const ADS_METHOD_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

/** `google.rpc.Status` as carried in a NACK's `error_detail`. */
export interface RpcStatusMessage {
  code?: number;
  message?: string;
}

/** A DiscoveryRequest in Weft's object form (camelCase; unset fields absent). */
export interface DiscoveryRequestMessage {
  versionInfo?: string;
  node?: NodeMessage;
  resourceNames?: string[];
  typeUrl?: string;
  responseNonce?: string;
  errorDetail?: RpcStatusMessage;
}

/** A `google.protobuf.Any` kept as raw bytes: the resource is decoded only by whoever needs it. */
export interface AnyBytes {
  typeUrl: string;
  value: Uint8Array;
}

/** A DiscoveryResponse with its resources as raw `Any` bytes. */
export interface DiscoveryResponseMessage {
  versionInfo: string;
  resources: AnyBytes[];
  typeUrl: string;
  nonce: string;
  controlPlane?: { identifier: string };
}

interface Codecs {
  request: protobuf.Type;
  response: protobuf.Type;
}

let codecs: Codecs | undefined;

function types(): Codecs {
  if (!codecs) {
    const root = envoyRoot();
    codecs = {
      request: root.lookupType('envoy.service.discovery.v3.DiscoveryRequest'),
      response: root.lookupType('envoy.service.discovery.v3.DiscoveryResponse'),
    };
  }
  return codecs;
}

/** Encodes a DiscoveryRequest object to wire bytes. */
export function serializeDiscoveryRequest(req: DiscoveryRequestMessage): Buffer {
  const type = types().request;
  try {
    return Buffer.from(type.encode(type.fromObject(req as Record<string, unknown>)).finish());
  } catch (cause) {
    throw new AdsError(AdsErrorCode.Encode, `DiscoveryRequest: ${(cause as Error).message}`, { cause });
  }
}

/** Decodes DiscoveryRequest wire bytes to Weft's object form. */
export function deserializeDiscoveryRequest(bytes: Buffer): DiscoveryRequestMessage {
  const type = types().request;
  try {
    return type.toObject(type.decode(bytes), OBJECT_OPTIONS) as DiscoveryRequestMessage;
  } catch (cause) {
    throw new AdsError(AdsErrorCode.Decode, `DiscoveryRequest: ${(cause as Error).message}`, { cause });
  }
}

/** Encodes a DiscoveryResponse object (resources as raw Any bytes) to wire bytes. */
export function serializeDiscoveryResponse(res: DiscoveryResponseMessage): Buffer {
  const type = types().response;
  try {
    // protobufjs' built-in google.protobuf.Any keeps the proto field name `type_url`.
    const resources = res.resources.map((a) => ({ type_url: a.typeUrl, value: a.value }));
    return Buffer.from(type.encode({ ...res, resources }).finish());
  } catch (cause) {
    throw new AdsError(AdsErrorCode.Encode, `DiscoveryResponse: ${(cause as Error).message}`, { cause });
  }
}

interface RawAny {
  type_url?: string;
  value?: Uint8Array;
}

interface RawResponse {
  versionInfo?: string;
  resources?: RawAny[];
  typeUrl?: string;
  nonce?: string;
  controlPlane?: { identifier?: string };
}

/** Decodes DiscoveryResponse wire bytes, leaving each resource as raw `Any` bytes. */
export function deserializeDiscoveryResponse(bytes: Buffer): DiscoveryResponseMessage {
  let raw: RawResponse;
  try {
    raw = types().response.decode(bytes) as unknown as RawResponse;
  } catch (cause) {
    throw new AdsError(AdsErrorCode.Decode, `DiscoveryResponse: ${(cause as Error).message}`, { cause });
  }
  const out: DiscoveryResponseMessage = {
    versionInfo: raw.versionInfo ?? '',
    typeUrl: raw.typeUrl ?? '',
    nonce: raw.nonce ?? '',
    resources: (raw.resources ?? []).map((a) => ({ typeUrl: a.type_url ?? '', value: a.value ?? new Uint8Array() })),
  };
  if (raw.controlPlane?.identifier) out.controlPlane = { identifier: raw.controlPlane.identifier };
  return out;
}

/** Method shape of the ADS stream with object messages in both directions. */
export type AdsMethod = MethodDefinition<DiscoveryRequestMessage, DiscoveryResponseMessage>;

/**
 * ADS service definition with object messages both ways: what a client uses
 * (`requestSerialize`, `responseDeserialize`), and what a simple server may use.
 */
export const adsServiceDefinition: ServiceDefinition<{ StreamAggregatedResources: AdsMethod }> = {
  StreamAggregatedResources: {
    path: ADS_METHOD_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: serializeDiscoveryRequest,
    requestDeserialize: deserializeDiscoveryRequest,
    responseSerialize: serializeDiscoveryResponse,
    responseDeserialize: deserializeDiscoveryResponse,
    originalName: 'streamAggregatedResources',
  },
};

/** Method shape of the ADS stream where the server writes already-encoded DiscoveryResponses. */
export type AdsPreEncodedMethod = MethodDefinition<DiscoveryRequestMessage, Buffer>;

/**
 * The same service and wire format, but the server writes DiscoveryResponse bytes it encoded
 * itself (ads-wire.ts), so per-resource `Any` frames are built once and shared across proxies,
 * and reads requests with the hot-path decoder of ads-request-codec.ts.
 */
export const adsPreEncodedServiceDefinition: ServiceDefinition<{ StreamAggregatedResources: AdsPreEncodedMethod }> = {
  StreamAggregatedResources: {
    path: ADS_METHOD_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: serializeDiscoveryRequest,
    requestDeserialize: decodeRequestFast,
    responseSerialize: (bytes: Buffer): Buffer => bytes,
    responseDeserialize: (bytes: Buffer): Buffer => bytes,
    originalName: 'streamAggregatedResources',
  },
};
