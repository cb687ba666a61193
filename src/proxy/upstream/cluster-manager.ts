/**
 * The cluster manager: turns an xDS Cluster (+ its ClusterLoadAssignment) into an immutable
 * {@link UpstreamCluster} — host set, load balancer, stats and telemetry — for one runtime
 * snapshot, while the things that must outlive a push live here: per-(cluster, host) keep-alive
 * pools and {@link Host} objects (their in-flight counters), cluster stats. A push that fails to
 * compile leaves no trace: entries it created are pruned by the next {@link ClusterManager.commit}.
 * Per-cluster resilience state (circuit breaker, pool admission, outlier detector, health checker)
 * also persists by cluster name ({@link ClusterResilience}); when it changes a host's health, the
 * committed cluster's host set and load balancer are rebuilt ({@link UpstreamCluster.refreshHealth}).
 */
import type { Cluster, ClusterLoadAssignment, Duration, LbEndpoint, UpstreamHttpProtocolOptions } from '../../envoy/types.js';
import { endpointHostAddress } from './upstream-dial.js';
import { fromStruct, type StructMessage } from '../../xds/node-info.js';
import { Host, HostSet } from '../lb/host.js';
import { createLoadBalancer, isHashPolicy, type LoadBalancer, type LoadBalancerOptions } from '../lb/load-balancer.js';
import { needsPriorityBalancer, PriorityLoadBalancer, type LocalityGroupInit } from '../lb/priority-balancer.js';
import { localityKey, zoneAwareConfigOf } from './zone-aware-config.js';
import { slowStartFromEnvoy } from '../lb/slow-start.js';
import type { ClusterStats, ProxyStats } from '../stats/proxy-stats.js';
import { destinationReporterTarget, parseWorkloadMetadata, sourceReporterTarget, UNKNOWN_WORKLOAD, type ServiceRef, type TelemetryTarget, type WorkloadInfo } from '../stats/telemetry.js';
import { HostConnections, type HostConnectionsOptions } from './host-connections.js';
import { connectTimeoutMs } from '../../envoy/connect-timeout.js';
import { DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS } from '../../envoy/defaults.js';
import { durationMs } from '../../envoy/duration.js';
import { bindUpstreamTls, type UpstreamTlsDeps } from '../tls/upstream-tls-binding.js';
import { ClusterResilience, type ResilientHost } from './cluster-resilience.js';
import type { ClusterAdmission } from './admission.js';
import type { HostMonitor } from './outlier-detector.js';
import type { ClusterTable } from './cluster-table.js';

/** One host of a cluster with its connections and telemetry. */
export interface HostRuntime extends ResilientHost {
  readonly host: Host;
  /** The host's connections (HTTP/1.1 and HTTP/2 pools, counted; host-connections.ts). */
  readonly agent: HostConnections;
  readonly telemetry: TelemetryTarget;
  /** The `istio.workload` metadata it was built from (a change makes a new runtime). */
  readonly workloadKey: string;
  /** Outlier monitor of the host (cluster with outlier detection only); written by ClusterResilience. */
  outlier: HostMonitor | undefined;
}

/**
 * A cluster as one runtime snapshot serves it. Immutable except for the ORIGINAL_DST host cache and
 * the host set + balancer, which {@link refreshHealth} replaces when health changes.
 */
export class UpstreamCluster {
  constructor(
    readonly name: string,
    readonly config: Cluster,
    /** Undefined for ORIGINAL_DST clusters (the destination comes from the request). */
    public lb: LoadBalancer | undefined,
    public hostSet: HostSet,
    readonly hosts: ReadonlyMap<Host, HostRuntime>,
    readonly stats: ClusterStats,
    /** Istio metric children for replies with no upstream host (UH, UF before a pick…). */
    readonly noHostTelemetry: TelemetryTarget,
    /** True when the route's hash policy must be evaluated (RING_HASH, MAGLEV). */
    readonly hashing: boolean,
    private readonly manager: ClusterManager,
    /** Circuit breaker, pool admission, outlier detector and health checker of this cluster name. */
    readonly resilience: ClusterResilience,
    /** The assignment's locality groups (priority, locality weight, hosts), for the priority layer. */
    readonly localityGroups: readonly LocalityGroupInit[] = [],
  ) {}

