/**
 * Envoy's TLS counters of one upstream cluster: `cluster.<name>.ssl.handshake`,
 * `ssl.connection_error`, `ssl.fail_verify_error` (chain or validity), `ssl.fail_verify_san` and
 * `ssl.session_reused`,
 * as `envoy_cluster_ssl_*{cluster_name}` in Prometheus form.
 */
import type { Scalar, StatsStore } from '../stats/stats-store.js';

/** TLS counters of one cluster. */
export interface TlsClusterStats {
  readonly handshake: Scalar;
  readonly connectionError: Scalar;
  readonly failVerifyError: Scalar;
  readonly failVerifySan: Scalar;
  readonly sessionReused: Scalar;
}

/** The TLS counters of `cluster` in `store` (families registered on first use). */
export function tlsClusterStats(store: StatsStore, cluster: string): TlsClusterStats {
  const fam = (name: string, help: string) =>
    store.family<Scalar>({ name: `envoy_cluster_ssl_${name}`, type: 'counter', help, labelNames: ['cluster_name'], envoyName: (l) => `cluster.${l['cluster_name']}.ssl.${name}` }).with({ cluster_name: cluster });
  return {
    handshake: fam('handshake', 'Successful upstream TLS handshakes.'),
    connectionError: fam('connection_error', 'Upstream TLS failures other than certificate verification.'),
    failVerifyError: fam('fail_verify_error', 'Upstream certificates that failed chain or validity verification.'),
    failVerifySan: fam('fail_verify_san', 'Upstream certificates whose SAN (or trust domain) did not match.'),
    sessionReused: fam('session_reused', 'Upstream TLS handshakes that resumed a previous session.'),
  };
}
