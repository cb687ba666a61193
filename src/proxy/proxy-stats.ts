/**
 * The proxy's metric families and the per-cluster / per-label-set children the request path keeps.
 * Envoy cluster stats (`envoy_cluster_upstream_rq_total{cluster_name}` …) and Istio's standard
 * metrics (`istio_requests_total` …) are declared here once; callers look children up once per
 * cluster or label combination and cache them, so a request only increments numbers.
 */
import type { Histogram } from './stats/histogram.js';
import { DURATION_BUCKETS_MS, SIZE_BUCKETS_BYTES } from './stats/histogram.js';
import type { Family, LabelValues, Scalar, StatsStore } from './stats/stats-store.js';

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
      };
      this.clusters.set(name, s);
    }
    return s;
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
