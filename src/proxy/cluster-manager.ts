/**
 * The cluster manager: turns an xDS Cluster (+ its ClusterLoadAssignment) into an immutable
 * {@link UpstreamCluster} — host set, load balancer, stats and telemetry — for one runtime
 * snapshot, while the things that must outlive a push live here: per-(cluster, host) keep-alive
 * pools and {@link Host} objects (their in-flight counters), cluster stats. A push that fails to
 * compile leaves no trace: entries it created are pruned by the next {@link ClusterManager.commit}.
 */
import type { Cluster, ClusterLoadAssignment, LbEndpoint } from '../envoy/types.js';
import { fromStruct, type StructMessage } from '../xds/node-info.js';
import { Host, HostSet } from './lb/host.js';
import { createLoadBalancer, isHashPolicy, type LoadBalancer, type LoadBalancerOptions } from './lb/load-balancer.js';
import type { ClusterStats, ProxyStats } from './proxy-stats.js';
import { destinationReporterTarget, parseWorkloadMetadata, sourceReporterTarget, UNKNOWN_WORKLOAD, type ServiceRef, type TelemetryTarget, type WorkloadInfo } from './telemetry.js';
import { UpstreamAgent } from './upstream-agent.js';
import { durationMs } from './durations.js';

/** One host of a cluster with its pool and telemetry. */
export interface HostRuntime {
  readonly host: Host;
  readonly agent: UpstreamAgent;
  readonly telemetry: TelemetryTarget;
  /** The `istio.workload` metadata it was built from (a change makes a new runtime). */
  readonly workloadKey: string;
}

/** A cluster as one runtime snapshot serves it. Immutable except for the ORIGINAL_DST host cache. */
export class UpstreamCluster {
  constructor(
    readonly name: string,
    readonly config: Cluster,
    /** Undefined for ORIGINAL_DST clusters (the destination comes from the request). */
    readonly lb: LoadBalancer | undefined,
    readonly hostSet: HostSet,
    readonly hosts: ReadonlyMap<Host, HostRuntime>,
    readonly stats: ClusterStats,
    /** Istio metric children for replies with no upstream host (UH, UF before a pick…). */
    readonly noHostTelemetry: TelemetryTarget,
    /** True when the route's hash policy must be evaluated (RING_HASH, MAGLEV). */
    readonly hashing: boolean,
    private readonly manager: ClusterManager,
  ) {}

  /** True for ORIGINAL_DST clusters (PassthroughCluster). */
  get originalDst(): boolean {
    return this.lb === undefined;
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
}

const ENVOY_DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;

/** Builds clusters and owns what must persist across pushes. */
export class ClusterManager {
  private readonly hostRuntimes = new Map<string, HostRuntime>();
  private readonly originalDst = new Map<string, HostRuntime>();

  constructor(private readonly opts: ClusterManagerOptions) {}

  /** Compiles one cluster; throws (LbError / Error) when it cannot be served. */
  build(cluster: Cluster, cla: ClusterLoadAssignment | undefined): UpstreamCluster {
    const name = cluster.name ?? '';
    const stats = this.opts.stats.cluster(name);
    const service = serviceOf(cluster);
    const inbound = name.startsWith('inbound|');
    const noHostTelemetry = this.target(inbound, UNKNOWN_WORKLOAD, service);
    if (cluster.type === 'ORIGINAL_DST') {
      return new UpstreamCluster(name, cluster, undefined, HostSet.empty(), new Map(), stats, noHostTelemetry, false, this);
    }
    const assignment = cluster.type === 'EDS' ? cla : cluster.loadAssignment;
    const hosts = new Map<Host, HostRuntime>();
    const connectTimeoutMs = durationMs(cluster.connectTimeout) ?? ENVOY_DEFAULT_CONNECT_TIMEOUT_MS;
    for (const locality of assignment?.endpoints ?? []) {
      for (const ep of locality.lbEndpoints ?? []) {
        const rt = this.hostRuntime(name, ep, stats, connectTimeoutMs, inbound, service);
        if (rt) hosts.set(rt.host, rt);
      }
    }
    const hostSet = HostSet.of(hosts.keys());
    const policy = cluster.lbPolicy ?? 'ROUND_ROBIN';
    const lb = createLoadBalancer(policy, hostSet, lbOptions(cluster));
    return new UpstreamCluster(name, cluster, lb, hostSet, hosts, stats, noHostTelemetry, isHashPolicy(policy), this);
  }

