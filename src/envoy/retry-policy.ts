/**
 * Envoy's route retry policy, compiled once per RouteAction (or virtual host) into a
 * {@link RetryPolicyRuntime}, plus the two pure decisions Envoy's retry state makes:
 * {@link wouldRetryFromHeaders} (a response arrived) and {@link wouldRetryFromReset} (no response:
 * connect failure, reset, per-try timeout, overflow). Semantics as Envoy's router documents them:
 *
 * - `5xx`: any 5xx response, and every reset/timeout/connect failure;
 * - `gateway-error`: 502/503/504 responses, and every reset/timeout/connect failure;
 * - `reset`: resets, per-try timeouts and connect failures (no response at all);
 * - `reset-before-request`: resets before the request was sent upstream;
 * - `connect-failure`: connection failures and connect timeouts;
 * - `refused-stream`: HTTP/2 REFUSED_STREAM (never seen over HTTP/1, accepted);
 * - `retriable-4xx`: 409; `retriable-status-codes`: `retriableStatusCodes` (and the
 *   `x-envoy-retriable-status-codes` request header); `retriable-headers`: `retriableHeaders`;
 * - gRPC (`cancelled`, `deadline-exceeded`, `internal`, `resource-exhausted`, `unavailable`): the
 *   response's `grpc-status` header;
 * - an overflow (circuit breaker) is never retried; a response carrying `x-envoy-ratelimited` only
 *   under `envoy-ratelimited`.
 *
 * The proxy's router runs these; the simulator and `weft explain` report the same compiled policy
 * ({@link routeRetryPolicy}, {@link effectivePerTryTimeoutMs}).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_NUM_RETRIES, DEFAULT_RETRY_BASE_INTERVAL_MS } from './defaults.js';
import { durationMs } from './duration.js';
import { compileHeaderMatcher, type HeaderPredicate, type RequestAttributes } from './header-matcher.js';
import type { RetryPolicy, RouteAction, VirtualHost } from './types.js';

/** retryOn bits. */
export const RetryOn = {
  FiveXx: 1 << 0,
  GatewayError: 1 << 1,
  ConnectFailure: 1 << 2,
  Retriable4xx: 1 << 3,
  RefusedStream: 1 << 4,
  RetriableStatusCodes: 1 << 5,
  RetriableHeaders: 1 << 6,
  Reset: 1 << 7,
  ResetBeforeRequest: 1 << 8,
  EnvoyRateLimited: 1 << 9,
  GrpcCancelled: 1 << 10,
  GrpcDeadlineExceeded: 1 << 11,
  GrpcInternal: 1 << 12,
  GrpcResourceExhausted: 1 << 13,
  GrpcUnavailable: 1 << 14,
} as const;

const GRPC_BITS = RetryOn.GrpcCancelled | RetryOn.GrpcDeadlineExceeded | RetryOn.GrpcInternal | RetryOn.GrpcResourceExhausted | RetryOn.GrpcUnavailable;

const NAMES: Readonly<Record<string, number>> = {
  '5xx': RetryOn.FiveXx, 'gateway-error': RetryOn.GatewayError, 'connect-failure': RetryOn.ConnectFailure,
  'retriable-4xx': RetryOn.Retriable4xx, 'refused-stream': RetryOn.RefusedStream, 'retriable-status-codes': RetryOn.RetriableStatusCodes,
  'retriable-headers': RetryOn.RetriableHeaders, reset: RetryOn.Reset, 'reset-before-request': RetryOn.ResetBeforeRequest,
  'envoy-ratelimited': RetryOn.EnvoyRateLimited, cancelled: RetryOn.GrpcCancelled, 'deadline-exceeded': RetryOn.GrpcDeadlineExceeded,
  internal: RetryOn.GrpcInternal, 'resource-exhausted': RetryOn.GrpcResourceExhausted, unavailable: RetryOn.GrpcUnavailable,
};

