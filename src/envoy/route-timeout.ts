/**
 * The upstream timeout of a route, as Envoy's router computes it (router docs, "Route timeouts" and
 * `x-envoy-upstream-rq-timeout-ms`): `RouteAction.timeout`, 15 s when unset, 0 = disabled; a
 * request's `x-envoy-upstream-rq-timeout-ms` (a non-negative integer, from a trusted caller: edges
 * strip `x-envoy-*` first) replaces it. Shared by the proxy's router, the simulator and `weft explain`.
 */
import { DEFAULT_ROUTE_TIMEOUT_MS } from './defaults.js';
import { durationMs } from './duration.js';
import type { RouteAction } from './types.js';

/** The request header that overrides the route timeout. */
export const UPSTREAM_TIMEOUT_HEADER = 'x-envoy-upstream-rq-timeout-ms';

/** The route's configured timeout (ms): `timeout`, else Envoy's 15 s default; 0 = disabled. */
export function routeTimeoutMs(action: RouteAction): number {
  return durationMs(action.timeout) ?? DEFAULT_ROUTE_TIMEOUT_MS;
}

/**
 * The timeout in force for one request: the value of `x-envoy-upstream-rq-timeout-ms` when it is a
 * non-negative integer, else `configuredMs` (Envoy ignores an unparsable header).
 */
export function timeoutWithOverride(configuredMs: number, header: string | readonly string[] | undefined): number {
  if (header === undefined) return configuredMs;
  const v = Number(typeof header === 'string' ? header : header[0]);
  return Number.isInteger(v) && v >= 0 ? v : configuredMs;
}
