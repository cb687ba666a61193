/**
 * DestinationRule `loadBalancer` → Envoy `lbPolicy` and its LB config, as istiod's applyLoadBalancer:
 *
 * - ORIGINAL_DST clusters always use CLUSTER_PROVIDED;
 * - `simple`: LEAST_REQUEST (and the deprecated LEAST_CONN), RANDOM, ROUND_ROBIN, PASSTHROUGH (the
 *   cluster becomes ORIGINAL_DST / CLUSTER_PROVIDED and loses any inline endpoints); UNSPECIFIED or
 *   no load balancer → LEAST_REQUEST, Istio's default; slow start on ROUND_ROBIN / LEAST_REQUEST
 *   (see {@link slowStartConfig}: `warmup` wins over the deprecated `warmupDurationSecs`);
 * - `consistentHash` then overrides the policy: MAGLEV (with `tableSize` when non-zero, Envoy's
 *   default 65537), RING_HASH with `minimumRingSize` when non-zero, or RING_HASH with 1024 when
 *   neither algorithm is named. The hash key itself goes on routes (see `hash-policy.ts`);
 * - locality settings (the rule's, else the mesh's, see `locality-lb.ts`): `distribute`, or
 *   `failover`/`failoverPriority` together with outlier detection, turn on locality-weighted load
 *   balancing (istiod's applyLocalityLoadBalancer); the priorities themselves are per proxy, in EDS;
 * - `healthyPanicThreshold` is 0 unless outlier detection's `minHealthPercent` set it: Weft sends
 *   unhealthy endpoints as UNHEALTHY (istiod's PILOT_SEND_UNHEALTHY_ENDPOINTS mode, which also turns
 *   panic mode off), so they never receive traffic.
 */
import type { LoadBalancerSettings, LocalityLoadBalancerSetting } from '../../config/schema/destination-rule.js';
import type { Cluster } from '../../envoy/types.js';
import type { ClusterDraft, Writable } from './cluster-draft.js';
import { durationFromIstio } from './struct-values.js';
import { localityLbSettingFor } from './locality-lb.js';

/** Envoy's and Istio's default minimum ring size for RING_HASH. */
export const DEFAULT_MINIMUM_RING_SIZE = 1024;

/** Applies the load-balancer settings (possibly absent) to a draft. */
export function applyLoadBalancer(draft: ClusterDraft, lb: LoadBalancerSettings | undefined, meshLocality?: LocalityLoadBalancerSetting): void {
  const c = draft.cluster;
  // Weft sends unhealthy endpoints (marked UNHEALTHY), as istiod does with PILOT_SEND_UNHEALTHY_ENDPOINTS:
  // panic mode is then off, so they never take traffic, unless outlier detection set minHealthPercent.
  if (c.commonLbConfig?.healthyPanicThreshold === undefined) c.commonLbConfig = { ...c.commonLbConfig, healthyPanicThreshold: { value: 0 } };
  applyLocalityLoadBalancer(c, localityLbSettingFor(meshLocality, lb?.localityLbSetting));
  if (c.type === 'ORIGINAL_DST') {
    setPolicy(c, 'CLUSTER_PROVIDED');
    return;
  }
  const slowStart = slowStartConfig(lb);
  switch (lb?.simple) {
    case 'RANDOM':
      setPolicy(c, 'RANDOM');
      break;
    case 'ROUND_ROBIN':
      setPolicy(c, 'ROUND_ROBIN');
      if (slowStart) c.roundRobinLbConfig = { slowStartConfig: slowStart };
      break;
    case 'PASSTHROUGH':
      setPolicy(c, 'CLUSTER_PROVIDED');
      c.type = 'ORIGINAL_DST';
      delete c.loadAssignment;
      delete c.edsClusterConfig;
      break;
    default: // LEAST_REQUEST, LEAST_CONN, UNSPECIFIED, none
      setPolicy(c, 'LEAST_REQUEST');
      if (slowStart) c.leastRequestLbConfig = { slowStartConfig: slowStart };
  }
  applyConsistentHash(c, lb);
}

/**
 * Envoy `SlowStartConfig` as istiod's cluster builder sets it (applyRoundRobinLoadBalancer /
 * applyLeastRequestLoadBalancer, setWarmup): `warmup` takes precedence and always sets `aggression`
 * (default 1.0, a linear ramp) and `minWeightPercent` (default 10, Envoy's); the runtime key is a
 * fixed placeholder, as istiod's, since Envoy requires one. Otherwise the deprecated
 * `warmupDurationSecs` sets only the window (Envoy's defaults apply).
 */
export function slowStartConfig(lb: LoadBalancerSettings | undefined): Record<string, unknown> | undefined {
  const warmup = lb?.warmup;
  if (warmup !== undefined) {
    const window = durationFromIstio(warmup.duration);
    if (!window) return undefined;
    return {
      slowStartWindow: window,
      aggression: { defaultValue: warmup.aggression ?? 1, runtimeKey: '(' },
      minWeightPercent: { value: warmup.minimumPercent ?? 10 },
    };
  }
  const window = durationFromIstio(lb?.warmupDurationSecs);
  return window ? { slowStartWindow: window } : undefined;
}

/** RING_HASH / MAGLEV for `consistentHash` (istiod's ApplyRingHashLoadBalancer). */
function applyConsistentHash(c: Writable<Cluster>, lb: LoadBalancerSettings | undefined): void {
  const ch = lb?.consistentHash;
  if (!ch) return;
  if (ch.maglev) {
    setPolicy(c, 'MAGLEV');
    if ((ch.maglev.tableSize ?? 0) !== 0) c.maglevLbConfig = { tableSize: { value: ch.maglev.tableSize! } };
  } else if (ch.ringHash) {
    setPolicy(c, 'RING_HASH');
    if ((ch.ringHash.minimumRingSize ?? 0) !== 0) c.ringHashLbConfig = { minimumRingSize: { value: ch.ringHash.minimumRingSize! } };
  } else {
    setPolicy(c, 'RING_HASH');
    const legacy = ch.minimumRingSize ?? 0;
    c.ringHashLbConfig = { minimumRingSize: { value: legacy !== 0 ? legacy : DEFAULT_MINIMUM_RING_SIZE } };
  }
}

/** Sets the policy and clears the LB-config oneof so only the new policy's config can follow. */
function setPolicy(c: Writable<Cluster>, policy: NonNullable<Cluster['lbPolicy']>): void {
  c.lbPolicy = policy;
  delete c.ringHashLbConfig;
  delete c.maglevLbConfig;
  delete c.leastRequestLbConfig;
  delete c.roundRobinLbConfig;
}

function applyLocalityLoadBalancer(c: Writable<Cluster>, setting: LocalityLoadBalancerSetting | undefined): void {
  if (!setting) return;
  const failover = c.outlierDetection !== undefined && (setting.failover !== undefined || setting.failoverPriority !== undefined);
  if (setting.distribute !== undefined || failover) {
    c.commonLbConfig = { ...c.commonLbConfig, localityWeightedLbConfig: {} };
  }
}
