/**
 * Cluster names and SNI names as istiod builds them (design.md §4): `outbound|9080|v2|reviews.default.svc.cluster.local`,
 * `inbound|9080||`, and the DNS-safe form used as the ISTIO_MUTUAL SNI, `outbound_.9080_.v2_.reviews.default.svc.cluster.local`.
 */

/** Name of the catch-all cluster for traffic to unresolved routes (no endpoints). */
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
/** Name of the original-destination cluster for traffic to unknown hosts/ports (ALLOW_ANY). */
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
/** Name of istiod's inbound passthrough cluster (IPv4); Weft's inbound listener may use it for unknown ports. */
export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughCluster';

/** `outbound|<port>|<subset>|<host>`: istiod's BuildSubsetKey for outbound clusters. */
export function outboundClusterName(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

/** `inbound|<port>||`: istiod's BuildInboundSubsetKey. */
export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

/** `outbound_.<port>_.<subset>_.<host>`: istiod's BuildDNSSrvSubsetKey, the default SNI for ISTIO_MUTUAL. */
export function istioMtlsSni(port: number, subset: string, host: string): string {
  return `outbound_.${port}_.${subset}_.${host}`;
}

/** The parts of a `direction|port|subset|host` cluster name. */
export interface ParsedClusterName {
  readonly direction: 'outbound' | 'inbound';
  readonly port: number;
  readonly subset: string;
  readonly host: string;
}

/**
 * Parses `outbound|9080|v1|reviews…` or `inbound|9080||`; undefined for other names (BlackHoleCluster, …).
 * Used by EDS to find the service and subset a cluster stands for.
 */
export function parseClusterName(name: string): ParsedClusterName | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction, port, subset, host] = parts as [string, string, string, string];
  if (direction !== 'outbound' && direction !== 'inbound') return undefined;
  if (!/^\d+$/.test(port)) return undefined;
  return { direction, port: Number(port), subset, host };
}
