/**
 * Istio's certificate service (`istio.v1.auth.IstioCertificateService/CreateCertificate`), defined
 * with protobufjs reflection (no .proto file): 
 *
 *   IstioCertificateRequest  { string csr = 1; int64 validity_duration = 3; google.protobuf.Struct metadata = 4; }
 *   IstioCertificateResponse { repeated string cert_chain = 1; }
 *
 * `validity_duration` is in seconds; `cert_chain` is leaf first, root last. Field names are kept
 * in snake_case in the object form, as on the wire definition.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** The gRPC method path. */
export const CREATE_CERTIFICATE_PATH = '/istio.v1.auth.IstioCertificateService/CreateCertificate';

/** Request in object form. */
export interface IstioCertificateRequest {
  csr: string;
  /** Seconds; 0 = the CA's default. */
  validity_duration?: number;
  /** Free-form string metadata (Weft sends `WEFT_NODE_ID`). */
  metadata?: Record<string, string>;
}

/** Response in object form. */
export interface IstioCertificateResponse {
  cert_chain: string[];
}

let types: { req: protobuf.Type; res: protobuf.Type } | undefined;

function codec(): { req: protobuf.Type; res: protobuf.Type } {
  if (types) return types;
  const root = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/struct.proto') as protobuf.INamespace);
  root.addJSON({
    istio: { nested: { v1: { nested: { auth: { nested: {
      IstioCertificateRequest: { fields: { csr: { type: 'string', id: 1 }, validity_duration: { type: 'int64', id: 3 }, metadata: { type: 'google.protobuf.Struct', id: 4 } } },
      IstioCertificateResponse: { fields: { cert_chain: { rule: 'repeated', type: 'string', id: 1 } } },
      IstioCertificateService: { methods: { CreateCertificate: { requestType: 'IstioCertificateRequest', responseType: 'IstioCertificateResponse', comment: '' } } },
    } } } } } },
  });
  root.resolveAll();
  types = { req: root.lookupType('istio.v1.auth.IstioCertificateRequest'), res: root.lookupType('istio.v1.auth.IstioCertificateResponse') };
  return types;
}

interface StructWire {
  fields?: Record<string, { stringValue?: string }>;
}

function encodeRequest(r: IstioCertificateRequest): Buffer {
  const { req } = codec();
  const fields: Record<string, { stringValue: string }> = {};
  for (const [k, v] of Object.entries(r.metadata ?? {})) fields[k] = { stringValue: v };
  const msg = req.fromObject({ csr: r.csr, validity_duration: r.validity_duration ?? 0, ...(r.metadata ? { metadata: { fields } } : {}) });
  return Buffer.from(req.encode(msg).finish());
}

function decodeRequest(b: Buffer): IstioCertificateRequest {
  const { req } = codec();
  const o = req.toObject(req.decode(b), { longs: Number, defaults: true }) as { csr: string; validity_duration: number; metadata?: StructWire };
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.metadata?.fields ?? {})) if (typeof v.stringValue === 'string') metadata[k] = v.stringValue;
  return { csr: o.csr, validity_duration: o.validity_duration, metadata };
}

function encodeResponse(r: IstioCertificateResponse): Buffer {
  const { res } = codec();
  return Buffer.from(res.encode(res.fromObject(r)).finish());
}

function decodeResponse(b: Buffer): IstioCertificateResponse {
  const { res } = codec();
  return res.toObject(res.decode(b), { defaults: true }) as IstioCertificateResponse;
}

/** The unary CreateCertificate method. */
export type CreateCertificateMethod = MethodDefinition<IstioCertificateRequest, IstioCertificateResponse>;

/** Service definition for @grpc/grpc-js servers and clients. */
export const istioCertificateService: ServiceDefinition<{ CreateCertificate: CreateCertificateMethod }> = {
  CreateCertificate: {
    path: CREATE_CERTIFICATE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
    originalName: 'createCertificate',
  },
};
