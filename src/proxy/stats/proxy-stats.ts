/**
 * The proxy's metric families and the per-cluster / per-label-set children the request path keeps.
 * Envoy cluster stats (`envoy_cluster_upstream_rq_total{cluster_name}` …) and Istio's standard
 * metrics (`istio_requests_total` …) are declared here once; callers look children up once per
 * cluster or label combination and cache them, so a request only increments numbers.
 */
import type { Histogram } from './histogram.js';
import { DURATION_BUCKETS_MS, SIZE_BUCKETS_BYTES } from './histogram.js';
import type { Family, LabelValues, Scalar, StatsStore } from './stats-store.js';

/** Istio's standard label names, in exposition order. */
export const ISTIO_LABELS: readonly string[] = [
  'reporter', 'source_workload', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version',
  'source_canonical_service', 'source_canonical_revision', 'source_cluster', 'destination_workload',
  'destination_workload_namespace', 'destination_principal', 'destination_app', 'destination_version',
  'destination_service', 'destination_service_name', 'destination_service_namespace', 'destination_canonical_service',
  'destination_canonical_revision', 'destination_cluster', 'request_protocol', 'response_code', 'grpc_response_status',
  'response_flags', 'connection_security_policy',
];

/** The children one cluster's Envoy stats need on the request path. */
export interface ClusterStats {
  readonly rqTotal: Scalar;
  /** Index 0–4: upstream_rq_1xx … upstream_rq_5xx. */
  readonly rqClass: readonly Scalar[];
  readonly rqTime: Histogram;
  readonly cxTotal: Scalar;
  readonly cxActive: Scalar;
  readonly cxConnectFail: Scalar;
  readonly rqTimeout: Scalar;
  /** Retry/overflow counters, created on first use. */
  resilience(): ClusterResilienceStats;
}

/** Retry, timeout and overflow counters of one cluster (created on first use). */
export interface ClusterResilienceStats {
  readonly rqRetry: Scalar;
  readonly rqRetrySuccess: Scalar;
  readonly rqRetryOverflow: Scalar;
  readonly rqRetryLimitExceeded: Scalar;
  readonly rqPerTryTimeout: Scalar;
  readonly rqPendingOverflow: Scalar;
  readonly cxOverflow: Scalar;
  readonly cxMaxRequests: Scalar;
  /** `upstream_cx_max_duration_reached`: connections closed for reaching `maxConnectionDuration`. */
  readonly cxMaxDurationReached: Scalar;
}

/** `circuit_breakers.default.*` gauges of one cluster. */
export interface CircuitBreakerStats {
  readonly cxOpen: Scalar;
  readonly rqPendingOpen: Scalar;
  readonly rqOpen: Scalar;
  readonly rqRetryOpen: Scalar;
  readonly remainingCx: Scalar;
  readonly remainingPending: Scalar;
  readonly remainingRq: Scalar;
  readonly remainingRetries: Scalar;
}

/** `outlier_detection.*` stats of one cluster. */
export interface OutlierStats {
  readonly ejectionsActive: Scalar;
  readonly ejectionsTotal: Scalar;
  readonly ejectionsOverflow: Scalar;
  readonly ejectionsEnforcedTotal: Scalar;
  readonly enforced5xx: Scalar;
  readonly enforcedGatewayFailure: Scalar;
  readonly enforcedLocalOrigin: Scalar;
  readonly detected5xx: Scalar;
  readonly detectedGatewayFailure: Scalar;
  readonly detectedLocalOrigin: Scalar;
}

/** `health_check.*` stats of one cluster. */
export interface HealthCheckStats {
  readonly attempt: Scalar;
  readonly success: Scalar;
  readonly failure: Scalar;
  readonly networkFailure: Scalar;
  readonly healthy: Scalar;
}

/** The children one Istio label set needs. */
export interface IstioChildren {
  readonly requests: Scalar;
  readonly duration: Histogram;
  readonly requestBytes: Histogram;
  readonly responseBytes: Histogram;
}

