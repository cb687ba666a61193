/**
 * The one interface the cluster manager uses to choose an upstream host, and the factory that maps
 * an Envoy cluster `lbPolicy` to an implementation.
 *
 * A balancer is built from one immutable {@link HostSet} (membership + health at that instant) and
 * replaced when either changes; `pick` is the only per-request call and allocates nothing.
 */

import { LbError, LbErrorCode } from './errors.js';
import type { Host, HostSet } from './host.js';
import { LeastRequestLoadBalancer, type LeastRequestOptions } from './least-request.js';
import type { CommonLbOptions } from './lb-util.js';
import { MaglevLoadBalancer, type MaglevOptions } from './maglev.js';
import { RandomLoadBalancer } from './random.js';
import { RingHashLoadBalancer, type RingHashOptions } from './ring-hash.js';
import { RoundRobinLoadBalancer } from './round-robin.js';
import type { SlowStartOptions } from './slow-start.js';

/**
 * Per-request input to {@link LoadBalancer.pick}. Callers on the hot path should reuse one mutable
 * object per stream rather than allocating a new literal per attempt.
 */
export interface LbContext {
  /**
   * The request hash from the route's hash policy (see hash-policy.ts), used by RING_HASH and
   * MAGLEV. Any integer works (it is remixed); numbers avoid the allocation a bigint costs. Absent:
   * the hashing balancers pick a random point, as Envoy does.
   */
  hash?: bigint | number | undefined;
  /** Uniform [0, 1) source for the random choices of this pick; defaults to Math.random. */
  random?: (() => number) | undefined;
  /**
   * Hosts already tried by earlier attempts of this request (the retry policy's "previous hosts"
   * predicate). Balancers avoid them while another candidate exists and fall back to an excluded
   * host only when nothing else is left.
   */
  exclude?: ReadonlySet<Host> | undefined;
  /**
   * Priority levels earlier attempts used, to be avoided (Envoy's previous_priorities retry plugin,
   * Istio's `retryRemoteLocalities`); only balancers over several priorities read it.
   */
  excludePriorities?: ReadonlySet<number> | undefined;
}

/** Chooses an upstream host per request. */
export interface LoadBalancer {
  /**
   * The host for this request, or undefined when there is nothing to pick (no hosts, or no healthy
   * hosts while panic mode is off) — the router answers 503 with response flag UH then.
   */
  pick(ctx: LbContext): Host | undefined;
  /** The priority level of a host (balancers over several levels; absent means every host is at 0). */
  priorityOf?(host: Host): number;
  /** True when the load leaves levels `excluded` something to pick (see `LbContext.excludePriorities`). */
  availableExcluding?(excluded: ReadonlySet<number>): boolean;
}

/** Envoy `Cluster.LbPolicy` names this proxy implements. */
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV';

/** Envoy's numeric values of `Cluster.LbPolicy` (protobufjs may hand enums over as numbers). */
const POLICY_BY_NUMBER: Readonly<Record<number, LbPolicy>> = {
  0: 'ROUND_ROBIN',
  1: 'LEAST_REQUEST',
  2: 'RING_HASH',
  3: 'RANDOM',
  5: 'MAGLEV',
};

/** Settings for {@link createLoadBalancer}: the common ones plus each policy's own block. */
export interface LoadBalancerOptions extends CommonLbOptions {
  /** `ringHashLbConfig` (RING_HASH only). */
  readonly ringHash?: Omit<RingHashOptions, keyof CommonLbOptions> | undefined;
  /** `maglevLbConfig` (MAGLEV only). */
  readonly maglev?: Omit<MaglevOptions, keyof CommonLbOptions> | undefined;
  /** `leastRequestLbConfig` (LEAST_REQUEST only). */
  readonly leastRequest?: Omit<LeastRequestOptions, keyof CommonLbOptions> | undefined;
  /** `slowStartConfig` of `roundRobinLbConfig` / `leastRequestLbConfig` (those two policies only). */
  readonly slowStart?: SlowStartOptions | undefined;
}

/**
 * Builds the balancer for `policy` (an Envoy `LbPolicy` name or number) over `hostSet`. Throws an
 * {@link LbError}: `LB_UNSUPPORTED_POLICY` for other policies (CLUSTER_PROVIDED, …),
 * `LB_INVALID_CONFIG` / `LB_MAGLEV_TABLE_SIZE_NOT_PRIME` for bad settings — at config time, so the
 * xDS client can NACK the push.
 */
export function createLoadBalancer(policy: LbPolicy | string | number, hostSet: HostSet, options: LoadBalancerOptions = {}): LoadBalancer {
  const name = typeof policy === 'number' ? POLICY_BY_NUMBER[policy] : policy;
  const common: CommonLbOptions = { healthyPanicThreshold: options.healthyPanicThreshold, random: options.random };
  switch (name) {
    case 'ROUND_ROBIN':
      return new RoundRobinLoadBalancer(hostSet, { ...common, slowStart: options.slowStart });
    case 'LEAST_REQUEST':
      return new LeastRequestLoadBalancer(hostSet, { ...options.leastRequest, ...common, slowStart: options.slowStart });
    case 'RANDOM':
      return new RandomLoadBalancer(hostSet, common);
    case 'RING_HASH':
      return new RingHashLoadBalancer(hostSet, { ...options.ringHash, ...common });
    case 'MAGLEV':
      return new MaglevLoadBalancer(hostSet, { ...options.maglev, ...common });
    default:
      throw new LbError(LbErrorCode.UnsupportedPolicy, `load balancing policy ${String(policy)} is not supported`);
  }
}

/** True when `policy` needs a request hash (the router should evaluate the route's hash policy). */
export function isHashPolicy(policy: LbPolicy | string | number): boolean {
  const name = typeof policy === 'number' ? POLICY_BY_NUMBER[policy] : policy;
  return name === 'RING_HASH' || name === 'MAGLEV';
}
