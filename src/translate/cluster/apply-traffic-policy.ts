/**
 * Applies one resolved traffic policy to a cluster under construction, in istiod's order
 * (applyTrafficPolicy): connection pool and retry budget (inbound and outbound), then for outbound clusters the
 * HTTP/2 upgrade, outlier detection, load balancer and TLS; ORIGINAL_DST clusters end up with
 * CLUSTER_PROVIDED. Which policy applies (port level, subset) is decided in `traffic-policy-merge.ts`.
 */
import type { MeshConfig } from '../../config/mesh-config.js';
import { applyConnectionPool, applyH2Upgrade, applyHttp2KeepAlive, applyRetryBudget } from './apply-connection-pool.js';
import { applyLoadBalancer } from './apply-load-balancer.js';
import { applyOutlierDetection } from './apply-outlier-detection.js';
import { applyUpstreamTls, type UpstreamTlsOptions } from './apply-upstream-tls.js';
import type { ClusterDraft } from './cluster-draft.js';
import type { ResolvedTrafficPolicy } from './traffic-policy-merge.js';

/** Where the cluster sends traffic and what the TLS decision needs (outbound only). */
export type TrafficPolicyTarget =
  | { readonly direction: 'inbound' }
  | { readonly direction: 'outbound'; readonly tls: UpstreamTlsOptions };

/** Applies `policy` (undefined = Istio's defaults) to `draft`. */
export function applyTrafficPolicy(draft: ClusterDraft, policy: ResolvedTrafficPolicy | undefined, mesh: MeshConfig, target: TrafficPolicyTarget): void {
  applyConnectionPool(draft, mesh, policy?.connectionPool);
  applyRetryBudget(draft, policy?.retryBudget);
  if (target.direction === 'outbound') {
    applyH2Upgrade(draft, policy?.connectionPool);
    applyHttp2KeepAlive(draft, policy?.connectionPool?.http?.http2KeepAlive);
    applyOutlierDetection(draft, policy?.outlierDetection);
    applyLoadBalancer(draft, policy?.loadBalancer, mesh.localityLbSetting);
    applyUpstreamTls(draft, policy?.tls, target.tls);
  }
  if (draft.cluster.type === 'ORIGINAL_DST') draft.cluster.lbPolicy = 'CLUSTER_PROVIDED';
}