/** Parses a comma-separated retryOn list (route config, `x-envoy-retry-on`, `x-envoy-retry-grpc-on`); unknown names are ignored. */
export function parseRetryOn(text: string | undefined): number {
  if (!text) return 0;
  let bits = 0;
  for (const raw of text.split(',')) bits |= NAMES[raw.trim()] ?? 0;
  return bits;
}

/** Why an attempt produced no response. */
export const ResetReason = {
  /** Could not connect (refused, unreachable, connect timeout). */
  ConnectFailure: 0,
  /** The connection was reset or closed before a complete response head. */
  Reset: 1,
  /** The per-try timeout fired (Envoy resets the stream locally). */
  PerTryTimeout: 2,
  /** HTTP/2 refused stream. */
  RefusedStream: 3,
  /** Circuit breaker overflow. */
  Overflow: 4,
} as const;
/** One of {@link ResetReason}'s values. */
export type ResetReason = (typeof ResetReason)[keyof typeof ResetReason];

/** A compiled retry policy. */
export interface RetryPolicyRuntime {
  readonly retryOn: number;
  readonly numRetries: number;
  /** Per-try timeout (ms); 0 = none (the route timeout bounds all attempts). */
  readonly perTryTimeoutMs: number;
  readonly retriableStatusCodes: readonly number[];
  readonly retriableHeaders: readonly HeaderPredicate[];
  /** Back-off base and cap (ms): Envoy's defaults 25 ms and 10 × base. */
  readonly baseIntervalMs: number;
  readonly maxIntervalMs: number;
  /** `envoy.retry_host_predicates.previous_hosts` configured: retries avoid hosts already tried. */
  readonly previousHosts: boolean;
  /** Picks tried per retry to find a host the predicate accepts (default 1). */
  readonly hostSelectionMaxAttempts: number;
  /** `envoy.retry_priorities.previous_priorities` update frequency; 0 when the route has no retry priority. */
  readonly previousPrioritiesFrequency?: number;
}

/** Envoy's default retry back-off base interval (ms); see `defaults.ts`. */
export const DEFAULT_BASE_INTERVAL_MS = DEFAULT_RETRY_BASE_INTERVAL_MS;

const compiled = new WeakMap<RetryPolicy, RetryPolicyRuntime | null>();

/** Compiles (and caches per config object) a RetryPolicy; undefined when it can never retry. */
export function compileRetryPolicy(p: RetryPolicy | undefined): RetryPolicyRuntime | undefined {
  if (p === undefined) return undefined;
  const hit = compiled.get(p);
  if (hit !== undefined) return hit ?? undefined;
  const retryOn = parseRetryOn(p.retryOn);
  const base = durationMs(p.retryBackOff?.baseInterval) ?? DEFAULT_BASE_INTERVAL_MS;
  const baseMs = base > 0 ? base : DEFAULT_BASE_INTERVAL_MS;
  const rt: RetryPolicyRuntime = {
    retryOn,
    numRetries: p.numRetries === undefined ? DEFAULT_NUM_RETRIES : p.numRetries.value ?? 0,
    perTryTimeoutMs: durationMs(p.perTryTimeout) ?? 0,
    retriableStatusCodes: p.retriableStatusCodes ?? [],
    retriableHeaders: (p.retriableHeaders ?? []).map((m, i) => compileHeaderMatcher(m, `retriableHeaders[${i}]`)),
    baseIntervalMs: baseMs,
    maxIntervalMs: durationMs(p.retryBackOff?.maxInterval) ?? baseMs * 10,
    previousHosts: (p.retryHostPredicate ?? []).some((h) => h.name === 'envoy.retry_host_predicates.previous_hosts'),
    hostSelectionMaxAttempts: Math.max(1, p.hostSelectionRetryMaxAttempts ?? 1),
    previousPrioritiesFrequency: previousPrioritiesFrequency(p),
  };
  compiled.set(p, retryOn === 0 ? null : rt);
  return retryOn === 0 ? undefined : rt;
}

