/**
 * Which traffic policy applies to one cluster, as istiod merges it (util.GetPortLevelTrafficPolicy,
 * util.MergeSubsetTrafficPolicy):
 *
 * 1. A port-level setting for the cluster's port replaces the top-level policy entirely: fields it
 *    omits take defaults, they are not inherited from the top level (Istio's documented rule).
 * 2. A subset's policy (after its own port-level selection) overrides per field group:
 *    connectionPool, outlierDetection, loadBalancer and tls are taken from the subset when it sets
 *    them; when the subset has a port-level setting for the port, all four groups come from it.
 */
import type { PortTrafficPolicy, Subset, TrafficPolicy } from '../../config/schema/destination-rule.js';

/** A traffic policy with port-level settings already resolved for one port. */
export type ResolvedTrafficPolicy = Omit<TrafficPolicy, 'portLevelSettings'>;

/**
 * The policy for `port`: the matching port-level setting (alone) when there is one, else the
 * top-level policy without its port-level settings. `matched` tells whether a port-level setting applied.
 */
export function portLevelTrafficPolicy(
  policy: TrafficPolicy | undefined,
  port: number | undefined,
): { readonly policy: ResolvedTrafficPolicy | undefined; readonly matched: boolean } {
  if (!policy) return { policy: undefined, matched: false };
  const { portLevelSettings, ...rest } = policy;
  if (port === undefined) return { policy: rest, matched: false };
  const p = portLevelSettings?.find((s) => s.port?.number === port);
  if (!p) return { policy: rest, matched: false };
  return { policy: fromPortPolicy(p), matched: true };
}

/** Merges a DestinationRule's policy and a subset's policy for `port` (subset wins per field group). */
export function mergeSubsetTrafficPolicy(
  original: TrafficPolicy | undefined,
  subsetPolicy: TrafficPolicy | undefined,
  port: number | undefined,
): ResolvedTrafficPolicy | undefined {
  const base = portLevelTrafficPolicy(original, port).policy;
  if (!subsetPolicy) return base;
  const { policy: sub, matched } = portLevelTrafficPolicy(subsetPolicy, port);
  if (!base) return sub;
  if (!sub) return base;
  const merged: Record<string, unknown> = { ...base };
  const groups = ['connectionPool', 'outlierDetection', 'loadBalancer', 'tls'] as const;
  for (const g of groups) {
    if (sub[g] !== undefined || matched) merged[g] = sub[g];
  }
  for (const [k, v] of Object.entries(sub)) {
    if ((groups as readonly string[]).includes(k)) continue;
    if (v !== undefined) merged[k] = v;
  }
  return dropUndefined(merged) as ResolvedTrafficPolicy;
}

/** The effective policy of a cluster: the rule's policy for the port, merged with the subset's when given. */
export function effectiveTrafficPolicy(
  rulePolicy: TrafficPolicy | undefined,
  port: number,
  subset?: Subset,
): ResolvedTrafficPolicy | undefined {
  if (subset) return mergeSubsetTrafficPolicy(rulePolicy, subset.trafficPolicy, port);
  return portLevelTrafficPolicy(rulePolicy, port).policy;
}

function fromPortPolicy(p: PortTrafficPolicy): ResolvedTrafficPolicy {
  const { port: _port, ...rest } = p;
  return dropUndefined(rest as Record<string, unknown>) as ResolvedTrafficPolicy;
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
