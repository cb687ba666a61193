/**
 * DestinationRule `connectionPool` → Envoy circuit breakers, connect timeout, TCP keepalive and
 * upstream HTTP protocol options, as istiod's applyConnectionPool / applyH2Upgrade write them.
 *
 * Istio's defaults are "unlimited": every circuit-breaker threshold is written as 2^32-1 (Envoy's
 * own defaults would be 1024 and 3 retries). A zero or absent limit in the rule keeps the default,
 * as in istiod (it cannot tell unset from 0). `idleTimeout` is only written when configured; Envoy's
 * (and so Weft's proxy's) default for an upstream HTTP idle timeout is 1 h.
 */
import type { ConnectionPoolSettings } from '../../config/schema/destination-rule.js';
import type { CircuitBreakerThresholds, Duration, TcpKeepalive } from '../../envoy/types.js';
import { toProtoDuration } from '../../envoy/duration.js';
import type { MeshConfig } from '../../config/mesh-config.js';
import type { Protocol } from '../../registry/types.js';
import { httpOptions, isHttp2Draft, setH2Options, setUseDownstreamProtocol, type ClusterDraft, type Writable } from './cluster-draft.js';
import { durationFromIstio, wholeSecondsFromIstio } from './struct-values.js';

/** The value istiod writes for "no limit" (math.MaxUint32). */
export const UNLIMITED = 4294967295;

/** istiod's default circuit-breaker thresholds: everything unlimited, remaining counts tracked. */
export function defaultCircuitBreakerThresholds(): Writable<CircuitBreakerThresholds> {
  return {
    maxConnections: { value: UNLIMITED },
    maxPendingRequests: { value: UNLIMITED },
    maxRequests: { value: UNLIMITED },
    maxRetries: { value: UNLIMITED },
    trackRemaining: true,
  };
}

/** Applies connection-pool settings (or Istio's defaults when `settings` is undefined) to a draft. */
export function applyConnectionPool(draft: ClusterDraft, mesh: MeshConfig, settings: ConnectionPoolSettings | undefined): void {
  const s = settings ?? {};
  const threshold = defaultCircuitBreakerThresholds();
  let idleTimeout: Duration | undefined;
  let maxRequestsPerConnection = 0;
  let maxConcurrentStreams = 0;
  let maxConnectionDuration: Duration | undefined;
  if (s.http) {
    if ((s.http.http2MaxRequests ?? 0) > 0) threshold.maxRequests = { value: s.http.http2MaxRequests! };
    if ((s.http.http1MaxPendingRequests ?? 0) > 0) threshold.maxPendingRequests = { value: s.http.http1MaxPendingRequests! };
    if ((s.http.maxRetries ?? 0) > 0) threshold.maxRetries = { value: s.http.maxRetries! };
    idleTimeout = durationFromIstio(s.http.idleTimeout);
    maxRequestsPerConnection = Math.max(0, s.http.maxRequestsPerConnection ?? 0);
    maxConcurrentStreams = Math.max(0, s.http.maxConcurrentStreams ?? 0);
  }
  draft.cluster.connectTimeout = toProtoDuration(mesh.connectTimeoutMs);
  if (s.tcp) {
    const connectTimeout = durationFromIstio(s.tcp.connectTimeout);
    if (connectTimeout) draft.cluster.connectTimeout = connectTimeout;
    if ((s.tcp.maxConnections ?? 0) > 0) threshold.maxConnections = { value: s.tcp.maxConnections! };
    maxConnectionDuration = durationFromIstio(s.tcp.maxConnectionDuration);
    if (!idleTimeout) idleTimeout = durationFromIstio(s.tcp.idleTimeout);
  }
  applyTcpKeepalive(draft, s.tcp?.tcpKeepalive);
  draft.cluster.circuitBreakers = { thresholds: [threshold] };

  if (maxConnectionDuration || idleTimeout || maxRequestsPerConnection > 0 || maxConcurrentStreams > 0) {
    const o = httpOptions(draft);
    const common = { ...(o.commonHttpProtocolOptions ?? {}) } as Writable<NonNullable<typeof o.commonHttpProtocolOptions>>;
    if (idleTimeout) common.idleTimeout = idleTimeout;
    if (maxRequestsPerConnection > 0) common.maxRequestsPerConnection = { value: maxRequestsPerConnection };
    if (maxConnectionDuration) common.maxConnectionDuration = maxConnectionDuration;
    o.commonHttpProtocolOptions = common;
    if (isHttp2Draft(draft) && maxConcurrentStreams > 0) {
      o.explicitHttpConfig = { http2ProtocolOptions: { ...o.explicitHttpConfig?.http2ProtocolOptions, maxConcurrentStreams: { value: maxConcurrentStreams } } };
    }
  }
  applyHttp2KeepAlive(draft, s.http?.http2KeepAlive);
  if (s.http?.useClientProtocol) setUseDownstreamProtocol(draft);
}

