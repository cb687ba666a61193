/**
 * The one place where an upstream failure before the response becomes Envoy's vocabulary: the
 * stream reset reason the retry policy decides on (Envoy's `Http::StreamResetReason`,
 * envoy/http/stream_reset_handler.h: `ConnectionFailure`, `ConnectionTermination`,
 * `RemoteRefusedStreamReset`, `ProtocolError`…), the response flag of the local reply (Envoy's
 * `UF` upstream connection failure, `UC` upstream connection termination, `UPE` upstream protocol
 * error: envoy/stream_info/stream_info.h), the outlier detector's local-origin event, and which
 * failures count as `upstream_cx_connect_fail`. The error codes come from the layers that raise
 * them: the socket (`ECONNREFUSED`…), the host's connect timeout ({@link CONNECT_TIMEOUT_CODE}),
 * upstream TLS ({@link UPSTREAM_TLS_FAILURE_CODE}), HTTP/1.1 response parsing
 * ({@link UPSTREAM_PROTOCOL_ERROR_CODE}, llhttp's `HPE_*`) and HTTP/2 stream resets
 * ({@link H2_REFUSED_STREAM_CODE}). Pure functions; the results are shared constants.
 */
import { ResetReason } from '../../envoy/retry-policy.js';
import { LocalReply, type ProxyError } from '../http/local-reply.js';
import { CONNECT_TIMEOUT_CODE } from '../upstream/connect-timeout.js';
import { UPSTREAM_TLS_FAILURE_CODE } from '../tls/upstream-connector.js';
import { H2_REFUSED_STREAM_CODE } from '../h2/h2-upstream-request.js';
import { UPSTREAM_PROTOCOL_ERROR_CODE } from '../h1/response-parser.js';

/** What an upstream failure before the response means. */
export interface UpstreamFailure {
  /** The reset reason the retry policy sees (`retryOn: connect-failure`, `reset`, `refused-stream`…). */
  readonly reason: ResetReason;
  /** The Envoy response flag of the local reply when no retry follows. */
  readonly flag: 'UF' | 'UC' | 'UPE';
  /** Counted in the cluster's `upstream_cx_connect_fail` (Envoy counts connect timeouts in `upstream_cx_connect_timeout` only). */
  readonly countsConnectFail: boolean;
  /** The outlier detector's local-origin event (Envoy's `LocalOriginConnectFailed` / `LocalOriginTimeout`… reported as connect or reset). */
  readonly outlierEvent: 'connect' | 'reset';
}

/** Socket-level codes of a connection that could not be established. */
const CONNECT_FAILURE_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ETIMEDOUT', UPSTREAM_TLS_FAILURE_CODE]);

const CONNECT_FAILURE: UpstreamFailure = Object.freeze({ reason: ResetReason.ConnectFailure, flag: 'UF', countsConnectFail: true, outlierEvent: 'connect' });
const CONNECT_TIMEOUT: UpstreamFailure = Object.freeze({ reason: ResetReason.ConnectFailure, flag: 'UF', countsConnectFail: false, outlierEvent: 'connect' });
const REFUSED_STREAM: UpstreamFailure = Object.freeze({ reason: ResetReason.RefusedStream, flag: 'UC', countsConnectFail: false, outlierEvent: 'reset' });
const PROTOCOL_ERROR: UpstreamFailure = Object.freeze({ reason: ResetReason.Reset, flag: 'UPE', countsConnectFail: false, outlierEvent: 'reset' });
const RESET: UpstreamFailure = Object.freeze({ reason: ResetReason.Reset, flag: 'UC', countsConnectFail: false, outlierEvent: 'reset' });

/** Classifies an upstream error by its code (undefined or unknown codes: a connection termination). */
export function classifyUpstreamError(code: string | undefined): UpstreamFailure {
  if (code === undefined) return RESET;
  if (code === CONNECT_TIMEOUT_CODE) return CONNECT_TIMEOUT;
  if (CONNECT_FAILURE_CODES.has(code)) return CONNECT_FAILURE;
  if (code === H2_REFUSED_STREAM_CODE) return REFUSED_STREAM;
  if (code === UPSTREAM_PROTOCOL_ERROR_CODE || code.startsWith('HPE_')) return PROTOCOL_ERROR;
  return RESET;
}

/**
 * True when a failure on a reused keep-alive connection means the upstream closed it while idle
 * (istio/istio#49660; Envoy's HTTP/1 pool retries such a request on a new connection): nothing
 * reached the app, so the request may be sent once more.
 */
export function isStaleConnectionError(code: string | undefined, reusedConnection: boolean): boolean {
  return reusedConnection && (code === 'ECONNRESET' || code === 'EPIPE');
}

/**
 * The local reply for a failure no retry follows; `retried` words the body as Envoy does once it
 * retried ("retried and the latest reset reason: …").
 */
export function failureReply(f: UpstreamFailure, retried: boolean, cause: unknown): ProxyError {
  if (f.flag === 'UF') return retried ? LocalReply.connectFailureRetried(cause) : LocalReply.connectFailure(cause);
  if (f.flag === 'UPE') return LocalReply.protocolError(cause);
  return retried ? LocalReply.upstreamResetRetried(cause) : LocalReply.upstreamReset(cause);
}