  /** The cluster's admission control (circuit breakers). */
  get admission(): ClusterAdmission {
    return this.resilience.admission;
  }

  /** True for ORIGINAL_DST clusters (PassthroughCluster). */
  get originalDst(): boolean {
    return this.lb === undefined;
  }

  /** Recomputes host health and rebuilds the host set and balancer (on a health change only). */
  refreshHealth(): void {
    if (this.lb === undefined) return;
    for (const rt of this.hosts.values()) rt.host.healthy = this.resilience.healthy(rt);
    this.hostSet = HostSet.of(this.hosts.keys());
    this.lb = clusterBalancer(this.config, this.hostSet, this.localityGroups);
  }

  /** The runtime of a picked host. */
  runtime(host: Host): HostRuntime | undefined {
    return this.hosts.get(host);
  }

  /** ORIGINAL_DST: the host for a request's own destination, pooled per address. */
  originalDstHost(address: string, port: number): HostRuntime {
    return this.manager.originalDstHost(this, address, port);
  }
}

/** Settings of a {@link ClusterManager}. */
export interface ClusterManagerOptions {
  readonly stats: ProxyStats;
  /** This proxy's workload, for Istio labels. */
  readonly self: WorkloadInfo;
  /** TLS material for upstream TLS (transport socket matches, DestinationRule tls); plaintext only when absent. */
  readonly tls?: UpstreamTlsDeps;
}

/** Builds clusters and owns what must persist across pushes. */
export class ClusterManager {
  private readonly hostRuntimes = new Map<string, HostRuntime>();
  private readonly originalDst = new Map<string, HostRuntime>();
  private readonly resilience = new Map<string, ClusterResilience>();
  private committedTable: ClusterTable | undefined;

  constructor(private readonly opts: ClusterManagerOptions) {}

  /** The cluster table of the committed snapshot (the one new snapshots carry runtimes over from). */
  get committed(): ClusterTable | undefined {
    return this.committedTable;
  }

  /**
   * Checks, without building anything, that {@link build} will not throw for this cluster: its load
   * balancing policy and settings, and its endpoints' ports. Throws as build would (LbError / Error).
   */
  validate(cluster: Cluster, cla: ClusterLoadAssignment | undefined): void {
    if (cluster.type === 'ORIGINAL_DST') return;
    createLoadBalancer(cluster.lbPolicy ?? 'ROUND_ROBIN', HostSet.empty(), lbOptions(cluster));
    const assignment = cluster.type === 'EDS' ? cla : cluster.loadAssignment;
    for (const locality of assignment?.endpoints ?? []) {
      for (const ep of locality.lbEndpoints ?? []) {
        const sa = ep.endpoint?.address?.socketAddress;
        if (!sa?.address || sa.portValue === undefined) continue;
        if (!Number.isInteger(sa.portValue) || sa.portValue < 0 || sa.portValue > 65535) {
          throw new Error(`endpoint ${sa.address}: port ${String(sa.portValue)} is not in 0-65535`);
        }
      }
    }
  }