/** An empty policy the request headers may turn on (Envoy: numRetries 1, default back-off). */
const EMPTY: RetryPolicyRuntime = Object.freeze({
  retryOn: 0, numRetries: 1, perTryTimeoutMs: 0, retriableStatusCodes: [], retriableHeaders: [],
  baseIntervalMs: DEFAULT_BASE_INTERVAL_MS, maxIntervalMs: DEFAULT_BASE_INTERVAL_MS * 10, previousHosts: false, hostSelectionMaxAttempts: 1,
});

/**
 * Most retries a request's `x-envoy-max-retries` may ask for, unless the route itself allows more.
 * Envoy puts no number on the header and bounds retries only by the cluster's `max_retries`
 * circuit breaker, which counts *concurrent* retries (Istio writes 2^32-1 unless
 * `connectionPool.http.maxRetries` is set) or by a `retryBudget`; neither stops one request from
 * retrying 200 times in a row. Weft keeps the header (callers inside the mesh use it, design.md §5;
 * gateways strip it from external requests) and caps what it can ask for, so one request costs at
 * most 1 + max(route retries, 10) upstream attempts.
 */
export const MAX_HEADER_RETRIES = 10;

/** The retry count an `x-envoy-max-retries` value yields on a route allowing `routeRetries`. */
export function capHeaderRetries(requested: number, routeRetries: number): number {
  return Math.min(requested, Math.max(routeRetries, MAX_HEADER_RETRIES));
}

/**
 * Applies the request's retry headers to the route policy as Envoy does: `x-envoy-retry-on` and
 * `x-envoy-retry-grpc-on` add conditions, `x-envoy-max-retries` replaces numRetries (when any
 * condition is on; capped by {@link capHeaderRetries}), `x-envoy-retriable-status-codes` adds codes, `x-envoy-upstream-rq-per-try-timeout-ms`
 * sets the per-try timeout. The headers are consumed (removed). Returns the route policy itself
 * (no allocation) when none of the headers is present.
 */
export function applyRetryHeaders(policy: RetryPolicyRuntime | undefined, headers: IncomingHttpHeaders): RetryPolicyRuntime | undefined {
  const on = headers['x-envoy-retry-on'];
  const grpcOn = headers['x-envoy-retry-grpc-on'];
  const max = headers['x-envoy-max-retries'];
  const codes = headers['x-envoy-retriable-status-codes'];
  const perTry = headers['x-envoy-upstream-rq-per-try-timeout-ms'];
  if (on === undefined && grpcOn === undefined && max === undefined && codes === undefined && perTry === undefined) return policy;
  delete headers['x-envoy-retry-on'];
  delete headers['x-envoy-retry-grpc-on'];
  delete headers['x-envoy-max-retries'];
  delete headers['x-envoy-retriable-status-codes'];
  delete headers['x-envoy-upstream-rq-per-try-timeout-ms'];
  const base = policy ?? EMPTY;
  const retryOn = base.retryOn | parseRetryOn(str(on)) | parseRetryOn(str(grpcOn));
  if (retryOn === 0) return undefined;
  let numRetries = base.numRetries;
  const m = str(max);
  if (m !== undefined && /^\d+$/.test(m.trim())) numRetries = capHeaderRetries(Number(m.trim()), base.numRetries);
  let retriableStatusCodes = base.retriableStatusCodes;
  const c = str(codes);
  if (c !== undefined) retriableStatusCodes = [...retriableStatusCodes, ...c.split(',').map((x) => Number(x.trim())).filter((x) => Number.isInteger(x))];
  let perTryTimeoutMs = base.perTryTimeoutMs;
  const pt = str(perTry);
  if (pt !== undefined && /^\d+$/.test(pt.trim())) perTryTimeoutMs = Number(pt.trim());
  return { ...base, retryOn, numRetries, retriableStatusCodes, perTryTimeoutMs };
}

function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

const responseView: { -readonly [K in keyof RequestAttributes]: RequestAttributes[K] } = { authority: undefined, method: '', path: '', scheme: '', headers: {} };

