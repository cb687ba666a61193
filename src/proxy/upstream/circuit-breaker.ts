/**
 * One cluster's circuit breaker (Envoy's resource manager for the default routing priority): four
 * counted resources — connections, pending requests, active requests, active retries — each with a
 * limit from `circuitBreakers.thresholds` (the DEFAULT-priority entry). Envoy's defaults apply when a
 * threshold is absent (1024 / 1024 / 1024 / 3); Istio always writes its own (unlimited, 2^32-1).
 * A `retryBudget` (DestinationRule `trafficPolicy.retryBudget`) replaces the retry limit with
 * Envoy's budget: a share of the cluster's active and pending requests, with a floor.
 *
 * Counters persist across config pushes (they count live connections and requests); limits are
 * replaced by {@link CircuitBreaker.configure}. The `circuit_breakers.default.*_open` gauges (1 while a
 * resource is at its limit) and, with `trackRemaining`, the `remaining_*` gauges are only kept once a
 * cluster has a finite limit (Envoy keeps them for every cluster; Istio's unlimited defaults would
 * make thousands of constant gauges), so unlimited clusters cost nothing.
 */
import type { CircuitBreakerThresholds, CircuitBreakers } from '../../envoy/types.js';
import type { CircuitBreakerStats, ProxyStats } from '../stats/proxy-stats.js';

/** Envoy's defaults when a threshold is absent. */
export const ENVOY_DEFAULT_LIMITS = Object.freeze({ maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 });

/** Envoy's `retry_budget` defaults: 20 % of active requests, at least 3 concurrent retries. */
export const ENVOY_DEFAULT_RETRY_BUDGET = Object.freeze({ percent: 20, minConcurrency: 3 });

function clampPercent(p: number): number {
  return Number.isFinite(p) ? Math.max(0, Math.min(100, p)) : ENVOY_DEFAULT_RETRY_BUDGET.percent;
}

/**
 * Concurrent retries a cluster allows: with a retry budget Envoy's
 * `max(percent / 100 × (active + pending requests), minRetryConcurrency)` (truncated), else `maxRetries`.
 */
export function retryLimit(l: CircuitBreakerLimits, activeRequests: number, pendingRequests: number): number {
  const b = l.retryBudget;
  if (b === undefined) return l.maxRetries;
  return Math.max(Math.floor((b.percent / 100) * (activeRequests + pendingRequests)), b.minConcurrency);
}

/** Resolved limits of one cluster. */
export interface CircuitBreakerLimits {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  /** Envoy's `retry_budget` (replaces `maxRetries` when set): percent of active + pending requests, and a floor. */
  readonly retryBudget?: { readonly percent: number; readonly minConcurrency: number };
  /** Publish `remaining_*` gauges. */
  readonly trackRemaining: boolean;
}

/** Limits of the DEFAULT-priority thresholds of a cluster's `circuitBreakers` (Envoy defaults when absent). */
export function limitsOf(cb: CircuitBreakers | undefined): CircuitBreakerLimits {
  const t: CircuitBreakerThresholds | undefined = cb?.thresholds?.find((x) => x.priority === undefined || x.priority === 'DEFAULT');
  const v = (w: { value?: number } | undefined, d: number) => (w === undefined ? d : w.value ?? 0);
  return {
    maxConnections: v(t?.maxConnections, ENVOY_DEFAULT_LIMITS.maxConnections),
    maxPendingRequests: v(t?.maxPendingRequests, ENVOY_DEFAULT_LIMITS.maxPendingRequests),
    maxRequests: v(t?.maxRequests, ENVOY_DEFAULT_LIMITS.maxRequests),
    maxRetries: v(t?.maxRetries, ENVOY_DEFAULT_LIMITS.maxRetries),
    ...(t?.retryBudget !== undefined
      ? { retryBudget: { percent: clampPercent(t.retryBudget.budgetPercent?.value ?? ENVOY_DEFAULT_RETRY_BUDGET.percent), minConcurrency: t.retryBudget.minRetryConcurrency?.value ?? ENVOY_DEFAULT_RETRY_BUDGET.minConcurrency } }
      : {}),
    trackRemaining: t?.trackRemaining === true,
  };
}

const UNLIMITED = 4294967295;

/** The four counted resources of a cluster. */
export class CircuitBreaker {
  /** Open upstream connections (connecting included). */
  connections = 0;
  /** Requests waiting for a connection. */
  pending = 0;
  /** Requests dispatched to a connection and not finished. */
  requests = 0;
  /** Retries scheduled or in flight. */
  retries = 0;
  private limits: CircuitBreakerLimits = { ...ENVOY_DEFAULT_LIMITS, trackRemaining: false };
  private gauges: CircuitBreakerStats | undefined;

  constructor(private readonly stats: ProxyStats, private readonly cluster: string) {}

  /** Applies the limits of a (new) cluster config. */
  configure(cb: CircuitBreakers | undefined): void {
    this.limits = limitsOf(cb);
    const l = this.limits;
    const finite = l.maxConnections < UNLIMITED || l.maxPendingRequests < UNLIMITED || l.maxRequests < UNLIMITED || l.maxRetries < UNLIMITED || l.retryBudget !== undefined;
    // Istio writes unlimited thresholds (with trackRemaining) on every cluster; gauges for those
    // would cost memory per cluster and never change, so they are kept for finite limits only.
    if (this.gauges === undefined && finite) this.gauges = this.stats.circuitBreaker(this.cluster);
    this.publish();
  }

  /** Current limits. */
  get current(): CircuitBreakerLimits {
    return this.limits;
  }

  /** True when another connection may be opened. */
  canConnect(): boolean {
    return this.connections < this.limits.maxConnections;
  }
  /** True when another request may wait for a connection. */
  canQueue(): boolean {
    return this.pending < this.limits.maxPendingRequests;
  }
  /** True when another request may become active. */
  canRequest(): boolean {
    return this.requests < this.limits.maxRequests;
  }
  /** True when another retry may start. */
  canRetry(): boolean {
    return this.retries < retryLimit(this.limits, this.requests, this.pending);
  }

  /** Adjusts the connection count by `d` (±1). */
  addConnections(d: number): void {
    this.connections += d;
    if (this.gauges !== undefined) this.publish();
  }
  /** Adjusts the pending count by `d`. */
  addPending(d: number): void {
    this.pending += d;
    if (this.gauges !== undefined) this.publish();
  }
  /** Adjusts the active request count by `d`. */
  addRequests(d: number): void {
    this.requests += d;
    if (this.gauges !== undefined) this.publish();
  }
  /** Adjusts the active retry count by `d`. */
  addRetries(d: number): void {
    this.retries += d;
    if (this.gauges !== undefined) this.publish();
  }

  private publish(): void {
    const g = this.gauges;
    if (g === undefined) return;
    const l = this.limits;
    g.cxOpen.value = this.connections >= l.maxConnections ? 1 : 0;
    g.rqPendingOpen.value = this.pending >= l.maxPendingRequests ? 1 : 0;
    g.rqOpen.value = this.requests >= l.maxRequests ? 1 : 0;
    const retryMax = retryLimit(l, this.requests, this.pending);
    g.rqRetryOpen.value = this.retries >= retryMax ? 1 : 0;
    if (l.trackRemaining) {
      g.remainingCx.value = Math.max(0, l.maxConnections - this.connections);
      g.remainingPending.value = Math.max(0, l.maxPendingRequests - this.pending);
      g.remainingRq.value = Math.max(0, l.maxRequests - this.requests);
      g.remainingRetries.value = Math.max(0, retryMax - this.retries);
    }
  }
}
