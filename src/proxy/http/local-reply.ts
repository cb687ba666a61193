/**
 * Replies the proxy generates itself (no route, no healthy upstream, timeouts, faults…), each with
 * Envoy's response flag, an HTTP status, Envoy's response-code details, and a short plain-text body
 * saying why. This is the one place that turns a failure into a local reply.
 */
import { WeftError } from '../../util/weft-error.js';

/** Envoy's response flags (short form), as they appear in access logs and `response_flags` labels. */
export type ResponseFlag =
  | 'UH' | 'UF' | 'UO' | 'NR' | 'URX' | 'UT' | 'UC' | 'UR' | 'LR' | 'DI' | 'FI' | 'DC' | 'RL' | 'UAEX'
  | 'NC' | 'DT' | 'SI' | 'DPE' | 'UPE' | 'UMSDR' | 'RLSE' | 'IH' | 'OM'
  /** No flag: Envoy sets none for some local replies (RBAC and JWT denials, path normalization). */
  | '-';

/** A failure that becomes a local reply: stable code, flag, status, details and message. */
export class ProxyError extends WeftError {
  /** Stable code, e.g. `NO_ROUTE`. */
  readonly code: string;
  readonly flag: ResponseFlag;
  readonly status: number;
  /** Envoy's response code details (`route_not_found`, `upstream_reset_before_response_started{connection_failure}` …). */
  readonly details: string;
  constructor(code: string, flag: ResponseFlag, status: number, details: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.code = code;
    this.flag = flag;
    this.status = status;
    this.details = details;
  }
}

/** A local reply with extra response headers (`www-authenticate`, ext_authz client headers, `connection: close`). */
export class HeaderedProxyError extends ProxyError {
  readonly replyHeaders: Readonly<Record<string, string>>;
  constructor(code: string, flag: ResponseFlag, status: number, details: string, message: string, replyHeaders: Readonly<Record<string, string>>) {
    super(code, flag, status, details, message);
    this.replyHeaders = replyHeaders;
  }
}

/** A local reply carrying a gRPC status (sent as HTTP 200 with `grpc-status` / `grpc-message`). */
export class GrpcProxyError extends ProxyError {
  readonly grpcStatus: number;
  constructor(code: string, flag: ResponseFlag, grpcStatus: number, details: string, message: string) {
    super(code, flag, 200, details, message);
    this.grpcStatus = grpcStatus;
  }
}

/** Envoy's order of response flags when several apply (its short-string table order). */
const FLAG_ORDER: readonly string[] = [
  'LH', 'UH', 'UT', 'LR', 'UR', 'UF', 'UC', 'UO', 'NR', 'DI', 'FI', 'RL', 'UAEX', 'RLSE', 'DC', 'URX', 'SI', 'IH', 'DPE',
  'UMSDR', 'RFCF', 'NFCF', 'DT', 'UPE', 'NC', 'OM', 'DF', 'DO', 'DR',
];

/**
 * Adds `flag` to a response-flags string ('-' for none), keeping Envoy's order and no duplicates:
 * `addFlag('URX', 'UF')` is `UF,URX`. Allocates only when a second flag is added.
 */
export function addFlag(current: string, flag: string): string {
  if (current === '-' || current === '') return flag;
  const parts = current.split(',');
  if (parts.includes(flag)) return current;
  parts.push(flag);
  parts.sort((a, b) => rank(a) - rank(b));
  return parts.join(',');
}

function rank(f: string): number {
  const i = FLAG_ORDER.indexOf(f);
  return i < 0 ? FLAG_ORDER.length : i;
}

/** The transport failure reason an upstream TLS error carries (upstream-connector.ts `reason`), or undefined. */
function transportFailure(cause: unknown): string | undefined {
  const r = (cause as { reason?: unknown } | undefined)?.reason;
  return typeof r === 'string' && r.startsWith('TLS_error:') ? r : undefined;
}

/** Envoy's body suffix `, transport failure reason: <reason>` ('' for non-TLS failures). */
function transportReason(cause: unknown): string {
  const r = transportFailure(cause);
  return r === undefined ? '' : `, transport failure reason: ${r}`;
}