/** True when a response with `status` and `headers` should be retried under `p`. */
export function wouldRetryFromHeaders(p: RetryPolicyRuntime, status: number, headers: IncomingHttpHeaders): boolean {
  const on = p.retryOn;
  if (headers['x-envoy-ratelimited'] !== undefined) return (on & RetryOn.EnvoyRateLimited) !== 0;
  if ((on & RetryOn.FiveXx) !== 0 && status >= 500 && status < 600) return true;
  if ((on & RetryOn.GatewayError) !== 0 && status >= 502 && status <= 504) return true;
  if ((on & RetryOn.Retriable4xx) !== 0 && status === 409) return true;
  if ((on & RetryOn.RetriableStatusCodes) !== 0 && p.retriableStatusCodes.includes(status)) return true;
  if ((on & RetryOn.RetriableHeaders) !== 0 && p.retriableHeaders.length > 0) {
    responseView.headers = headers;
    for (const m of p.retriableHeaders) if (m(responseView)) return true;
  }
  if ((on & GRPC_BITS) !== 0) {
    const g = headers['grpc-status'];
    if (typeof g === 'string') {
      const code = Number(g);
      if ((code === 1 && (on & RetryOn.GrpcCancelled) !== 0) || (code === 4 && (on & RetryOn.GrpcDeadlineExceeded) !== 0) ||
        (code === 8 && (on & RetryOn.GrpcResourceExhausted) !== 0) || (code === 14 && (on & RetryOn.GrpcUnavailable) !== 0) ||
        (code === 13 && (on & RetryOn.GrpcInternal) !== 0)) return true;
    }
  }
  return false;
}

/** True when an attempt that ended without a response (`reason`) should be retried under `p`. */
export function wouldRetryFromReset(p: RetryPolicyRuntime, reason: ResetReason, requestSent: boolean): boolean {
  if (reason === ResetReason.Overflow) return false;
  const on = p.retryOn;
  if ((on & (RetryOn.Reset | RetryOn.FiveXx | RetryOn.GatewayError)) !== 0) return true;
  if ((on & RetryOn.ResetBeforeRequest) !== 0 && !requestSent && reason !== ResetReason.PerTryTimeout) return true;
  if ((on & RetryOn.RefusedStream) !== 0 && reason === ResetReason.RefusedStream) return true;
  if ((on & RetryOn.ConnectFailure) !== 0 && reason === ResetReason.ConnectFailure) return true;
  return false;
}

/** Envoy's previous_priorities plugin: its `updateFrequency` (Envoy's default 1 when unset), 0 when absent. */
function previousPrioritiesFrequency(p: RetryPolicy): number {
  const rp = p.retryPriority;
  if (rp?.name !== 'envoy.retry_priorities.previous_priorities') return 0;
  const f = (rp.typedConfig as { updateFrequency?: unknown } | undefined)?.updateFrequency;
  return typeof f === 'number' && Number.isInteger(f) && f > 0 ? f : 1;
}

/**
 * The compiled retry policy of a route: the RouteAction's, else its virtual host's (Envoy's router
 * takes the route-level `retry_policy` over the virtual host's, route_components.proto); undefined
 * when retries are off (no policy or no retry condition).
 */
export function routeRetryPolicy(action: RouteAction, vh: VirtualHost | undefined): RetryPolicyRuntime | undefined {
  return compileRetryPolicy(action.retryPolicy ?? vh?.retryPolicy);
}

/**
 * The per-try timeout in force (ms, 0 = none): Envoy ignores a `per_try_timeout` that is not
 * shorter than the route timeout (router docs, "x-envoy-upstream-rq-per-try-timeout-ms"); a route
 * timeout of 0 (disabled) leaves any per-try timeout in force.
 */
export function effectivePerTryTimeoutMs(policy: RetryPolicyRuntime | undefined, routeTimeoutMs: number): number {
  const perTry = policy?.perTryTimeoutMs ?? 0;
  return perTry > 0 && (routeTimeoutMs === 0 || perTry < routeTimeoutMs) ? perTry : 0;
}
