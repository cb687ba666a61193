/**
 * What one cluster keeps across config pushes for resilience: its circuit breaker and pool
 * admission, its outlier detector (when the cluster has `outlierDetection`) and its active health
 * checker (when it has `healthChecks`). Built and reconfigured by the cluster manager on every push;
 * when health changes it rebuilds the host set and load balancer of the cluster currently in use
 * (one rebuild per health change, never per request).
 */
import type { Cluster } from '../../envoy/types.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { ClusterAdmission } from './admission.js';
import { HealthChecker, healthCheckConfig } from './health-checker.js';
import type { HealthCheckTransport } from './health-check-connection.js';
import { OutlierDetector } from './outlier-detector.js';
import type { ProxyStats } from '../stats/proxy-stats.js';
import type { HostMonitor } from './outlier-detector.js';

/** The parts of a host runtime this module reads and writes. */
export interface ResilientHost {
  /** `address:port`: the key detector and checker state is kept under. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** Health as EDS reported it. */
  edsHealthy: boolean;
  /** The host's outlier monitor when the cluster has outlier detection. */
  outlier: HostMonitor | undefined;
  /** The host's connections: their TLS and connect timeout also serve its health checks. */
  readonly agent?: HealthCheckTransport;
}

/** Something whose host set must be rebuilt when health changes (the cluster in use). */
export interface HealthListener {
  refreshHealth(): void;
}

/** Per-cluster resilience state. */
export class ClusterResilience {
  readonly breaker: CircuitBreaker;
  readonly admission: ClusterAdmission;
  detector: OutlierDetector | undefined;
  checker: HealthChecker | undefined;
  /** The committed cluster that health changes rebuild. */
  current: HealthListener | undefined;

  constructor(readonly name: string, private readonly stats: ProxyStats) {
    this.breaker = new CircuitBreaker(stats, name);
    this.admission = new ClusterAdmission(this.breaker, stats, name);
  }

  /** Applies a cluster config and its hosts: limits, detector, checker, monitors. */
  configure(cluster: Cluster, hosts: readonly ResilientHost[]): void {
    this.breaker.configure(cluster.circuitBreakers);
    const onChange = () => this.current?.refreshHealth();
    const od = cluster.outlierDetection;
    if (od === undefined) {
      this.detector?.stop();
      this.detector = undefined;
    } else if (this.detector === undefined) this.detector = new OutlierDetector(od, this.stats.outlier(this.name), onChange);
    else this.detector.configure(od);
    const hc = healthCheckConfig(cluster.healthChecks, this.name);
    if (hc === undefined) {
      this.checker?.stop();
      this.checker = undefined;
    } else if (this.checker === undefined) this.checker = new HealthChecker(hc, this.stats.healthCheck(this.name), onChange);
    else this.checker.configure(hc);
    this.detector?.sync(hosts.map((h) => h.key));
    this.checker?.sync(hosts);
    for (const h of hosts) h.outlier = this.detector?.monitor(h.key);
  }

  /** A host's health for load balancing: EDS health, not ejected, not failing active checks. */
  healthy(h: ResilientHost): boolean {
    return h.edsHealthy && !(this.detector?.isEjected(h.key) ?? false) && !(this.checker?.isFailed(h.key) ?? false);
  }

  /** Stops timers and checks (cluster removed, proxy stopping). */
  stop(): void {
    this.detector?.stop();
    this.checker?.stop();
    this.detector = undefined;
    this.checker = undefined;
    this.current = undefined;
  }
}
