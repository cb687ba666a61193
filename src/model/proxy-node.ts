/**
 * The identity of one proxy as the control plane sees it: role, address, pod, namespace, labels
 * and service account, parsed from the xDS node id and metadata (or given directly by `weft up`).
 */
import type { Labels } from '../config/labels.js';

/** Role of a proxy: a sidecar beside one workload, or a gateway (`router` in istiod's node ids). */
export type ProxyRole = 'sidecar' | 'router';

/** One proxy's identity. */
export interface ProxyNode {
  /** `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local` (design.md §4). */
  readonly id: string;
  readonly role: ProxyRole;
  readonly ip: string;
  readonly podName: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly serviceAccount: string;
  /** Where the sidecar reaches its app for inbound traffic (default: the pod IP). */
  readonly appAddress?: string;
  /** `region/zone/subzone` of the proxy (registry/locality.ts), undefined when unknown. */
  readonly locality?: string;
}

/** Builds the istiod-style node id for a proxy. */
export function proxyId(role: ProxyRole, ip: string, podName: string, namespace: string, domainSuffix = 'cluster.local'): string {
  return `${role}~${ip}~${podName}.${namespace}~${namespace}.svc.${domainSuffix}`;
}

/** Parses an istiod-style node id; undefined when it does not have four `~`-separated parts. */
export function parseProxyId(id: string): { role: ProxyRole; ip: string; podName: string; namespace: string } | undefined {
  const parts = id.split('~');
  if (parts.length !== 4) return undefined;
  const [role, ip, podDotNs, domain] = parts as [string, string, string, string];
  if (role !== 'sidecar' && role !== 'router') return undefined;
  const dot = podDotNs.lastIndexOf('.');
  const namespace = dot >= 0 ? podDotNs.slice(dot + 1) : domain.split('.')[0] ?? 'default';
  const podName = dot >= 0 ? podDotNs.slice(0, dot) : podDotNs;
  return { role, ip, podName, namespace };
}
