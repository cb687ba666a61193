/**
 * gRPC-shaped local replies, as Envoy sends them: a proxy-generated reply to a gRPC request
 * (`content-type: application/grpc…`) is HTTP 200 with `content-type: application/grpc`,
 * `grpc-status` and a percent-encoded `grpc-message`, and no body — over HTTP/2 a trailers-only
 * response (one HEADERS frame with END_STREAM). The gRPC status is the one the error carries (fault
 * `grpcStatus`) or Envoy's HTTP → gRPC mapping of the local reply's HTTP status.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { DownstreamResponse } from '../http/downstream.js';

/** gRPC status codes used here. */
export const GrpcStatus = {
  Ok: 0, Unknown: 2, PermissionDenied: 7, ResourceExhausted: 8, Unimplemented: 12, Internal: 13, Unavailable: 14, Unauthenticated: 16,
} as const;

/** True when the request is gRPC (its content type starts with `application/grpc`). */
export function isGrpcRequest(headers: IncomingHttpHeaders): boolean {
  const ct = headers['content-type'];
  return typeof ct === 'string' && ct.startsWith('application/grpc');
}

/** Envoy's `Grpc::Utility::httpToGrpcStatus`. */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400:
      return GrpcStatus.Internal;
    case 401:
      return GrpcStatus.Unauthenticated;
    case 403:
      return GrpcStatus.PermissionDenied;
    case 404:
      return GrpcStatus.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.Unavailable;
    default:
      return GrpcStatus.Unknown;
  }
}

/** gRPC's percent-encoding of `grpc-message` (printable ASCII except `%` stays as is). */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const b of Buffer.from(message, 'utf8')) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Writes a gRPC local reply on `res` (node:http or the HTTP/2 compat response). Headers are set,
 * not written with writeHead, so HTTP/2 sends them as a trailers-only response.
 */
export function writeGrpcLocalReply(res: DownstreamResponse, grpcStatus: number, message: string, extra: Readonly<Record<string, string | number>>): void {
  res.statusCode = 200;
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.setHeader('content-type', 'application/grpc');
  res.setHeader('grpc-status', String(grpcStatus));
  res.setHeader('grpc-message', encodeGrpcMessage(message));
  if (res.getHeader('content-length') !== undefined) res.removeHeader('content-length');
  // HTTP/1.1 has no trailers-only form: an empty body with content-length 0.
  if ((res as DownstreamResponse & { stream?: unknown }).stream === undefined) res.setHeader('content-length', 0);
  res.end();
}
