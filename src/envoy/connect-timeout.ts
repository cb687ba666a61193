/**
 * A cluster's upstream connect timeout as Envoy reads it: `Cluster.connect_timeout`, 5 s when unset
 * (envoy/config/cluster/v3/cluster.proto). One reading for every way the proxy connects upstream
 * (HTTP connection pools and TLS passthrough alike).
 */
import { DEFAULT_CONNECT_TIMEOUT_MS } from './defaults.js';
import { durationMs } from './duration.js';
import type { Cluster } from './types.js';

/** The connect timeout (ms) of `cluster`. */
export function connectTimeoutMs(cluster: Pick<Cluster, 'connectTimeout'>): number {
  return durationMs(cluster.connectTimeout) ?? DEFAULT_CONNECT_TIMEOUT_MS;
}
