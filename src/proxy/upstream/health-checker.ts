/**
 * Active health checking of one cluster's hosts, for clusters whose config declares `healthChecks`
 * (the first HTTP or TCP checker is used):
 *
 * - HTTP: a request (`method`, default GET) for `path` with Host = `host` or the cluster name and
 *   `user-agent: Envoy/HC` on a connection of its own per host (health-check-connection.ts: the
 *   cluster's TLS and connect timeout, reused unless `reuseConnection` is false, closed on a
 *   timeout); healthy when the status is in
 *   `expectedStatuses` (default [200, 201)); TCP without payload: healthy when it connects;
 * - a host starts failed and pending; its first success makes it healthy at once, later it needs
 *   `healthyThreshold` consecutive successes; `unhealthyThreshold` consecutive network failures or
 *   timeouts make it unhealthy, and an unexpected HTTP status does so immediately (Envoy's rule);
 * - checks repeat every `interval` (`unhealthyInterval` while failed, when set) plus a random
 *   `intervalJitter` and `intervalJitterPercent`, each bounded by `timeout`.
 *
 * Transitions are reported through `onChange` (which rebuilds the cluster's host set); stats
 * `health_check.attempt|success|failure|network_failure` and gauge `health_check.healthy`.
 */
import type { HealthCheck } from '../../envoy/types.js';
import { durationMs } from '../../envoy/duration.js';
import type { HealthCheckStats } from '../stats/proxy-stats.js';
import { HealthCheckConnection, type HealthCheckTransport } from './health-check-connection.js';
import { dialPlain } from './upstream-dial.js';

/** Resolved checker settings. */
export interface HealthCheckConfig {
  readonly kind: 'http' | 'tcp';
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly unhealthyIntervalMs: number;
  readonly intervalJitterMs: number;
  readonly intervalJitterPercent: number;
  readonly initialJitterMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly path: string;
  readonly host: string;
  readonly method: string;
  /** Envoy's `reuse_connection` (default true): keep the check connection between checks. */
  readonly reuseConnection: boolean;
  /** Half-open [start, end) ranges. */
  readonly expected: readonly (readonly [number, number])[];
}

/** The settings of a cluster's first HTTP/TCP health check; undefined when it has none. */
export function healthCheckConfig(checks: readonly HealthCheck[] | undefined, clusterName: string): HealthCheckConfig | undefined {
  const hc = checks?.find((c) => c.httpHealthCheck !== undefined || c.tcpHealthCheck !== undefined);
  if (hc === undefined) return undefined;
  const interval = durationMs(hc.interval) || 5000;
  const h = hc.httpHealthCheck;
  return {
    kind: h !== undefined ? 'http' : 'tcp',
    timeoutMs: durationMs(hc.timeout) || 1000,
    intervalMs: interval,
    unhealthyIntervalMs: durationMs(hc.unhealthyInterval) || interval,
    intervalJitterMs: durationMs(hc.intervalJitter) ?? 0,
    intervalJitterPercent: hc.intervalJitterPercent ?? 0,
    initialJitterMs: durationMs(hc.initialJitter) ?? 0,
    healthyThreshold: Math.max(1, hc.healthyThreshold?.value ?? 1),
    unhealthyThreshold: Math.max(1, hc.unhealthyThreshold?.value ?? 1),
    path: h?.path || '/',
    host: h?.host || clusterName,
    method: h?.method && h.method !== 'METHOD_UNSPECIFIED' ? h.method : 'GET',
    reuseConnection: hc.reuseConnection?.value !== false,
    expected: h?.expectedStatuses?.length ? h.expectedStatuses.map((r) => [r.start ?? 0, r.end ?? 0] as const) : [[200, 201]],
  };
}

/** A host to check. */
export interface CheckedHost {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** The host's connections (HostConnections): TLS and connect timeout of its check connection. */
  readonly agent?: HealthCheckTransport;
}

/** The result of one check. */
type Outcome = 'success' | 'network' | 'status';

interface Session {
  readonly host: CheckedHost;
  failed: boolean;
  pending: boolean;
  successes: number;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  /** The HTTP check connection (created on the first HTTP check). */
  conn: HealthCheckConnection | undefined;
}

/** One cluster's active health checker. */
export class HealthChecker {
  private readonly sessions = new Map<string, Session>();

