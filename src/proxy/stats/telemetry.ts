/**
 * Istio's standard metrics labels for one (reporter, source, destination) combination, with the
 * children of every response code / flag seen so far cached, so the request path does one Map
 * lookup by status code and never builds label objects once a combination is known.
 *
 * Workload identities come from node metadata (this proxy) and from istiod's endpoint metadata
 * `filterMetadata.istio.workload` = `name;namespace;canonicalService;canonicalRevision;cluster`
 * (the peer), services from cluster metadata `filterMetadata.istio.services[0]`.
 */
import type { IstioChildren, ProxyStats } from './proxy-stats.js';

/** One workload as Istio's labels describe it. */
export interface WorkloadInfo {
  readonly workload: string;
  readonly namespace: string;
  readonly app: string;
  readonly version: string;
  readonly canonicalService: string;
  readonly canonicalRevision: string;
  readonly cluster: string;
  readonly principal: string;
}

/** A service as Istio's `destination_service*` labels describe it. */
export interface ServiceRef {
  readonly host: string;
  readonly name: string;
  readonly namespace: string;
}

/** Unknown peer (no metadata), as Istio labels it. */
export const UNKNOWN_WORKLOAD: WorkloadInfo = Object.freeze({
  workload: 'unknown', namespace: 'unknown', app: 'unknown', version: 'unknown', canonicalService: 'unknown',
  canonicalRevision: 'unknown', cluster: 'unknown', principal: 'unknown',
});

/** Parses istiod's endpoint `istio.workload` metadata string; undefined when absent or malformed. */
export function parseWorkloadMetadata(value: string | undefined): WorkloadInfo | undefined {
  if (!value) return undefined;
  const [workload, namespace, svc, rev, cluster] = value.split(';');
  if (!workload || !namespace) return undefined;
  return {
    workload, namespace, app: svc || 'unknown', version: rev || 'unknown', canonicalService: svc || 'unknown',
    // istiod leaves the revision out of the metadata when it is Istio's default, `latest`.
    canonicalRevision: rev || 'latest', cluster: cluster || 'unknown', principal: 'unknown',
  };
}

/**
 * Istio's label-derived workload facts: `app` / `version` (the `app` and `version` labels, else
 * `app.kubernetes.io/name` / `app.kubernetes.io/version`), and the canonical service and revision
 * (`service.istio.io/canonical-name`, `app.kubernetes.io/name`, `app`, else the workload name;
 * `service.istio.io/canonical-revision`, `app.kubernetes.io/version`, `version`, else `latest`).
 */
export function workloadLabels(labels: Readonly<Record<string, string>>, workloadName: string): Pick<WorkloadInfo, 'app' | 'version' | 'canonicalService' | 'canonicalRevision'> {
  return {
    app: labels['app'] ?? labels['app.kubernetes.io/name'] ?? 'unknown',
    version: labels['version'] ?? labels['app.kubernetes.io/version'] ?? 'unknown',
    canonicalService: labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels['app'] ?? workloadName,
    canonicalRevision: labels['service.istio.io/canonical-revision'] ?? labels['app.kubernetes.io/version'] ?? labels['version'] ?? 'latest',
  };
}

/** A cache of Istio metric children for one label combination minus code and flags. */
export class TelemetryTarget {
  private readonly byCode = new Map<number, IstioChildren>();
  private readonly byCodeAndFlag = new Map<string, IstioChildren>();

  constructor(private readonly stats: ProxyStats, private readonly base: Readonly<Record<string, string>>) {}

  /** The label set minus code and flags (TCP metrics derive theirs from it, src/proxy/tcp/tcp-stats.ts). */
  get labels(): Readonly<Record<string, string>> {
    return this.base;
  }

  private variants: Map<string, TelemetryTarget> | undefined;

  /**
   * The same target with some labels replaced (e.g. `source_principal` and
   * `connection_security_policy` of an mTLS peer); cached per distinct override.
   */
  variant(overrides: Readonly<Record<string, string>>): TelemetryTarget {
    const key = JSON.stringify(overrides);
    this.variants ??= new Map();
    let t = this.variants.get(key);
    if (!t) {
      t = new TelemetryTarget(this.stats, { ...this.base, ...overrides });
      this.variants.set(key, t);
    }
    return t;
  }

  /** The children for a response code and flag ('-' for none); created on first use. */
  children(code: number, flag: string): IstioChildren {
    if (flag === '-') {
      let c = this.byCode.get(code);
      if (!c) {
        c = this.stats.istio({ ...this.base, response_code: String(code), response_flags: '-' });
        this.byCode.set(code, c);
      }
      return c;
    }
    const key = `${code}|${flag}`;
    let c = this.byCodeAndFlag.get(key);
    if (!c) {
      c = this.stats.istio({ ...this.base, response_code: String(code), response_flags: flag });
      this.byCodeAndFlag.set(key, c);
    }
    return c;
  }
}

/** Labels of a client-side (`reporter="source"`) target: this proxy's workload → a destination. */
export function sourceReporterTarget(stats: ProxyStats, self: WorkloadInfo, dest: WorkloadInfo, service: ServiceRef | undefined): TelemetryTarget {
  return new TelemetryTarget(stats, {
    reporter: 'source', ...labelsOf('source', self), ...labelsOf('destination', dest),
    destination_service: service?.host ?? 'unknown', destination_service_name: service?.name ?? 'unknown',
    destination_service_namespace: service?.namespace ?? 'unknown', request_protocol: 'http', grpc_response_status: '',
    connection_security_policy: 'unknown',
  });
}

/** Labels of a server-side (`reporter="destination"`) target: an unknown client → this workload. */
export function destinationReporterTarget(stats: ProxyStats, self: WorkloadInfo, service: ServiceRef | undefined): TelemetryTarget {
  return new TelemetryTarget(stats, {
    reporter: 'destination', ...labelsOf('source', UNKNOWN_WORKLOAD), ...labelsOf('destination', self),
    destination_service: service?.host ?? 'unknown', destination_service_name: service?.name ?? 'unknown',
    destination_service_namespace: service?.namespace ?? self.namespace, request_protocol: 'http', grpc_response_status: '',
    connection_security_policy: 'none',
  });
}

function labelsOf(side: 'source' | 'destination', w: WorkloadInfo): Record<string, string> {
  return {
    [`${side}_workload`]: w.workload,
    [`${side}_workload_namespace`]: w.namespace,
    [`${side}_principal`]: w.principal,
    [`${side}_app`]: w.app,
    [`${side}_version`]: w.version,
    [`${side}_canonical_service`]: w.canonicalService,
    [`${side}_canonical_revision`]: w.canonicalRevision,
    [`${side}_cluster`]: w.cluster,
  };
}
