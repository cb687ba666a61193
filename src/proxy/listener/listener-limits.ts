/**
 * Per-listener downstream connection limits and their stats, as Envoy's runtime listener
 * connection limit (`envoy.resource_limits.listener.<name>.connection_limit`,
 * configuration/listeners/runtime): a listener with that many connections open closes each new one
 * as soon as it is accepted, and counts it in `listener.<address>.downstream_cx_overflow`
 * (Prometheus `envoy_listener_downstream_cx_overflow{envoy_listener_address}`), Envoy's listener
 * stat of the same meaning. The proxy keeps serving the connections it has.
 *
 * Envoy sets no limit by default and relies on the overload manager's global limit (its edge
 * example: 50,000); Weft has no overload manager, so each listener gets
 * {@link DEFAULT_MAX_CONNECTIONS_PER_LISTENER} unless `weft proxy --max-connections-per-listener`
 * (or `ProxyOptions.maxConnectionsPerListener`) says otherwise; 0 means no limit.
 */
import type { ProxyStats } from '../stats/proxy-stats.js';
import type { Scalar } from '../stats/stats-store.js';

/** Connections one listener keeps open at most unless configured (HTTP and TCP listeners alike). */
export const DEFAULT_MAX_CONNECTIONS_PER_LISTENER = 10_000;

/** Envoy's stat form of a listener address: `127.0.0.1_15001`, `[::1]_80` → `::1_80`. */
export function listenerStatAddress(host: string, port: number): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return `${h}_${port}`;
}

/**
 * The effective limit from a configured value: undefined → the default; 0 (or a negative or
 * non-finite value) → no limit (undefined); otherwise the value, rounded down.
 */
export function effectiveConnectionLimit(configured: number | undefined): number | undefined {
  if (configured === undefined) return DEFAULT_MAX_CONNECTIONS_PER_LISTENER;
  if (!Number.isFinite(configured) || configured <= 0) return undefined;
  return Math.floor(configured);
}

/** `listener.<address>.downstream_cx_overflow` of one listener address (created on first use). */
export function listenerOverflowCounter(stats: ProxyStats, address: string): Scalar {
  return stats.store.family<Scalar>({
    name: 'envoy_listener_downstream_cx_overflow',
    type: 'counter',
    help: 'Connections closed on accept because the listener was at its connection limit.',
    labelNames: ['envoy_listener_address'],
    envoyName: (l) => `listener.${l.envoy_listener_address}.downstream_cx_overflow`,
  }).with({ envoy_listener_address: address });
}