/**
 * `http.http2KeepAlive` → Envoy `http2ProtocolOptions.connectionKeepalive {interval, timeout}` on
 * clusters that speak HTTP/2 upstream (Envoy's KeepaliveSettings: a PING every interval, the
 * connection closed when a PING is not answered within timeout). HTTP/1.1 clusters have no PING.
 */
export function applyHttp2KeepAlive(draft: ClusterDraft, ka: { interval?: string; timeout?: string } | undefined): void {
  const interval = durationFromIstio(ka?.interval);
  const timeout = durationFromIstio(ka?.timeout);
  if (!interval || !timeout || !isHttp2Draft(draft)) return;
  const o = httpOptions(draft);
  o.explicitHttpConfig = { http2ProtocolOptions: { ...o.explicitHttpConfig?.http2ProtocolOptions, connectionKeepalive: { interval, timeout } } };
}

/** Upgrades an outbound cluster to HTTP/2 when the rule says UPGRADE (istiod's applyH2Upgrade; the mesh default is DO_NOT_UPGRADE). */
export function applyH2Upgrade(draft: ClusterDraft, settings: ConnectionPoolSettings | undefined): void {
  // DO_NOT_UPGRADE and DEFAULT do nothing: Weft's mesh config has no h2UpgradePolicy and Istio's default is DO_NOT_UPGRADE.
  if (settings?.http?.h2UpgradePolicy === 'UPGRADE') setH2Options(draft);
}

/** Sets the upstream protocol from the service port (istiod's setUpstreamProtocol). */
export function applyUpstreamProtocol(draft: ClusterDraft, protocol: Protocol | undefined, sidecar: boolean): void {
  if (protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-WEB') {
    setH2Options(draft);
    return;
  }
  if (sidecar && protocol === 'UNKNOWN') setUseDownstreamProtocol(draft);
}

/** TCP keepalive: SO_KEEPALIVE with OS defaults, then each configured field (seconds, truncated as istiod does). */
function applyTcpKeepalive(draft: ClusterDraft, keepalive: { probes?: number; time?: string; interval?: string } | undefined): void {
  if (!keepalive) return;
  const ka: Writable<TcpKeepalive> = { ...(draft.cluster.upstreamConnectionOptions?.tcpKeepalive ?? {}) };
  if ((keepalive.probes ?? 0) > 0) ka.keepaliveProbes = { value: keepalive.probes! };
  const time = wholeSecondsFromIstio(keepalive.time);
  if (time !== undefined) ka.keepaliveTime = { value: time };
  const interval = wholeSecondsFromIstio(keepalive.interval);
  if (interval !== undefined) ka.keepaliveInterval = { value: interval };
  draft.cluster.upstreamConnectionOptions = { tcpKeepalive: ka };
}

/**
 * DestinationRule `trafficPolicy.retryBudget` (Istio ≥ 1.25) as Envoy's circuit-breaker
 * `retry_budget` on the cluster's thresholds: concurrent retries are limited to `percent` % of
 * the cluster's active plus pending requests, never below `minRetryConcurrency` (Envoy's defaults
 * 20 % and 3 when a field is unset); Envoy then ignores `max_retries`. `budgetInterval` has no
 * Envoy counterpart and is not translated.
 */
export function applyRetryBudget(draft: ClusterDraft, budget: { readonly percent?: number; readonly minRetryConcurrency?: number } | undefined): void {
  if (budget === undefined) return;
  const thresholds = draft.cluster.circuitBreakers?.thresholds;
  if (thresholds === undefined || thresholds.length === 0) return;
  const [first, ...rest] = thresholds;
  const retryBudget = {
    ...(budget.percent !== undefined ? { budgetPercent: { value: budget.percent } } : {}),
    ...(budget.minRetryConcurrency !== undefined ? { minRetryConcurrency: { value: budget.minRetryConcurrency } } : {}),
  };
  draft.cluster.circuitBreakers = { ...draft.cluster.circuitBreakers, thresholds: [{ ...first, retryBudget }, ...rest] };
}