/** All families of a proxy, registered in one {@link StatsStore}. */
export class ProxyStats {
  private readonly rqTotal: Family<Scalar>;
  private readonly rqClass: Family<Scalar>;
  private readonly rqTime: Family<Histogram>;
  private readonly cxTotal: Family<Scalar>;
  private readonly cxActive: Family<Scalar>;
  private readonly cxConnectFail: Family<Scalar>;
  private readonly rqTimeout: Family<Scalar>;
  private readonly requests: Family<Scalar>;
  private readonly duration: Family<Histogram>;
  private readonly requestBytes: Family<Histogram>;
  private readonly responseBytes: Family<Histogram>;
  private readonly clusters = new Map<string, ClusterStats>();
  private readonly resilience = new Map<string, ClusterResilienceStats>();
  private readonly breakers = new Map<string, CircuitBreakerStats>();
  private readonly outliers = new Map<string, OutlierStats>();
  private readonly healthChecks = new Map<string, HealthCheckStats>();

  constructor(readonly store: StatsStore) {
    const cluster = (name: string, type: 'counter' | 'gauge', help: string) =>
      store.family<Scalar>({
        name: `envoy_cluster_${name}`, type, help, labelNames: ['cluster_name'],
        envoyName: (l) => `cluster.${l['cluster_name']}.${name}`,
      });
    this.rqTotal = cluster('upstream_rq_total', 'counter', 'Total upstream requests.');
    this.cxTotal = cluster('upstream_cx_total', 'counter', 'Total upstream connections.');
    this.cxActive = cluster('upstream_cx_active', 'gauge', 'Active upstream connections.');
    this.cxConnectFail = cluster('upstream_cx_connect_fail', 'counter', 'Upstream connection failures.');
    this.rqTimeout = cluster('upstream_rq_timeout', 'counter', 'Upstream requests that timed out.');
    this.rqClass = store.family<Scalar>({
      name: 'envoy_cluster_upstream_rq_xx', type: 'counter', help: 'Upstream responses by response code class.',
      labelNames: ['envoy_response_code_class', 'cluster_name'],
      envoyName: (l) => `cluster.${l['cluster_name']}.upstream_rq_${l['envoy_response_code_class']}xx`,
    });
    this.rqTime = store.family<Histogram>({
      name: 'envoy_cluster_upstream_rq_time', type: 'histogram', help: 'Upstream request time (ms).',
      labelNames: ['cluster_name'], buckets: DURATION_BUCKETS_MS, envoyName: (l) => `cluster.${l['cluster_name']}.upstream_rq_time`,
    });
    this.requests = store.family<Scalar>({ name: 'istio_requests_total', type: 'counter', help: 'Requests, as Istio counts them.', labelNames: ISTIO_LABELS });
    this.duration = store.family<Histogram>({
      name: 'istio_request_duration_milliseconds', type: 'histogram', help: 'Request duration (ms).', labelNames: ISTIO_LABELS, buckets: DURATION_BUCKETS_MS,
    });
    this.requestBytes = store.family<Histogram>({
      name: 'istio_request_bytes', type: 'histogram', help: 'Request sizes (bytes).', labelNames: ISTIO_LABELS, buckets: SIZE_BUCKETS_BYTES,
    });
    this.responseBytes = store.family<Histogram>({
      name: 'istio_response_bytes', type: 'histogram', help: 'Response sizes (bytes).', labelNames: ISTIO_LABELS, buckets: SIZE_BUCKETS_BYTES,
    });
  }

  /** The stats of one cluster, created once per cluster name and kept across config pushes. */
  cluster(name: string): ClusterStats {
    let s = this.clusters.get(name);
    if (!s) {
      const l: LabelValues = { cluster_name: name };
      const cls: Scalar[] = [];
      for (let i = 1; i <= 5; i++) cls.push(this.rqClass.with({ envoy_response_code_class: String(i), cluster_name: name }));
      s = {
        rqTotal: this.rqTotal.with(l), rqClass: cls, rqTime: this.rqTime.with(l), cxTotal: this.cxTotal.with(l),
        cxActive: this.cxActive.with(l), cxConnectFail: this.cxConnectFail.with(l), rqTimeout: this.rqTimeout.with(l),
        resilience: () => this.clusterResilience(name),
      };
      this.clusters.set(name, s);
    }
    return s;
  }

  /** Retry/overflow counters of one cluster, created on first use (most clusters never need them). */
  clusterResilience(name: string): ClusterResilienceStats {
    let s = this.resilience.get(name);
    if (!s) {
      const c = (n: string) => this.clusterScalar(n, 'counter', name);
      s = {
        rqRetry: c('upstream_rq_retry'), rqRetrySuccess: c('upstream_rq_retry_success'), rqRetryOverflow: c('upstream_rq_retry_overflow'),
        rqRetryLimitExceeded: c('upstream_rq_retry_limit_exceeded'), rqPerTryTimeout: c('upstream_rq_per_try_timeout'),
        rqPendingOverflow: c('upstream_rq_pending_overflow'), cxOverflow: c('upstream_cx_overflow'), cxMaxRequests: c('upstream_cx_max_requests'),
        cxMaxDurationReached: c('upstream_cx_max_duration_reached'),
      };
      this.resilience.set(name, s);
    }
    return s;
  }