/** Envoy's details suffix: the reason with spaces and `|` as `_` (`{connection_failure,TLS_error:_…}`). */
function transportDetails(cause: unknown): string {
  const r = transportFailure(cause);
  return r === undefined ? '' : `,${r.replace(/[ |]/g, '_')}`;
}

/** Factories for every local reply the proxy sends. Bodies are plain text, as Envoy's are. */
export const LocalReply = {
  noRoute: () => new ProxyError('NO_ROUTE', 'NR', 404, 'route_not_found', 'no route matched this request'),
  noCluster: (cluster: string) => new ProxyError('NO_CLUSTER', 'NC', 503, 'cluster_not_found', `cluster not found: ${cluster}`),
  noHealthyUpstream: () => new ProxyError('NO_HEALTHY_UPSTREAM', 'UH', 503, 'no_healthy_upstream', 'no healthy upstream'),
  /** A connect failure; a TLS one names its reason as Envoy does (`transport failure reason: TLS_error:…`). */
  connectFailure: (cause?: unknown) =>
    new ProxyError('UPSTREAM_CONNECT_FAILURE', 'UF', 503, `upstream_reset_before_response_started{connection_failure${transportDetails(cause)}}`,
      `upstream connect error or disconnect/reset before headers. reset reason: connection failure${transportReason(cause)}`, { cause }),
  /** Circuit breaker overflow; the router adds `x-envoy-overloaded: true` to this reply. */
  overflow: () => new ProxyError('UPSTREAM_OVERFLOW', 'UO', 503, 'upstream_reset_before_response_started{overflow}', 'upstream connect error or disconnect/reset before headers. reset reason: overflow'),
  upstreamTimeout: () => new ProxyError('UPSTREAM_TIMEOUT', 'UT', 504, 'upstream_response_timeout', 'upstream request timeout'),
  perTryTimeout: () => new ProxyError('UPSTREAM_PER_TRY_TIMEOUT', 'UT', 504, 'upstream_per_try_timeout', 'upstream request timeout'),
  upstreamReset: (cause?: unknown) =>
    new ProxyError('UPSTREAM_RESET', 'UC', 503, 'upstream_reset_before_response_started{connection_termination}',
      'upstream connect error or disconnect/reset before headers. reset reason: connection termination', { cause }),
  /** A connect failure after retries (Envoy words the body differently once it retried). */
  connectFailureRetried: (cause?: unknown) =>
    new ProxyError('UPSTREAM_CONNECT_FAILURE', 'UF', 503, `upstream_reset_before_response_started{connection_failure${transportDetails(cause)}}`,
      `upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection failure${transportReason(cause)}`, { cause }),
  /** A reset after retries. */
  upstreamResetRetried: (cause?: unknown) =>
    new ProxyError('UPSTREAM_RESET', 'UC', 503, 'upstream_reset_before_response_started{connection_termination}',
      'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection termination', { cause }),
  /** The downstream stream saw no activity for the HCM's `streamIdleTimeout`. */
  streamIdleTimeout: () => new ProxyError('STREAM_IDLE_TIMEOUT', 'SI', 408, 'stream_idle_timeout', 'stream timeout'),
  protocolError: (cause?: unknown) =>
    new ProxyError('UPSTREAM_PROTOCOL_ERROR', 'UPE', 503, 'upstream_reset_before_response_started{protocol_error}',
      'upstream connect error or disconnect/reset before headers. reset reason: protocol error', { cause }),
  faultAbort: (status: number) => new ProxyError('FAULT_ABORT', 'FI', status, 'fault_filter_abort', 'fault filter abort'),
  /** A gRPC fault abort: HTTP 200 with `grpc-status` (a trailers-only gRPC reply for gRPC requests). */
  faultAbortGrpc: (grpcStatus: number) => new GrpcProxyError('FAULT_ABORT', 'FI', grpcStatus, 'fault_filter_abort', 'fault filter abort'),
  rbacDenied: () => new ProxyError('RBAC_DENIED', 'UAEX', 403, 'rbac_access_denied_matched_policy[none]', 'RBAC: access denied'),
  badRequest: (why: string) => new ProxyError('BAD_REQUEST', 'DPE', 400, `http1.codec_error{${why}}`, `Bad Request: ${why}`),
  headersTooLarge: () => new ProxyError('HEADERS_TOO_LARGE', 'DPE', 431, 'http1.headers_too_large', 'Request Header Fields Too Large'),
  /** RBAC filter denial (Envoy sets no response flag; the details name the deciding policy). */
  rbacAccessDenied: (policy: string) => new ProxyError('RBAC_DENIED', '-', 403, `rbac_access_denied_matched_policy[${policy}]`, 'RBAC: access denied'),
  /** JWT authentication failure: 401 with Envoy's message (`Jwt verification fails`, …). */
  jwtDenied: (message: string, realm: string) =>
    new HeaderedProxyError('JWT_DENIED', '-', 401, `jwt_authn_access_denied{${message.replace(/ /g, '_')}}`, message,
      { 'www-authenticate': `Bearer realm="${realm}", error="invalid_token"` }),
  /** ext_authz denied: the authorization server's status and body, plus its allowed client headers. */
  extAuthzDenied: (status: number, body: string, headers: Readonly<Record<string, string>>) =>
    new HeaderedProxyError('EXT_AUTHZ_DENIED', 'UAEX', status, 'ext_authz_denied', body, headers),
  /** ext_authz could not get an answer and fails closed (`statusOnError`, default 403). */
  extAuthzError: (status: number) => new ProxyError('EXT_AUTHZ_ERROR', 'UAEX', status, 'ext_authz_error', ''),
  /** A request path Weft's path normalization refuses (`%2F`, `%5C`, `\\`, malformed escapes). */
  pathRejected: (reason: string) =>
    new HeaderedProxyError('PATH_REJECTED', 'DPE', 400, `path_normalization_failed{${reason}}`, `Bad Request: path rejected (${reason})`, { connection: 'close' }),
  /** A malformed request head the HTTP/1.1 parser let through; the connection is closed after it. */
  codecError: (why: string) =>
    new HeaderedProxyError('BAD_REQUEST', 'DPE', 400, `http1.codec_error{${why}}`, `Bad Request: ${why}`, { connection: 'close' }),
  /** More request headers than the limit (Envoy: `max_headers_count`, 100). */
  tooManyHeaders: () => new HeaderedProxyError('TOO_MANY_HEADERS', 'DPE', 431, 'http1.too_many_headers', 'Request Header Fields Too Large', { connection: 'close' }),
  /**
   * A request-target longer than the limit. Envoy has no 414: its HTTP/1 codec counts the URL
   * toward `max_request_headers_kb` (ServerConnectionImpl::onUrl → checkMaxHeadersSize) and
   * answers an over-long one 431 with details `http1.headers_too_large`; so does Weft (RFC 9110
   * §15.5.15 allows 414 but does not require it).
   */
  uriTooLong: () => new HeaderedProxyError('HEADERS_TOO_LARGE', 'DPE', 431, 'http1.headers_too_large', 'Request Header Fields Too Large', { connection: 'close' }),
  /** A request body outgrew the retry buffer while no attempt was in flight (Envoy's router: 507, no response flag). */
  retryBufferExceeded: () =>
    new ProxyError('RETRY_BUFFER_EXCEEDED', '-', 507, 'request_payload_exceeded_retry_buffer_limit', 'exceeded request buffer limit while retrying upstream'),
  /** The request headers did not arrive in time. */
  requestHeadersTimeout: () => new ProxyError('REQUEST_HEADERS_TIMEOUT', 'DPE', 408, 'http1.request_headers_timeout', 'Request Timeout'),
} as const;

/** Converts anything thrown on the request path into a ProxyError (unexpected ones: 500 LR, failing closed). */
export function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError('INTERNAL', 'LR', 500, 'internal_error', 'internal error', { cause: err });
}
