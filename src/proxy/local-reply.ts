/**
 * Replies the proxy generates itself (no route, no healthy upstream, timeouts, faults…), each with
 * Envoy's response flag, an HTTP status, Envoy's response-code details, and a short plain-text body
 * saying why. This is the one place that turns a failure into a local reply.
 */

/** Envoy's response flags (short form), as they appear in access logs and `response_flags` labels. */
export type ResponseFlag =
  | 'UH' | 'UF' | 'UO' | 'NR' | 'URX' | 'UT' | 'UC' | 'UR' | 'LR' | 'DI' | 'FI' | 'DC' | 'RL' | 'UAEX'
  | 'NC' | 'DT' | 'SI' | 'DPE' | 'UPE' | 'UMSDR' | 'RLSE' | 'IH' | 'OM';

/** A failure that becomes a local reply: stable code, flag, status, details and message. */
export class ProxyError extends Error {
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

/** Factories for every local reply the proxy sends. Bodies are plain text, as Envoy's are. */
export const LocalReply = {
  noRoute: () => new ProxyError('NO_ROUTE', 'NR', 404, 'route_not_found', 'no route matched this request'),
  noCluster: (cluster: string) => new ProxyError('NO_CLUSTER', 'NC', 503, 'cluster_not_found', `cluster not found: ${cluster}`),
  noHealthyUpstream: () => new ProxyError('NO_HEALTHY_UPSTREAM', 'UH', 503, 'no_healthy_upstream', 'no healthy upstream'),
  connectFailure: (cause?: unknown) =>
    new ProxyError('UPSTREAM_CONNECT_FAILURE', 'UF', 503, 'upstream_reset_before_response_started{connection_failure}',
      'upstream connect error or disconnect/reset before headers. reset reason: connection failure', { cause }),
  overflow: () => new ProxyError('UPSTREAM_OVERFLOW', 'UO', 503, 'upstream_reset_before_response_started{overflow}', 'upstream connect error or disconnect/reset before headers. reset reason: overflow'),
  upstreamTimeout: () => new ProxyError('UPSTREAM_TIMEOUT', 'UT', 504, 'upstream_response_timeout', 'upstream request timeout'),
  upstreamReset: (cause?: unknown) =>
    new ProxyError('UPSTREAM_RESET', 'UC', 503, 'upstream_reset_before_response_started{connection_termination}',
      'upstream connect error or disconnect/reset before headers. reset reason: connection termination', { cause }),
  protocolError: (cause?: unknown) =>
    new ProxyError('UPSTREAM_PROTOCOL_ERROR', 'UPE', 502, 'upstream_reset_before_response_started{protocol_error}', 'upstream sent an invalid HTTP response', { cause }),
  faultAbort: (status: number) => new ProxyError('FAULT_ABORT', 'FI', status, 'fault_filter_abort', 'fault filter abort'),
  rbacDenied: () => new ProxyError('RBAC_DENIED', 'UAEX', 403, 'rbac_access_denied_matched_policy[none]', 'RBAC: access denied'),
  badRequest: (why: string) => new ProxyError('BAD_REQUEST', 'DPE', 400, `http1.codec_error{${why}}`, `Bad Request: ${why}`),
  headersTooLarge: () => new ProxyError('HEADERS_TOO_LARGE', 'DPE', 431, 'http1.headers_too_large', 'Request Header Fields Too Large'),
} as const;
