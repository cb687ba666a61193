/**
 * The retry state of one request, created lazily when its first attempt fails in a retriable way
 * (so a request that succeeds first time allocates nothing): retries left, the fully jittered
 * exponential back-off, the hosts tried so far (for the previous-hosts predicate), and the cluster's
 * `maxRetries` circuit-breaker slot, held from the moment a retry is scheduled until the next
 * decision or the end of the request, as Envoy holds it.
 */
import { PreviousPriorities } from '../lb/previous-priorities.js';
import type { Host } from '../lb/host.js';
import type { CircuitBreaker } from '../upstream/circuit-breaker.js';
import type { ClusterResilienceStats } from '../stats/proxy-stats.js';
import type { RetryPolicyRuntime } from '../../envoy/retry-policy.js';

/** Outcome of {@link RetryState.shouldRetry}, as Envoy's RetryStatus. */
export const RetryStatus = { No: 0, Yes: 1, NoRetryLimitExceeded: 2, NoOverflow: 3 } as const;
/** One of {@link RetryStatus}'s values. */
export type RetryStatus = (typeof RetryStatus)[keyof typeof RetryStatus];

/**
 * Envoy's fully jittered exponential back-off: the n-th call returns a uniform integer in
 * [0, min(base × 2^(n-1), max)) — the interval doubles until it would pass `max`, then stays at
 * `max` — and never more than `max`.
 */
export class JitteredBackoff {
  private next: number;

  constructor(private readonly baseMs: number, private readonly maxMs: number, private readonly random: () => number = Math.random) {
    this.next = Math.max(1, Math.floor(baseMs));
  }

  /** The next delay (ms). */
  nextBackoffMs(): number {
    const interval = this.next;
    this.next = interval > this.maxMs / 2 ? Math.max(1, Math.floor(this.maxMs)) : interval * 2;
    return Math.min(Math.floor(this.random() * interval), this.maxMs);
  }
}

/** Per-request retry bookkeeping. */
export class RetryState {
  retriesLeft: number;
  readonly backoff: JitteredBackoff;
  /** Hosts of earlier attempts (only kept when the policy avoids previous hosts). */
  readonly previousHosts: Set<Host> | undefined;
  /** Priority levels of earlier attempts (only when the route retries other priorities). */
  readonly previousPriorities: PreviousPriorities | undefined;
  /** True while this request holds a `maxRetries` slot. */
  private holdsSlot = false;

  constructor(readonly policy: RetryPolicyRuntime, private readonly breaker: CircuitBreaker, private readonly stats: ClusterResilienceStats, random?: () => number) {
    this.retriesLeft = policy.numRetries;
    this.backoff = new JitteredBackoff(policy.baseIntervalMs, policy.maxIntervalMs, random);
    this.previousHosts = policy.previousHosts ? new Set() : undefined;
    this.previousPriorities = policy.previousPrioritiesFrequency ? new PreviousPriorities(policy.previousPrioritiesFrequency) : undefined;
  }

  /**
   * Envoy's shouldRetry: `wouldRetry` says whether the attempt's outcome is retriable. A prior
   * retry followed by a non-retriable outcome counts `upstream_rq_retry_success`.
   */
  shouldRetry(wouldRetry: boolean): RetryStatus {
    if (this.holdsSlot && !wouldRetry) this.stats.rqRetrySuccess.inc();
    this.releaseSlot();
    if (!wouldRetry) return RetryStatus.No;
    if (this.retriesLeft <= 0) {
      this.stats.rqRetryLimitExceeded.inc();
      return RetryStatus.NoRetryLimitExceeded;
    }
    this.retriesLeft--;
    if (!this.breaker.canRetry()) {
      this.stats.rqRetryOverflow.inc();
      return RetryStatus.NoOverflow;
    }
    this.holdsSlot = true;
    this.breaker.addRetries(1);
    this.stats.rqRetry.inc();
    return RetryStatus.Yes;
  }

  /** Gives the `maxRetries` slot back (next decision, or the request ended). Idempotent. */
  releaseSlot(): void {
    if (!this.holdsSlot) return;
    this.holdsSlot = false;
    this.breaker.addRetries(-1);
  }
}