  constructor(private config: HealthCheckConfig, private readonly stats: HealthCheckStats, private readonly onChange: () => void) {}

  /** Applies new settings (a push); host state is kept. */
  configure(config: HealthCheckConfig): void {
    this.config = config;
  }

  /** Starts checking new hosts and stops checking removed ones. */
  sync(hosts: Iterable<CheckedHost>): void {
    const live = new Set<string>();
    for (const h of hosts) {
      live.add(h.key);
      if (this.sessions.has(h.key)) continue;
      const s: Session = { host: h, failed: true, pending: true, successes: 0, failures: 0, timer: undefined, stopped: false, conn: undefined };
      this.sessions.set(h.key, s);
      this.schedule(s, this.config.initialJitterMs > 0 ? Math.random() * this.config.initialJitterMs : 0);
    }
    for (const [k, s] of this.sessions) {
      if (live.has(k)) continue;
      this.stopSession(s);
      this.sessions.delete(k);
    }
    this.publish();
  }

  /** True while active health checking says the host is not healthy (including before its first check). */
  isFailed(key: string): boolean {
    return this.sessions.get(key)?.failed === true;
  }

  /** Stops every check (cluster removed or proxy stopping). */
  stop(): void {
    for (const s of this.sessions.values()) this.stopSession(s);
    this.sessions.clear();
  }

  private stopSession(s: Session): void {
    s.stopped = true;
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = undefined;
    s.conn?.close();
    s.conn = undefined;
  }

  private schedule(s: Session, delayMs: number): void {
    if (s.stopped) return;
    s.timer = setTimeout(() => this.check(s), delayMs);
    s.timer.unref();
  }

  private nextDelay(s: Session): number {
    const c = this.config;
    const base = s.failed && !s.pending ? c.unhealthyIntervalMs : c.intervalMs;
    let jitter = 0;
    if (c.intervalJitterMs > 0) jitter += Math.random() * c.intervalJitterMs;
    if (c.intervalJitterPercent > 0) jitter += Math.random() * ((base * c.intervalJitterPercent) / 100);
    return base + jitter;
  }

  private check(s: Session): void {
    s.timer = undefined;
    if (s.stopped) return;
    this.stats.attempt.inc();
    const done = (o: Outcome) => {
      if (s.stopped) return;
      this.record(s, o);
      this.schedule(s, this.nextDelay(s));
    };
    if (this.config.kind === 'tcp') this.tcpCheck(s.host, done);
    else this.httpCheck(s, done);
  }

  private httpCheck(s: Session, done: (o: Outcome) => void): void {
    const c = this.config;
    const h = s.host;
    if (s.conn === undefined) s.conn = new HealthCheckConnection(h.address, h.port, h.agent, c.reuseConnection);
    s.conn.check(c.method, c.path, c.host, c.timeoutMs, done, (finish, code) => {
      finish(code === 0 ? 'network' : c.expected.some(([a, b]) => code >= a && code < b) ? 'success' : 'status');
    });
  }

  private tcpCheck(h: CheckedHost, done: (o: Outcome) => void): void {
    const sock = dialPlain(h.address, h.port);
    const timer = setTimeout(() => sock.destroy(new Error('timeout')), this.config.timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.end();
      done('success');
    });
    sock.once('error', () => {
      clearTimeout(timer);
      done('network');
    });
  }

  private record(s: Session, o: Outcome): void {
    const c = this.config;
    const wasFailed = s.failed;
    if (o === 'success') {
      this.stats.success.inc();
      s.failures = 0;
      if (s.failed && (s.pending || ++s.successes >= c.healthyThreshold)) {
        s.failed = false;
        s.successes = 0;
      }
    } else {
      if (o === 'network') this.stats.networkFailure.inc();
      this.stats.failure.inc();
      s.successes = 0;
      if (!s.failed && (o === 'status' || ++s.failures >= c.unhealthyThreshold)) {
        s.failed = true;
        s.failures = 0;
      }
    }
    s.pending = false;
    if (s.failed !== wasFailed) {
      this.publish();
      this.onChange();
    }
  }

  private publish(): void {
    let healthy = 0;
    for (const s of this.sessions.values()) if (!s.failed) healthy++;
    this.stats.healthy.value = healthy;
  }
}