  /** Keeps only the pools of hosts the committed clusters use; idle connections of others close. */
  commit(clusters: Iterable<UpstreamCluster>): void {
    const live = new Set<HostRuntime>();
    const agents = new Set<UpstreamAgent>();
    for (const c of clusters) {
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
  }

  /** Closes every pooled connection (proxy shutdown). */
  closeAll(): void {
    for (const rt of this.hostRuntimes.values()) rt.agent.destroy();
    for (const rt of this.originalDst.values()) rt.agent.destroy();
    this.hostRuntimes.clear();
    this.originalDst.clear();
  }

  /** ORIGINAL_DST host runtime (see {@link UpstreamCluster.originalDstHost}). */
  originalDstHost(cluster: UpstreamCluster, address: string, port: number): HostRuntime {
    const key = `${cluster.name}|${address}:${port}`;
    let rt = this.originalDst.get(key);
    if (!rt) {
      const connectTimeoutMs = durationMs(cluster.config.connectTimeout) ?? ENVOY_DEFAULT_CONNECT_TIMEOUT_MS;
      rt = {
        host: new Host({ address, port }),
        agent: new UpstreamAgent(cluster.stats, { connectTimeoutMs, idleTimeoutMs: 300_000 }),
        telemetry: cluster.noHostTelemetry,
        workloadKey: '',
      };
      this.originalDst.set(key, rt);
    }
    return rt;
  }

  private target(inbound: boolean, dest: WorkloadInfo, service: ServiceRef | undefined): TelemetryTarget {
    return inbound ? destinationReporterTarget(this.opts.stats, this.opts.self, service) : sourceReporterTarget(this.opts.stats, this.opts.self, dest, service);
  }

  private hostRuntime(cluster: string, ep: LbEndpoint, stats: ClusterStats, connectTimeoutMs: number, inbound: boolean, service: ServiceRef | undefined): HostRuntime | undefined {
    const sa = ep.endpoint?.address?.socketAddress;
    if (!sa?.address || sa.portValue === undefined) return undefined;
    const weight = ep.loadBalancingWeight?.value ?? 1;
    const healthy = ep.healthStatus !== 'UNHEALTHY' && ep.healthStatus !== 'DRAINING' && ep.healthStatus !== 'TIMEOUT';
    const istio = fromStruct(ep.metadata?.filterMetadata?.['istio'] as StructMessage | undefined);
    const workloadKey = typeof istio['workload'] === 'string' ? istio['workload'] : '';
    const key = `${cluster}|${sa.address}:${sa.portValue}`;
    const old = this.hostRuntimes.get(key);
    if (old && old.host.weight === weight && old.workloadKey === workloadKey) {
      old.host.healthy = healthy;
      return old;
    }
    const host = new Host({ address: sa.address, port: sa.portValue, weight: weight > 0 ? weight : 1, healthy, stats: old?.host.stats });
    const dest = parseWorkloadMetadata(workloadKey) ?? UNKNOWN_WORKLOAD;
    const rt: HostRuntime = {
      host,
      agent: old?.agent ?? new UpstreamAgent(stats, { connectTimeoutMs, idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS }),
      telemetry: this.target(inbound, dest, service),
      workloadKey,
    };
    this.hostRuntimes.set(key, rt);
    return rt;
  }
}

function lbOptions(c: Cluster): LoadBalancerOptions {
  const panic = c.commonLbConfig?.healthyPanicThreshold?.value;
  return {
    healthyPanicThreshold: c.commonLbConfig?.healthyPanicThreshold ? (panic ?? 0) : 50,
    ringHash: { minimumRingSize: c.ringHashLbConfig?.minimumRingSize?.value, maximumRingSize: c.ringHashLbConfig?.maximumRingSize?.value },
    maglev: { tableSize: c.maglevLbConfig?.tableSize?.value },
    leastRequest: { choiceCount: c.leastRequestLbConfig?.choiceCount?.value },
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
