/**
 * Gives each upstream host's connection pool the TLS its endpoint gets (transport-socket.ts): on
 * every push the cluster manager calls {@link bindUpstreamTls} per host; a pool whose TLS setting
 * changed gets a new connector and its idle connections closed, so pools stay keyed by TLS
 * settings (connections with different settings are never shared), while an unchanged setting
 * keeps the pool, its keep-alive connections and its TLS session. The cluster's `auto_sni` /
 * `auto_san_validation` go with the TLS setting (tls/auto-sni.ts) and are part of its key.
 */
import type { Cluster, LbEndpoint } from '../../envoy/types.js';
import type { StatsStore } from '../stats/stats-store.js';
import type { SecretStore } from './secret-store.js';
import { tlsClusterStats } from './tls-stats.js';
import { upstreamTlsFor } from './transport-socket.js';
import { UpstreamTlsConnector } from './upstream-connector.js';
import { autoSniConfig } from './auto-sni.js';

/** The part of an upstream pool TLS binding touches. */
export interface TlsCapablePool {
  tls: UpstreamTlsConnector | undefined;
  tlsKey: string;
  closeIdle(): void;
}

/** Where TLS material and stats come from. */
export interface UpstreamTlsDeps {
  readonly secrets: SecretStore;
  readonly store: StatsStore;
  /** False for a proxy started without a CA: auto-mTLS matches fall through to plaintext. */
  readonly hasIdentity: boolean;
}

/** Sets (or clears) the TLS connector of one host's pool for `cluster`/`ep`. */
export function bindUpstreamTls(pool: TlsCapablePool, cluster: Cluster, ep: LbEndpoint, deps: UpstreamTlsDeps | undefined): void {
  const choice = deps ? upstreamTlsFor(cluster, ep, deps.hasIdentity) : undefined;
  const auto = choice ? autoSniConfig(cluster) : undefined;
  const key = choice ? `${choice.key}|auto=${auto ? JSON.stringify(auto) : ''}` : '';
  if (pool.tlsKey === key) return;
  const hadConnections = pool.tlsKey !== '' || pool.tls !== undefined;
  pool.tlsKey = key;
  pool.tls = choice && deps ? new UpstreamTlsConnector(choice.context, deps.secrets, tlsClusterStats(deps.store, cluster.name ?? ''), auto) : undefined;
  if (hadConnections || choice) pool.closeIdle();
}
