/**
 * Passive health: Envoy's outlier detection for one cluster (consecutive-error detectors; success
 * rate and failure percentage are off, as Istio configures them):
 *
 * - every upstream response status is reported to its host's monitor; a 5xx increments
 *   `consecutive_5xx` (a 502/503/504 also `consecutive_gateway_failure`), anything else resets both;
 * - local-origin failures (connect failure, reset, timeout): with `splitExternalLocalOriginErrors`
 *   they count in their own `consecutive_local_origin_failure` counter (a response resets it);
 *   without it they are reported as HTTP statuses, as Envoy maps them (timeout → 504, else 503);
 * - reaching a threshold ejects the host at once (if the detector is enforcing it and
 *   `maxEjectionPercent` allows: Envoy ejects only while (ejected + 1) / hosts ≤ max %, or the
 *   first host when `alwaysEjectOneHost`); the counter that tripped is reset;
 * - the `interval` timer un-ejects hosts whose ejection time has passed:
 *   min(baseEjectionTime × backoff, maxEjectionTime (default max(300 s, base))) + jitter, where the
 *   backoff grows by one per ejection and shrinks by one per interval spent healthy after the
 *   last un-ejection.
 *
 * Health changes are reported through `onChange`, which rebuilds the cluster's host set and load
 * balancer (never per request). Clock and timers are injectable for tests.
 */
import type { OutlierDetection } from '../../envoy/types.js';
import { durationMs } from '../../envoy/duration.js';
import type { OutlierStats } from '../stats/proxy-stats.js';

/** Resolved detector settings (Envoy's defaults filled in). */
export interface OutlierConfig {
  readonly consecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly consecutiveLocalOriginFailure: number;
  readonly enforcingConsecutive5xx: number;
  readonly enforcingConsecutiveGatewayFailure: number;
  readonly enforcingConsecutiveLocalOriginFailure: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionTimeJitterMs: number;
  readonly maxEjectionPercent: number;
  readonly splitExternalLocalOriginErrors: boolean;
  readonly alwaysEjectOneHost: boolean;
}

/** Envoy's defaults applied to a cluster's `outlierDetection`. */
export function outlierConfig(od: OutlierDetection): OutlierConfig {
  const w = (v: { value?: number } | undefined, d: number) => (v === undefined ? d : v.value ?? 0);
  const base = durationMs(od.baseEjectionTime) ?? 30_000;
  return {
    consecutive5xx: w(od.consecutive_5xx, 5),
    consecutiveGatewayFailure: w(od.consecutiveGatewayFailure, 5),
    consecutiveLocalOriginFailure: w(od.consecutiveLocalOriginFailure, 5),
    enforcingConsecutive5xx: w(od.enforcingConsecutive_5xx, 100),
    enforcingConsecutiveGatewayFailure: w(od.enforcingConsecutiveGatewayFailure, 0),
    enforcingConsecutiveLocalOriginFailure: w(od.enforcingConsecutiveLocalOriginFailure, 100),
    intervalMs: durationMs(od.interval) || 10_000,
    baseEjectionTimeMs: base,
    maxEjectionTimeMs: durationMs(od.maxEjectionTime) ?? Math.max(300_000, base),
    maxEjectionTimeJitterMs: durationMs(od.maxEjectionTimeJitter) ?? 0,
    maxEjectionPercent: Math.min(100, w(od.maxEjectionPercent, 10)),
    splitExternalLocalOriginErrors: od.splitExternalLocalOriginErrors === true,
    alwaysEjectOneHost: od.alwaysEjectOneHost?.value === true,
  };
}

/** Kinds of ejection (Envoy's OutlierEjectionType for the consecutive detectors). */
export type EjectionType = 'consecutive_5xx' | 'consecutive_gateway_failure' | 'consecutive_local_origin_failure';

/** Local-origin failures the router reports. */
export type LocalOriginFailure = 'connect' | 'reset' | 'timeout';

/** Time and timers; the defaults are the real ones. */
export interface DetectorClock {
  now(): number;
  /** Arms a repeating timer; returns a cancel function. Omit to drive {@link OutlierDetector.onIntervalTimer} by hand. */
  every?(ms: number, fn: () => void): () => void;
}