  /** Compiles one cluster; throws (LbError / Error) when it cannot be served. */
  build(cluster: Cluster, cla: ClusterLoadAssignment | undefined): UpstreamCluster {
    const name = cluster.name ?? '';
    const stats = this.opts.stats.cluster(name);
    const service = serviceOf(cluster);
    const inbound = name.startsWith('inbound|');
    const noHostTelemetry = this.target(inbound, UNKNOWN_WORKLOAD, service);
    const res = this.resilienceOf(name);
    const agentOpts = agentOptions(cluster);
    if (cluster.type === 'ORIGINAL_DST') {
      res.configure(cluster, []);
      for (const [key, rt] of this.originalDst) if (key.startsWith(`${name}|`)) rt.agent.configure({ ...agentOpts, idleTimeoutMs: Math.min(agentOpts.idleTimeoutMs, 300_000) });
      return new UpstreamCluster(name, cluster, undefined, HostSet.empty(), new Map(), stats, noHostTelemetry, false, this, res);
    }
    const assignment = cluster.type === 'EDS' ? cla : cluster.loadAssignment;
    const hosts = new Map<Host, HostRuntime>();
    const groups: LocalityGroupInit[] = [];
    for (const locality of assignment?.endpoints ?? []) {
      const groupHosts: Host[] = [];
      for (const ep of locality.lbEndpoints ?? []) {
        const rt = this.hostRuntime(name, ep, stats, agentOpts, inbound, service, res);
        if (rt) bindUpstreamTls(rt.agent, cluster, ep, this.opts.tls);
        if (rt && !hosts.has(rt.host)) groupHosts.push(rt.host);
        if (rt) hosts.set(rt.host, rt);
      }
      groups.push({ priority: locality.priority ?? 0, weight: locality.loadBalancingWeight?.value ?? 0, hosts: groupHosts, locality: localityKey(locality.locality) });
    }
    res.configure(cluster, [...hosts.values()]);
    for (const rt of hosts.values()) rt.host.healthy = res.healthy(rt);
    const hostSet = HostSet.of(hosts.keys());
    const policy = cluster.lbPolicy ?? 'ROUND_ROBIN';
    const lb = clusterBalancer(cluster, hostSet, groups);
    return new UpstreamCluster(name, cluster, lb, hostSet, hosts, stats, noHostTelemetry, isHashPolicy(policy), this, res, groups);
  }

  private resilienceOf(name: string): ClusterResilience {
    let r = this.resilience.get(name);
    if (r === undefined) {
      r = new ClusterResilience(name, this.opts.stats);
      this.resilience.set(name, r);
    }
    return r;
  }

  /** Commits a snapshot's cluster table: {@link commit} of the clusters it has built so far. */
  commitTable(table: ClusterTable): void {
    this.committedTable = table;
    this.commit(table.built());
  }

  /**
   * Takes a cluster a table built lazily (on first use) into service: when the table is the
   * committed one, health changes now rebuild this runtime. Runtimes built on a superseded table
   * serve the requests that started on it only; the next commit prunes their hosts.
   */
  adopt(table: ClusterTable, c: UpstreamCluster): void {
    if (table !== this.committedTable) return;
    c.resilience.current = c;
  }

  /** Keeps only the pools of hosts the committed clusters use; idle connections of others close. */
  commit(clusters: Iterable<UpstreamCluster>): void {
    const live = new Set<HostRuntime>();
    const agents = new Set<HostConnections>();
    const names = new Set<string>();
    for (const c of clusters) {
      names.add(c.name);
      c.resilience.current = c;
      // Health may have changed between this cluster's build and its commit.
      if (c.resilience.detector !== undefined || c.resilience.checker !== undefined) {
        for (const rt of c.hosts.values()) {
          if (rt.host.healthy !== c.resilience.healthy(rt)) {
            c.refreshHealth();
            break;
          }
        }
      }
      for (const rt of c.hosts.values()) {
        live.add(rt);
        agents.add(rt.agent);
      }
    }
    for (const [key, rt] of this.hostRuntimes) {
      if (live.has(rt)) continue;
      this.hostRuntimes.delete(key);
      if (!agents.has(rt.agent)) rt.agent.closeIdle();
    }
    for (const [name, r] of this.resilience) {
      if (names.has(name)) continue;
      r.stop();
      this.resilience.delete(name);
    }
  }

  /** Resilience state of a cluster name (tests and admin). */
  resilienceState(name: string): ClusterResilience | undefined {
    return this.resilience.get(name);
  }

