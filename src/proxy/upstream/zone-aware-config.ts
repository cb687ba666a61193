/**
 * Reads a cluster's zone-aware routing settings for the balancer (lb/zone-aware.ts): Envoy's
 * `commonLbConfig.zoneAwareLbConfig` (minClusterSize, default 6; routingEnabled, default 100 %) and,
 * standing in for Envoy's local cluster, the caller's locality and its workload's hosts per
 * locality that Weft's control plane puts in cluster metadata `weft.zone_aware`
 * (src/translate/cluster/zone-aware-lb.ts). Undefined when the cluster is not zone-aware or the
 * metadata is missing (then the plain policy runs, as Envoy does without a local cluster).
 */
import type { Cluster } from '../../envoy/types.js';
import type { ZoneAwareConfig } from '../lb/zone-aware.js';
import { fromStruct, type StructMessage } from '../../xds/node-info.js';

/** Envoy's default `min_cluster_size`. */
const DEFAULT_MIN_CLUSTER_SIZE = 6;

/** `region/zone/subzone` of an Envoy Locality, trailing empty parts dropped ('' when unknown). */
export function localityKey(l: { region?: string; zone?: string; subZone?: string } | undefined): string {
  const parts = [l?.region ?? '', l?.zone ?? '', l?.subZone ?? ''];
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('/');
}

/** The cluster's zone-aware settings, or undefined. */
export function zoneAwareConfigOf(c: Cluster): ZoneAwareConfig | undefined {
  const za = c.commonLbConfig?.zoneAwareLbConfig;
  if (za === undefined) return undefined;
  const meta = fromStruct(c.metadata?.filterMetadata?.['weft.zone_aware'] as StructMessage | undefined);
  const locality = meta['locality'];
  const hosts = meta['local_hosts'];
  if (typeof locality !== 'string' || hosts === null || typeof hosts !== 'object' || Array.isArray(hosts)) return undefined;
  const localHosts = new Map<string, number>();
  for (const [k, v] of Object.entries(hosts)) if (typeof v === 'number' && v > 0) localHosts.set(k, v);
  const minClusterSize = Number(za.minClusterSize?.value ?? DEFAULT_MIN_CLUSTER_SIZE);
  const routingEnabled = za.routingEnabled?.value ?? 100;
  return { localLocality: locality, localHosts, minClusterSize, routingEnabled };
}