const REAL_CLOCK: DetectorClock = {
  now: () => performance.now(),
  every: (ms, fn) => {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

/** The per-host state of the detector. */
export class HostMonitor {
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  consecutiveLocalOriginFailure = 0;
  ejected = false;
  numEjections = 0;
  /** Multiplier of the base ejection time for the next ejection's length. */
  ejectTimeBackoff = 0;
  lastEjectionMs = 0;
  lastUnejectionMs: number | undefined;
  jitterMs = 0;

  constructor(private readonly detector: OutlierDetector, readonly key: string) {}

  /** Reports an upstream response status (external origin). */
  putHttpStatus(code: number): void {
    const d = this.detector;
    if (code >= 500 && code < 600) {
      if (code >= 502 && code <= 504) {
        if (++this.consecutiveGatewayFailure === d.config.consecutiveGatewayFailure) d.onConsecutive(this, 'consecutive_gateway_failure');
      } else this.consecutiveGatewayFailure = 0;
      if (++this.consecutive5xx === d.config.consecutive5xx) d.onConsecutive(this, 'consecutive_5xx');
    } else {
      this.consecutive5xx = 0;
      this.consecutiveGatewayFailure = 0;
    }
  }

  /** Reports a failure on the proxy's side of the wire (no HTTP response). */
  putLocalOriginFailure(kind: LocalOriginFailure): void {
    const d = this.detector;
    if (!d.config.splitExternalLocalOriginErrors) {
      this.putHttpStatus(kind === 'timeout' ? 504 : 503);
      return;
    }
    if (++this.consecutiveLocalOriginFailure === d.config.consecutiveLocalOriginFailure) d.onConsecutive(this, 'consecutive_local_origin_failure');
  }

  /** Reports that the connection worked (split mode resets the local-origin counter). */
  putLocalOriginSuccess(): void {
    this.consecutiveLocalOriginFailure = 0;
  }
}

/** One cluster's detector. */
export class OutlierDetector {
  config: OutlierConfig;
  private readonly monitors = new Map<string, HostMonitor>();
  private cancelTimer: (() => void) | undefined;
  private armedInterval = 0;
  private ejectedCount = 0;

  constructor(
    od: OutlierDetection,
    private readonly stats: OutlierStats,
    private readonly onChange: () => void,
    private readonly clock: DetectorClock = REAL_CLOCK,
    private readonly random: () => number = Math.random,
  ) {
    this.config = outlierConfig(od);
    this.arm();
  }

  /** Applies a new config (a push); host state is kept. */
  configure(od: OutlierDetection): void {
    this.config = outlierConfig(od);
    this.arm();
  }

  /** Keeps one monitor per host key (`address:port`), dropping those of removed hosts. */
  sync(keys: Iterable<string>): void {
    const live = new Set(keys);
    for (const k of live) if (!this.monitors.has(k)) this.monitors.set(k, new HostMonitor(this, k));
    for (const [k, m] of this.monitors) {
      if (live.has(k)) continue;
      if (m.ejected) this.setEjected(-1);
      this.monitors.delete(k);
    }
  }

  /** The monitor of a host key (after {@link sync}). */
  monitor(key: string): HostMonitor | undefined {
    return this.monitors.get(key);
  }

  /** True while the host is ejected. */
  isEjected(key: string): boolean {
    return this.monitors.get(key)?.ejected === true;
  }

  /** Hosts currently ejected. */
  get ejectionsActive(): number {
    return this.ejectedCount;
  }

  /** A monitor reached a threshold. */
  onConsecutive(m: HostMonitor, type: EjectionType): void {
    if (this.monitors.get(m.key) !== m || m.ejected) return;
    const s = this.stats;
    if (type === 'consecutive_5xx') s.detected5xx.inc();
    else if (type === 'consecutive_gateway_failure') s.detectedGatewayFailure.inc();
    else s.detectedLocalOrigin.inc();
    this.eject(m, type);
    if (type === 'consecutive_5xx') m.consecutive5xx = 0;
    else if (type === 'consecutive_gateway_failure') m.consecutiveGatewayFailure = 0;
    else m.consecutiveLocalOriginFailure = 0;
  }

  private eject(m: HostMonitor, type: EjectionType): void {
    const c = this.config;
    const percent = (100 * (this.ejectedCount + 1)) / this.monitors.size;
    const allowed = percent <= c.maxEjectionPercent || (c.alwaysEjectOneHost && this.ejectedCount === 0);
    if (!allowed) {
      this.stats.ejectionsOverflow.inc();
      return;
    }
    if (type === 'consecutive_5xx') this.stats.ejectionsTotal.inc();
    const enforcing = type === 'consecutive_5xx' ? c.enforcingConsecutive5xx
      : type === 'consecutive_gateway_failure' ? c.enforcingConsecutiveGatewayFailure : c.enforcingConsecutiveLocalOriginFailure;
    if (!(this.random() * 100 < enforcing)) return;
    this.stats.ejectionsEnforcedTotal.inc();
    if (type === 'consecutive_5xx') this.stats.enforced5xx.inc();
    else if (type === 'consecutive_gateway_failure') this.stats.enforcedGatewayFailure.inc();
    else this.stats.enforcedLocalOrigin.inc();
    m.ejected = true;
    m.numEjections++;
    m.lastEjectionMs = this.clock.now();
    m.jitterMs = c.maxEjectionTimeJitterMs > 0 ? Math.floor(this.random() * (c.maxEjectionTimeJitterMs + 1)) : 0;
    if (m.ejectTimeBackoff * c.baseEjectionTimeMs < c.maxEjectionTimeMs + c.baseEjectionTimeMs) m.ejectTimeBackoff++;
    this.setEjected(1);
    this.onChange();
  }

  /** The interval timer: un-ejects hosts whose time is up and decays the backoff of healthy ones. */
  onIntervalTimer(): void {
    const c = this.config;
    const now = this.clock.now();
    let changed = false;
    for (const m of this.monitors.values()) {
      if (!m.ejected) continue;
      const ejectFor = Math.min(c.baseEjectionTimeMs * m.ejectTimeBackoff, c.maxEjectionTimeMs) + m.jitterMs;
      if (ejectFor <= now - m.lastEjectionMs) {
        m.ejected = false;
        m.consecutive5xx = 0;
        m.consecutiveGatewayFailure = 0;
        m.consecutiveLocalOriginFailure = 0;
        m.lastUnejectionMs = now;
        this.setEjected(-1);
        changed = true;
      }
    }
    for (const m of this.monitors.values()) {
      if (!m.ejected && m.lastUnejectionMs !== undefined && now - m.lastUnejectionMs >= c.intervalMs && m.ejectTimeBackoff > 0) m.ejectTimeBackoff--;
    }
    if (changed) this.onChange();
  }

  /** Stops the interval timer (cluster removed). */
  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedInterval = 0;
  }

  private setEjected(d: number): void {
    this.ejectedCount += d;
    this.stats.ejectionsActive.value = this.ejectedCount;
  }

  private arm(): void {
    if (this.clock.every === undefined || this.armedInterval === this.config.intervalMs) return;
    this.cancelTimer?.();
    this.armedInterval = this.config.intervalMs;
    this.cancelTimer = this.clock.every(this.config.intervalMs, () => this.onIntervalTimer());
  }
}