  /** Closes every pooled connection (proxy shutdown). */
  closeAll(): void {
    for (const rt of this.hostRuntimes.values()) rt.agent.destroy();
    for (const rt of this.originalDst.values()) rt.agent.destroy();
    for (const r of this.resilience.values()) r.stop();
    this.hostRuntimes.clear();
    this.originalDst.clear();
    this.resilience.clear();
  }

  /** ORIGINAL_DST host runtime (see {@link UpstreamCluster.originalDstHost}). */
  originalDstHost(cluster: UpstreamCluster, address: string, port: number): HostRuntime {
    const key = `${cluster.name}|${address}:${port}`;
    let rt = this.originalDst.get(key);
    if (!rt) {
      const opts = agentOptions(cluster.config);
      const agent = new HostConnections(cluster.stats, { ...opts, idleTimeoutMs: Math.min(opts.idleTimeoutMs, 300_000) }, cluster.resilience.breaker);
      agent.admission = cluster.resilience.admission;
      rt = {
        host: new Host({ address, port }),
        agent,
        telemetry: cluster.noHostTelemetry,
        workloadKey: '',
        key: `${address}:${port}`, address, port, edsHealthy: true, outlier: undefined,
      };
      this.originalDst.set(key, rt);
    }
    return rt;
  }

  private target(inbound: boolean, dest: WorkloadInfo, service: ServiceRef | undefined): TelemetryTarget {
    return inbound ? destinationReporterTarget(this.opts.stats, this.opts.self, service) : sourceReporterTarget(this.opts.stats, this.opts.self, dest, service);
  }

  private hostRuntime(
    cluster: string, ep: LbEndpoint, stats: ClusterStats, agentOpts: HostConnectionsOptions, inbound: boolean, service: ServiceRef | undefined, res: ClusterResilience,
  ): HostRuntime | undefined {
    // A socket address, or a pipe (Sidecar ingress `unix://` defaultEndpoint) as `unix://<path>`:0 (upstream-dial.ts).
    const sa = endpointHostAddress(ep.endpoint?.address);
    if (sa === undefined) return undefined;
    const weight = ep.loadBalancingWeight?.value ?? 1;
    const healthy = ep.healthStatus !== 'UNHEALTHY' && ep.healthStatus !== 'DRAINING' && ep.healthStatus !== 'TIMEOUT';
    const istio = fromStruct(ep.metadata?.filterMetadata?.['istio'] as StructMessage | undefined);
    const workloadKey = typeof istio['workload'] === 'string' ? istio['workload'] : '';
    const key = `${cluster}|${sa.address}:${sa.port}`;
    const old = this.hostRuntimes.get(key);
    old?.agent.configure(agentOpts);
    if (old && old.host.weight === weight && old.workloadKey === workloadKey) {
      old.edsHealthy = healthy;
      return old;
    }
    const host = new Host({ address: sa.address, port: sa.port, weight: weight > 0 ? weight : 1, healthy, stats: old?.host.stats, createdAtMs: old?.host.createdAtMs });
    const dest = parseWorkloadMetadata(workloadKey) ?? UNKNOWN_WORKLOAD;
    let agent = old?.agent;
    if (agent === undefined) {
      agent = new HostConnections(stats, agentOpts, res.breaker);
      agent.admission = res.admission;
    }
    const rt: HostRuntime = {
      host,
      agent,
      telemetry: this.target(inbound, dest, service),
      workloadKey,
      key: `${sa.address}:${sa.port}`, address: sa.address, port: sa.port, edsHealthy: healthy, outlier: old?.outlier,
    };
    this.hostRuntimes.set(key, rt);
    return rt;
  }
}

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Pool settings of a cluster: connect timeout, upstream idle timeout, requests per connection, TCP keepalive. */
export function agentOptions(c: Cluster): HostConnectionsOptions {
  const http = c.typedExtensionProtocolOptions?.[HTTP_PROTOCOL_OPTIONS] as UpstreamHttpProtocolOptions | undefined;
  const common = http?.commonHttpProtocolOptions;
  const idle = durationMs(common?.idleTimeout);
  const ka = c.upstreamConnectionOptions?.tcpKeepalive;
  return {
    connectTimeoutMs: connectTimeoutMs(c),
    idleTimeoutMs: idle === undefined ? DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS : idle,
    maxRequestsPerConnection: common?.maxRequestsPerConnection?.value ?? c.maxRequestsPerConnection?.value ?? 0,
    tcpKeepaliveMs: ka === undefined ? undefined : (ka.keepaliveTime?.value ?? 0) * 1000,
    maxConnectionDurationMs: durationMs(common?.maxConnectionDuration),
    h2Keepalive: h2Keepalive(http?.explicitHttpConfig?.http2ProtocolOptions?.connectionKeepalive),
  };
}