  /** Circuit-breaker gauges of one cluster (created when the cluster has a finite threshold). */
  circuitBreaker(name: string): CircuitBreakerStats {
    let s = this.breakers.get(name);
    if (!s) {
      const g = (n: string) => this.clusterScalar(`circuit_breakers.default.${n}`, 'gauge', name);
      s = {
        cxOpen: g('cx_open'), rqPendingOpen: g('rq_pending_open'), rqOpen: g('rq_open'), rqRetryOpen: g('rq_retry_open'),
        remainingCx: g('remaining_cx'), remainingPending: g('remaining_pending'), remainingRq: g('remaining_rq'), remainingRetries: g('remaining_retries'),
      };
      this.breakers.set(name, s);
    }
    return s;
  }

  /** Outlier detection stats of one cluster (created when the cluster has outlier detection). */
  outlier(name: string): OutlierStats {
    let s = this.outliers.get(name);
    if (!s) {
      const c = (n: string) => this.clusterScalar(`outlier_detection.${n}`, 'counter', name);
      s = {
        ejectionsActive: this.clusterScalar('outlier_detection.ejections_active', 'gauge', name),
        ejectionsTotal: c('ejections_total'), ejectionsOverflow: c('ejections_overflow'), ejectionsEnforcedTotal: c('ejections_enforced_total'),
        enforced5xx: c('ejections_enforced_consecutive_5xx'), enforcedGatewayFailure: c('ejections_enforced_consecutive_gateway_failure'),
        enforcedLocalOrigin: c('ejections_enforced_consecutive_local_origin_failure'), detected5xx: c('ejections_detected_consecutive_5xx'),
        detectedGatewayFailure: c('ejections_detected_consecutive_gateway_failure'), detectedLocalOrigin: c('ejections_detected_consecutive_local_origin_failure'),
      };
      this.outliers.set(name, s);
    }
    return s;
  }

  /** Active health-check stats of one cluster (created when the cluster declares health checks). */
  healthCheck(name: string): HealthCheckStats {
    let s = this.healthChecks.get(name);
    if (!s) {
      const c = (n: string) => this.clusterScalar(`health_check.${n}`, 'counter', name);
      s = { attempt: c('attempt'), success: c('success'), failure: c('failure'), networkFailure: c('network_failure'), healthy: this.clusterScalar('health_check.healthy', 'gauge', name) };
      this.healthChecks.set(name, s);
    }
    return s;
  }

  /** One `cluster.<name>.<stat>` child; the Prometheus name replaces dots with underscores. */
  private clusterScalar(stat: string, type: 'counter' | 'gauge', cluster: string): Scalar {
    const family = this.store.family<Scalar>({
      name: `envoy_cluster_${stat.replace(/\./g, '_')}`, type, help: `Envoy cluster stat ${stat}.`, labelNames: ['cluster_name'],
      envoyName: (l) => `cluster.${l['cluster_name']}.${stat}`,
    });
    return family.with({ cluster_name: cluster });
  }

  /**
   * Istio's HTTP metric families by the stats filter's names (`requests_total`,
   * `request_duration_milliseconds`, `request_bytes`, `response_bytes`), for Telemetry overrides
   * (stats/metrics-policy.ts).
   */
  istioHttpFamilies(): { readonly requests_total: Family<Scalar>; readonly request_duration_milliseconds: Family<Histogram>; readonly request_bytes: Family<Histogram>; readonly response_bytes: Family<Histogram> } {
    return { requests_total: this.requests, request_duration_milliseconds: this.duration, request_bytes: this.requestBytes, response_bytes: this.responseBytes };
  }

  /** The Istio children of one complete label set (call once per combination, then cache). */
  istio(labels: LabelValues): IstioChildren {
    return {
      requests: this.requests.with(labels),
      duration: this.duration.with(labels),
      requestBytes: this.requestBytes.with(labels),
      responseBytes: this.responseBytes.with(labels),
    };
  }
}
