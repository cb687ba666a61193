/**
 * Upstream hosts as the load balancers see them, and the immutable snapshot they are built from.
 *
 * A {@link Host} lives as long as its endpoint stays in the cluster: its `stats` (active requests,
 * maintained by the connection pool) and `healthy` flag (maintained by health checking and outlier
 * detection) are mutable. A {@link HostSet} freezes membership and health at one instant; the
 * cluster manager builds a new one — and a new balancer from it — whenever either changes, never
 * per request.
 */

import { LbError, LbErrorCode } from './errors.js';

/** Per-host counters shared between the connection pool (writer) and balancers (readers). */
export interface HostStats {
  /** Requests currently in flight to this host; LEAST_REQUEST reads it on every pick. */
  activeRequests: number;
}

/** What an endpoint in a ClusterLoadAssignment becomes; only `address` and `port` are required. */
export interface HostInit {
  /** IP address (v4 or v6, without brackets) or a DNS name. */
  readonly address: string;
  /** TCP port, 0–65535. */
  readonly port: number;
  /** `loadBalancingWeight`; defaults to 1. Must be a positive finite number. */
  readonly weight?: number;
  /** Workload labels (Istio subsets and `sourceLabels` match on them). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Endpoint metadata (e.g. `istio` and `envoy.lb` filter metadata), opaque to balancers. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Initial health; defaults to true (no health checker has said otherwise). */
  readonly healthy?: boolean;
  /**
   * Key hashed onto the ring / Maglev table; defaults to `address:port`. Envoy's
   * `envoy.lb.hash_key` endpoint metadata maps here.
   */
  readonly hashKey?: string;
  /**
   * Counters to carry over, so re-creating a host (e.g. for a new weight) keeps its in-flight
   * count; a fresh object is created when absent.
   */
  readonly stats?: HostStats;
  /**
   * When the endpoint joined the cluster (`performance.now()` ms, monotonic); defaults to now.
   * Carried over when a host is re-created for a new weight, as Envoy keeps a host's creation time
   * (slow start measures time in the cluster from it).
   */
  readonly createdAtMs?: number;
}

/** One upstream endpoint. Identity (object reference) is what `LbContext.exclude` compares. */
export class Host {
  /** IP address or DNS name, without brackets. */
  readonly address: string;
  /** TCP port. */
  readonly port: number;
  /** Load-balancing weight (> 0). A weight change means a new Host and a new HostSet. */
  readonly weight: number;
  /** Workload labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Endpoint metadata, opaque here. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Key consistent-hash balancers place on their ring/table. */
  readonly hashKey: string;
  /** Mutable counters (see {@link HostStats}). */
  readonly stats: HostStats;
  /** When the endpoint joined the cluster (monotonic ms; see {@link HostInit.createdAtMs}). */
  readonly createdAtMs: number;
  /**
   * Current health as decided by health checking / outlier detection. Balancers never read it per
   * pick: they use the {@link HostSet} snapshot, which the owner rebuilds when this changes.
   */
  healthy: boolean;

  constructor(init: HostInit) {
    if (typeof init.address !== 'string' || init.address.length === 0) {
      throw new LbError(LbErrorCode.InvalidHost, 'host address must be a non-empty string');
    }
    if (!Number.isInteger(init.port) || init.port < 0 || init.port > 65535) {
      throw new LbError(LbErrorCode.InvalidHost, `host ${init.address}: port ${String(init.port)} is not in 0-65535`);
    }
    const weight = init.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw new LbError(LbErrorCode.InvalidHost, `host ${init.address}:${init.port}: weight ${String(weight)} must be a positive number`);
    }
    this.address = init.address;
    this.port = init.port;
    this.weight = weight;
    this.labels = init.labels ?? EMPTY_LABELS;
    this.metadata = init.metadata ?? EMPTY_METADATA;
    this.healthy = init.healthy ?? true;
    this.hashKey = init.hashKey ?? formatAddress(init.address, init.port);
    this.stats = init.stats ?? { activeRequests: 0 };
    this.createdAtMs = init.createdAtMs ?? performance.now();
  }

  /** `address:port`, IPv6 in brackets, as Envoy prints upstream hosts. */
  toString(): string {
    return formatAddress(this.address, this.port);
  }
}

const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});

/** `ip:port`, with IPv6 addresses in brackets. */
export function formatAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * An immutable snapshot of a cluster's hosts and which of them were healthy when it was built.
 * Balancers are constructed from one and never see membership or health change underneath them.
 */
export class HostSet {
  /** Every host, in the order given (EDS order); frozen. */
  readonly hosts: readonly Host[];
  /** The hosts that were healthy at snapshot time, in the same order; frozen. */
  readonly healthyHosts: readonly Host[];

  private constructor(hosts: readonly Host[], healthyHosts: readonly Host[]) {
    this.hosts = hosts;
    this.healthyHosts = healthyHosts;
  }

  /** Snapshots `hosts` and their current `healthy` flags. */
  static of(hosts: Iterable<Host>): HostSet {
    const all: Host[] = [];
    const healthy: Host[] = [];
    for (const host of hosts) {
      all.push(host);
      if (host.healthy) healthy.push(host);
    }
    return new HostSet(Object.freeze(all), Object.freeze(healthy));
  }

  /** An empty set (a cluster with no endpoints yet). */
  static empty(): HostSet {
    return EMPTY_SET;
  }

  /** Percentage (0–100) of hosts that are healthy; 0 for an empty set, as Envoy computes it. */
  healthyPercent(): number {
    return this.hosts.length === 0 ? 0 : (100 * this.healthyHosts.length) / this.hosts.length;
  }

  /**
   * Envoy's panic rule: the set is in panic when the healthy percentage is strictly below
   * `thresholdPercent` (clamped to 0–100). A threshold of 0 never panics.
   */
  isPanic(thresholdPercent: number): boolean {
    const threshold = Math.min(100, Math.max(0, thresholdPercent));
    return this.healthyPercent() < threshold;
  }

  /**
   * The hosts a balancer should spread load over: all of them in panic, otherwise only the healthy
   * ones (possibly none, which makes the balancer return undefined — Envoy's "no healthy upstream").
   */
  candidates(thresholdPercent: number): readonly Host[] {
    return this.isPanic(thresholdPercent) ? this.hosts : this.healthyHosts;
  }
}

const EMPTY_SET: HostSet = HostSet.of([]);
