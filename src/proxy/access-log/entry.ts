/**
 * What one access log line is made of: the facts of a finished request, taken from its
 * {@link StreamInfo} once the response is done (only when an access log is configured, so a proxy
 * without access logs never builds one). Formatters and CEL filters read this, never the stream,
 * which keeps them testable with hand-made entries.
 */
import { unmapIpv4 } from '../../envoy/cidr.js';
import type { IncomingHttpHeaders, OutgoingHttpHeader } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { StreamInfo } from '../http/stream-info.js';
import { peerIdentity } from '../tls/peer-identity.js';

/** The facts of one request, as Envoy's access log command operators name them. */
export interface AccessLogEntry {
  /** Request start, ms since the epoch (fractional). */
  readonly startTimeMs: number;
  readonly method: string;
  /** `:path` as sent upstream (after rewrites). */
  readonly path: string;
  /** The downstream path when a rewrite changed it (Envoy's `x-envoy-original-path`). */
  readonly originalPath: string | undefined;
  /** `HTTP/1.1`, `HTTP/2`… */
  readonly protocol: string;
  readonly authority: string | undefined;
  readonly scheme: string;
  /** Status sent downstream; 0 when no response started. */
  readonly responseCode: number;
  /** Envoy response flags, `-` for none. */
  readonly responseFlags: string;
  readonly responseCodeDetails: string | undefined;
  readonly connectionTerminationDetails: string | undefined;
  readonly upstreamTransportFailureReason: string | undefined;
  /** Request body bytes received. */
  readonly bytesReceived: number;
  /** Response body bytes sent. */
  readonly bytesSent: number;
  /** Start to end of the response (ms, fractional). */
  readonly durationMs: number;
  /** Downstream request header (lowercase name); undefined when absent. */
  requestHeader(name: string): string | undefined;
  /** Response header sent downstream (lowercase name). */
  responseHeader(name: string): string | undefined;
  /** All request headers, for CEL `request.headers`. */
  readonly requestHeaders: IncomingHttpHeaders;
  readonly upstreamHost: string | undefined;
  readonly upstreamCluster: string | undefined;
  readonly upstreamLocalAddress: string | undefined;
  readonly downstreamLocalAddress: string | undefined;
  readonly downstreamRemoteAddress: string | undefined;
  readonly requestedServerName: string | undefined;
  readonly routeName: string | undefined;
  readonly upstreamAttemptCount: number;
  /** True when the downstream connection is mutual TLS with a verified peer. */
  readonly mtls: boolean;
  /** SPIFFE URI SAN of the downstream peer certificate, when mTLS. */
  readonly downstreamPeerUriSan: string | undefined;
  /** `grpc-status` of the response (header or trailer), when gRPC. */
  readonly grpcStatus: string | undefined;
}

function addr(a: string | undefined, port: number | undefined): string | undefined {
  if (a === undefined) return undefined;
  const host = unmapIpv4(a);
  const h = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

function headerString(v: OutgoingHttpHeader | string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

function contentLength(v: OutgoingHttpHeader | string | string[] | undefined): number | undefined {
  const n = Number(headerString(v));
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Builds the entry of a finished stream. `wireReceived` / `wireSent` are the bytes this request
 * moved on the downstream socket; they stand in for body sizes when no Content-Length says them.
 */
export function entryOf(s: StreamInfo, endMs: number, wireReceived: number, wireSent: number): AccessLogEntry {
  const req = s.request;
  const res = s.response;
  const sock = req.socket as (TLSSocket & { encrypted?: boolean }) | null;
  const peer = peerIdentity(sock);
  const started = res.headersSent;
  const status = started ? res.statusCode : 0;
  const noBody = req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
  const received = noBody ? 0 : contentLength(req.headers['content-length']) ?? wireReceived;
  const rh = s.responseHeaders;
  const respHeader = (n: string) => (!started ? undefined : headerString(rh !== undefined ? rh[n] : res.getHeader(n)) ?? headerString(res.getHeader(n)));
  const sent = !started ? 0 : s.method === 'HEAD' ? 0 : contentLength(respHeader('content-length')) ?? wireSent;
  const route = s.selectedRoute;
  let details = s.details;
  if (details === undefined) {
    if (started && s.sentUpstream) details = 'via_upstream';
    else if (!started && s.responseFlags.includes('DC')) details = 'downstream_remote_disconnect';
  }
  const host = s.upstreamHost;
  return {
    startTimeMs: performance.timeOrigin + s.startMs,
    method: s.method,
    path: s.upstreamPath !== '' ? s.upstreamPath : s.path,
    originalPath: s.upstreamPath !== '' && s.upstreamPath !== s.path ? s.path : undefined,
    protocol: `HTTP/${req.httpVersion === '2.0' ? '2' : req.httpVersion}`,
    authority: s.authority,
    scheme: s.scheme,
    responseCode: status,
    responseFlags: s.responseFlags,
    responseCodeDetails: details,
    connectionTerminationDetails: undefined,
    upstreamTransportFailureReason: undefined,
    bytesReceived: received,
    bytesSent: sent,
    durationMs: endMs - s.startMs,
    requestHeader: (n) => headerString(s.headers[n]),
    responseHeader: respHeader,
    requestHeaders: s.headers,
    upstreamHost: host !== undefined ? addr(host.address, host.port) : undefined,
    upstreamCluster: s.upstreamClusterName,
    upstreamLocalAddress: s.upstreamLocalAddress !== undefined ? addr(s.upstreamLocalAddress.address, s.upstreamLocalAddress.port) : undefined,
    downstreamLocalAddress: sock ? addr(sock.localAddress, sock.localPort) : undefined,
    downstreamRemoteAddress: sock ? addr(sock.remoteAddress, sock.remotePort) : undefined,
    requestedServerName: typeof sock?.servername === 'string' && sock.servername !== '' ? sock.servername : undefined,
    routeName: route?.name !== undefined && route.name !== '' ? route.name : undefined,
    upstreamAttemptCount: s.attemptCount,
    mtls: peer !== undefined,
    downstreamPeerUriSan: peer?.principal || undefined,
    grpcStatus: respHeader('grpc-status'),
  };
}
