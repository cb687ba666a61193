/**
 * The xDS resource types Weft's ADS serves, their short names (as istioctl prints them), which are
 * wildcard, and the order in which one push sends them. Shared by server, client and sync status.
 */
import { TypeUrl } from '../envoy/type-url.js';

/** Short names of the served xDS types, as `istioctl proxy-status` labels its columns. */
export type XdsShortName = 'CDS' | 'EDS' | 'LDS' | 'RDS' | 'SDS';

/** Type URL for each short name. */
export const XDS_TYPE_URL: Readonly<Record<XdsShortName, string>> = {
  CDS: TypeUrl.Cluster,
  EDS: TypeUrl.ClusterLoadAssignment,
  LDS: TypeUrl.Listener,
  RDS: TypeUrl.RouteConfiguration,
  SDS: TypeUrl.Secret,
};

/**
 * The order in which one push sends changed types on a stream: Envoy's "make before break"
 * ordering (CDS, then EDS, then LDS, then RDS) so new routes never point at unknown clusters.
 * Secrets come last: they are requested by name only after a cluster or listener names them.
 */
export const PUSH_ORDER: readonly string[] = [
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Listener,
  TypeUrl.RouteConfiguration,
  TypeUrl.Secret,
];

/**
 * Types served in wildcard mode: the server decides the full set (every resource the provider
 * gives for the proxy) and the client cannot narrow it. Envoy always subscribes LDS and CDS so.
 */
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([TypeUrl.Listener, TypeUrl.Cluster]);

/** True when the type URL is one of the types Weft's ADS serves. */
export function isServedType(typeUrl: string): boolean {
  return PUSH_ORDER.includes(typeUrl);
}

/** The short name of a served type URL (`CDS`, …), or undefined for other types. */
export function shortName(typeUrl: string): XdsShortName | undefined {
  for (const [name, url] of Object.entries(XDS_TYPE_URL) as [XdsShortName, string][]) {
    if (url === typeUrl) return name;
  }
  return undefined;
}

/**
 * Resources of one proxy, by type URL, then by resource name. Values are already-translated
 * resource objects in Weft's object form (see protos.ts). Objects are treated as immutable: the
 * server caches their encoded bytes by object identity, so a changed resource must be a new object.
 */
export type ProxyResources = ReadonlyMap<string, ReadonlyMap<string, object>>;