/**
 * The cluster's balancer: the configured per-host policy, under the priority/locality layer when
 * the assignment has several priorities or the cluster weights localities (`lb/priority-balancer.ts`).
 */
function clusterBalancer(c: Cluster, hostSet: HostSet, groups: readonly LocalityGroupInit[]): LoadBalancer {
  const policy = c.lbPolicy ?? 'ROUND_ROBIN';
  const opts = lbOptions(c);
  const localityWeighted = c.commonLbConfig?.localityWeightedLbConfig !== undefined;
  const zoneAware = zoneAwareConfigOf(c);
  if (!needsPriorityBalancer(groups, localityWeighted, zoneAware !== undefined)) return createLoadBalancer(policy, hostSet, opts);
  return new PriorityLoadBalancer(groups, {
    healthyPanicThreshold: opts.healthyPanicThreshold ?? 50,
    localityWeighted,
    ...(zoneAware ? { zoneAware } : {}),
    create: (set, panicThreshold) => createLoadBalancer(policy, set, { ...opts, healthyPanicThreshold: panicThreshold }),
  });
}

/** Envoy `KeepaliveSettings` (interval and timeout both needed to do anything). */
function h2Keepalive(ka: { interval?: Duration; timeout?: Duration } | undefined): HostConnectionsOptions['h2Keepalive'] {
  const intervalMs = durationMs(ka?.interval);
  const timeoutMs = durationMs(ka?.timeout);
  return intervalMs !== undefined && intervalMs > 0 && timeoutMs !== undefined && timeoutMs > 0 ? { intervalMs, timeoutMs } : undefined;
}

function lbOptions(c: Cluster): LoadBalancerOptions {
  const panic = c.commonLbConfig?.healthyPanicThreshold?.value;
  return {
    healthyPanicThreshold: c.commonLbConfig?.healthyPanicThreshold ? (panic ?? 0) : 50,
    ringHash: { minimumRingSize: c.ringHashLbConfig?.minimumRingSize?.value, maximumRingSize: c.ringHashLbConfig?.maximumRingSize?.value },
    maglev: { tableSize: c.maglevLbConfig?.tableSize?.value },
    leastRequest: { choiceCount: c.leastRequestLbConfig?.choiceCount?.value },
    slowStart: slowStartFromEnvoy(c.roundRobinLbConfig?.slowStartConfig ?? c.leastRequestLbConfig?.slowStartConfig),
  };
}

/** The first service in cluster metadata `istio.services`, as istiod writes it. */
export function serviceOf(c: Cluster): ServiceRef | undefined {
  const istio = fromStruct(c.metadata?.filterMetadata?.['istio'] as StructMessage | undefined);
  const services = istio['services'];
  const first = Array.isArray(services) ? services[0] : undefined;
  if (!first || typeof first !== 'object' || Array.isArray(first)) return undefined;
  const host = first['host'];
  const name = first['name'];
  const namespace = first['namespace'];
  if (typeof host !== 'string') return undefined;
  return { host, name: typeof name === 'string' ? name : host, namespace: typeof namespace === 'string' ? namespace : 'unknown' };
}
