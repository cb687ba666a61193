/**
 * The fixed clusters every proxy gets, in istiod's shapes: `BlackHoleCluster` (STATIC, no endpoints:
 * traffic to unresolved routes fails fast) and, for sidecars, `PassthroughCluster` (ORIGINAL_DST to
 * the address the app dialled, used for unknown hosts under ALLOW_ANY).
 */
import { toProtoDuration } from '../../envoy/duration.js';
import type { Cluster } from '../../envoy/types.js';
import type { MeshConfig } from '../../config/mesh-config.js';
import { applyConnectionPool } from './apply-connection-pool.js';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER } from './cluster-names.js';
import { finishCluster, newDraft, setUseDownstreamProtocol, httpOptions } from './cluster-draft.js';

/** `BlackHoleCluster`: STATIC with no endpoints, ROUND_ROBIN, mesh connect timeout. */
export function buildBlackHoleCluster(mesh: MeshConfig): Cluster {
  return { name: BLACKHOLE_CLUSTER, type: 'STATIC', connectTimeout: toProtoDuration(mesh.connectTimeoutMs), lbPolicy: 'ROUND_ROBIN' };
}

/**
 * `PassthroughCluster`: ORIGINAL_DST / CLUSTER_PROVIDED, the downstream's HTTP protocol upstream with
 * a 5 min idle timeout, and the default (unlimited) circuit breakers.
 */
export function buildPassthroughCluster(mesh: MeshConfig): Cluster {
  const draft = newDraft({ name: PASSTHROUGH_CLUSTER, type: 'ORIGINAL_DST', connectTimeout: toProtoDuration(mesh.connectTimeoutMs), lbPolicy: 'CLUSTER_PROVIDED' });
  setUseDownstreamProtocol(draft);
  httpOptions(draft).commonHttpProtocolOptions = { idleTimeout: toProtoDuration(5 * 60_000) };
  applyConnectionPool(draft, mesh, undefined);
  return finishCluster(draft);
}

/**
 * `InboundPassthroughCluster`: where a sidecar's inbound listener sends traffic for ports no service
 * declares (its default filter chain), to the original destination, as istiod builds it.
 */
export function buildInboundPassthroughCluster(mesh: MeshConfig): Cluster {
  const draft = newDraft({ name: INBOUND_PASSTHROUGH_CLUSTER, type: 'ORIGINAL_DST', connectTimeout: toProtoDuration(mesh.connectTimeoutMs), lbPolicy: 'CLUSTER_PROVIDED' });
  setUseDownstreamProtocol(draft);
  applyConnectionPool(draft, mesh, undefined);
  return finishCluster(draft);
}
