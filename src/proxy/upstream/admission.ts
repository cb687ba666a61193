/**
 * Circuit-breaker admission of upstream attempts into one cluster's per-host connection pools, with
 * Envoy's HTTP/1 circuit breaking semantics (envoy/source/common/conn_pool/conn_pool_base.cc,
 * `newStreamImpl`/`onUpstreamReady`; thresholds in envoy/config/cluster/v3/circuit_breaker.proto):
 *
 * - an idle connection to the picked host → the request is dispatched at once (if `maxRequests`
 *   allows; otherwise overflow);
 * - no idle connection → the request becomes *pending* (overflow when `maxPendingRequests` pending
 *   requests already wait: `upstream_rq_pending_overflow`); a new connection is opened when
 *   `maxConnections` allows it, or when the host has no connection at all (Envoy always lets a pool
 *   open its first connection); otherwise the request waits in the host's queue
 *   (`upstream_cx_overflow`) until a connection of that host is freed or a cluster connection closes;
 * - a request dispatched on a new connection stays pending until the connection is established.
 *
 * Overflow is answered 503 UO with `x-envoy-overloaded: true` by the router and never retried.
 * A queued attempt is told the outcome by a call on itself ({@link AdmissionWaiter.poolReady}), as
 * Envoy's pool calls `onPoolReady` / `onPoolFailure` on its waiting request. Every slot is released
 * exactly once by {@link ClusterAdmission.release} (the attempt's own release: request end, retry,
 * timeout or downstream disconnect), so the counters return to zero when traffic stops.
 */
import type { CircuitBreaker } from './circuit-breaker.js';
import type { ClusterResilienceStats, ProxyStats } from '../stats/proxy-stats.js';
import type { HostConnections } from './host-connections.js';

/** What {@link ClusterAdmission.acquire} decided. */
export const Admission = { Ready: 0, Queued: 1, Overflow: 2 } as const;
/** One of {@link Admission}'s values. */
export type Admission = (typeof Admission)[keyof typeof Admission];

/** Bits of {@link AdmissionWaiter.poolState}. */
export const PoolSlot = { Active: 1, Pending: 2, Queued: 4 } as const;

/** An upstream attempt as admission sees it: the slots it holds, where it waits, and its continuation. */
export interface AdmissionWaiter {
  /** Circuit-breaker slots held ({@link PoolSlot} bits); written by admission only. */
  poolState: number;
  /** The host queue the attempt waits in for a connection; written by admission only. */
  queuedOn: HostConnections | undefined;
  /** The picked host. */
  readonly host: { readonly host: { readonly address: string; readonly port: number } };
  /** A queued attempt may go (admitted: its slots are taken) or must fail with overflow (not admitted). */
  poolReady(admitted: boolean): void;
}

/** One cluster's admission; persists across pushes with its {@link CircuitBreaker}. */
export class ClusterAdmission {
  private readonly waiting = new Set<HostConnections>();
  private stats: ClusterResilienceStats | undefined;

  constructor(readonly breaker: CircuitBreaker, private readonly proxyStats: ProxyStats, private readonly cluster: string) {}

  private resilience(): ClusterResilienceStats {
    return (this.stats ??= this.proxyStats.clusterResilience(this.cluster));
  }

  /** Admits attempt `s` to `agent` (its picked host); see the file comment. Queued attempts are answered by `s.poolReady`. */
  acquire(s: AdmissionWaiter, agent: HostConnections, address: string, port: number): Admission {
    const b = this.breaker;
    if (agent.freeCount(address, port) > 0 && agent.waiters.length === 0) {
      if (!b.canRequest()) return this.overflow();
      s.poolState = PoolSlot.Active;
      b.addRequests(1);
      return Admission.Ready;
    }
    if (!b.canQueue()) return this.overflow();
    if (agent.waiters.length === 0 && (b.canConnect() || agent.socketCount(address, port) === 0)) {
      if (!b.canRequest()) return this.overflow();
      s.poolState = PoolSlot.Active | PoolSlot.Pending;
      b.addPending(1);
      b.addRequests(1);
      return Admission.Ready;
    }
    this.resilience().cxOverflow.inc();
    s.poolState = PoolSlot.Pending | PoolSlot.Queued;
    s.queuedOn = agent;
    b.addPending(1);
    agent.waiters.push(s);
    this.waiting.add(agent);
    return Admission.Queued;
  }

  /** The attempt's new connection is established: it stops counting as pending. */
  connected(s: AdmissionWaiter): void {
    if ((s.poolState & PoolSlot.Pending) !== 0 && (s.poolState & PoolSlot.Queued) === 0) {
      s.poolState &= ~PoolSlot.Pending;
      this.breaker.addPending(-1);
    }
  }

  /** Releases every slot the attempt holds (idempotent). */
  release(s: AdmissionWaiter): void {
    const st = s.poolState;
    if (st === 0) return;
    s.poolState = 0;
    if ((st & PoolSlot.Queued) !== 0) {
      const agent = s.queuedOn!;
      s.queuedOn = undefined;
      const i = agent.waiters.indexOf(s);
      if (i >= 0) agent.waiters.splice(i, 1);
      if (agent.waiters.length === 0) this.waiting.delete(agent);
    }
    if ((st & PoolSlot.Pending) !== 0) this.breaker.addPending(-1);
    if ((st & PoolSlot.Active) !== 0) this.breaker.addRequests(-1);
  }

  /** A connection of `agent` became idle: hand it to the first waiter. */
  onFree(agent: HostConnections): void {
    const s = agent.waiters[0];
    if (s === undefined || s.host === undefined) return;
    if (agent.freeCount(s.host.host.address, s.host.host.port) === 0) return;
    this.admitWaiter(agent, false);
  }

  /** A connection of this cluster closed: waiters may open new ones now. */
  onConnectionClosed(agent: HostConnections): void {
    if (this.waiting.size === 0) return;
    if (agent.waiters.length > 0) this.drain(agent);
    for (const a of this.waiting) {
      if (!this.breaker.canConnect()) break;
      if (a !== agent) this.drain(a);
    }
  }

  /** Counts a connection closed for reaching `maxRequestsPerConnection`. */
  countMaxRequests(): void {
    this.resilience().cxMaxRequests.inc();
  }

  /** Counts a connection drained for reaching the cluster's `maxConnectionDuration`. */
  countMaxDuration(): void {
    this.resilience().cxMaxDurationReached.inc();
  }

  private drain(agent: HostConnections): void {
    while (agent.waiters.length > 0) {
      const s = agent.waiters[0]!;
      const h = s.host!.host;
      if (agent.freeCount(h.address, h.port) > 0) this.admitWaiter(agent, false);
      else if (this.breaker.canConnect() || agent.socketCount(h.address, h.port) === 0) this.admitWaiter(agent, true);
      else return;
    }
  }

  private admitWaiter(agent: HostConnections, newConnection: boolean): void {
    const s = agent.waiters.shift()!;
    if (agent.waiters.length === 0) this.waiting.delete(agent);
    s.queuedOn = undefined;
    const b = this.breaker;
    if (!b.canRequest()) {
      s.poolState = 0;
      b.addPending(-1);
      this.resilience().rqPendingOverflow.inc();
      s.poolReady(false);
      return;
    }
    b.addRequests(1);
    if (newConnection) s.poolState = PoolSlot.Active | PoolSlot.Pending;
    else {
      s.poolState = PoolSlot.Active;
      b.addPending(-1);
    }
    s.poolReady(true);
  }

  private overflow(): Admission {
    this.resilience().rqPendingOverflow.inc();
    return Admission.Overflow;
  }
}
