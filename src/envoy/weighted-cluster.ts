/**
 * Cluster choice for a RouteAction, with Envoy's weighted-cluster arithmetic
 * (`WeightedClusterSpecifierPlugin::pickWeightedCluster`, read in envoyproxy/envoy): the total is the
 * sum of the weights (the deprecated `totalWeight` is ignored), a sum of 0 or above 2^32-1 is a
 * config error, and a value v = random % total selects the cluster whose cumulative interval
 * [begin, end) holds v — so weight 0 is never chosen and one cluster with any weight gets all.
 *
 * Weft's random input is a number in [0, 1): v = floor(rand × total), which is the same
 * distribution. Envoy uses one random value per request for runtime-fraction route matching and
 * this pick; pass the same value to both to reproduce its correlation. Not modelled: runtime weight
 * overrides (`runtimeKeyPrefix`), `headerName` random values, per-cluster `clusterHeader`.
 */
import { EnvoyConfigError, EnvoyConfigErrorCode } from './errors.js';
import type { ClusterWeight, RouteAction, WeightedCluster } from './types.js';

/** One possible destination of a route and its share of traffic. */
export interface ClusterChoice {
  /** Cluster name ('' for a `clusterHeader` entry, whose name comes from the request). */
  readonly name: string;
  readonly weight: number;
  /** weight / total, in [0, 1]; the shares of a route sum to 1. */
  readonly share: number;
  readonly clusterWeight?: ClusterWeight;
}

/** A compiled weighted-cluster list. */
export interface WeightedClusterPicker {
  readonly total: number;
  readonly choices: readonly ClusterChoice[];
  /** The entry chosen for a random value in [0, 1). */
  pick(rand: number): ClusterWeight;
}

const MAX_UINT32 = 4294967295;

/** Compiles a WeightedCluster; throws EnvoyConfigError when the weights sum to 0 or overflow. */
export function compileWeightedClusters(wc: WeightedCluster, where = 'weightedClusters'): WeightedClusterPicker {
  const clusters = wc.clusters ?? [];
  const ends: number[] = [];
  let total = 0;
  for (const c of clusters) {
    total += c.weight?.value ?? 0;
    ends.push(total);
  }
  if (total === 0) {
    throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidWeightedClusters, where, 'sum of weights must be greater than 0');
  }
  if (total > MAX_UINT32) {
    throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidWeightedClusters, where, `sum of weights exceeds ${MAX_UINT32}`);
  }
  const choices = clusters.map((c) => {
    const weight = c.weight?.value ?? 0;
    return { name: c.name ?? '', weight, share: weight / total, clusterWeight: c };
  });
  const n = clusters.length;
  return {
    total,
    choices,
    pick(rand: number): ClusterWeight {
      let v = Math.floor(rand * total);
      if (!(v >= 0)) v = 0;
      if (v >= total) v = total - 1;
      for (let i = 0; i < n; i++) if (v < ends[i]!) return clusters[i]!;
      return clusters[n - 1]!;
    },
  };
}

const pickers = new WeakMap<WeightedCluster, WeightedClusterPicker>();

/** The compiled picker of a WeightedCluster object, compiled on first use and cached. */
export function weightedClusterPicker(wc: WeightedCluster, where = 'weightedClusters'): WeightedClusterPicker {
  let p = pickers.get(wc);
  if (!p) {
    p = compileWeightedClusters(wc, where);
    pickers.set(wc, p);
  }
  return p;
}

/**
 * The cluster name a RouteAction sends a request to, for a random value in [0, 1): `cluster`, or
 * the weighted pick. Undefined for `clusterHeader` routes (the name is in the request) and for
 * entries that name no cluster. Compiled weights are cached per `weightedClusters` object.
 */
export function pickWeightedCluster(action: RouteAction, rand: number): string | undefined {
  if (action.cluster !== undefined) return action.cluster;
  if (action.weightedClusters !== undefined) {
    const name = weightedClusterPicker(action.weightedClusters).pick(rand).name;
    return name === undefined || name === '' ? undefined : name;
  }
  return undefined;
}

/**
 * Every cluster a RouteAction can send to with its share (for `weft explain` and the simulator).
 * A single `cluster` is one choice with share 1; a `clusterHeader` route has no static choices.
 */
export function weightedChoices(action: RouteAction): readonly ClusterChoice[] {
  if (action.cluster !== undefined) return [{ name: action.cluster, weight: 1, share: 1 }];
  if (action.weightedClusters !== undefined) return weightedClusterPicker(action.weightedClusters).choices;
  return [];
}
