/**
 * How one HTTP connection manager tells internal from external requests, as Envoy's
 * `ConnectionManagerUtility::mutateRequestHeaders` does (docs: "HTTP header sanitizing",
 * "x-forwarded-for", "x-envoy-internal", "x-envoy-external-address", "x-request-id"):
 *
 * - With `useRemoteAddress` (gateways, istiod `buildGatewayConnectionManager`) the trusted client
 *   address is the connection's peer, or with `xffNumTrustedHops` N > 0 the N-th address from the
 *   right of the incoming `x-forwarded-for` (the peer when XFF has fewer entries). Istio sets N
 *   from mesh config `defaultConfig.gatewayTopology.numTrustedProxies`.
 * - The request is internal only when that address lies in `internalAddressConfig.cidrRanges`.
 *   Without the field no address is internal: Envoy ≥ 1.36 removed the old RFC 1918 default
 *   (`envoy.reloadable_features.explicit_internal_address_config`, ISTIO-SECURITY-2024-006), and
 *   istiod sets no internal ranges on gateways unless mesh networks are configured.
 * - An external request at such an edge loses every `x-envoy-*` header before any filter or the
 *   router reads it (Envoy's sanitized list: retry, timeout, `x-envoy-internal`, decorator,
 *   downstream-service, force-trace, alt-stat-name, …; Weft drops the whole prefix, so peer-metadata
 *   and `x-envoy-original-path` go too), gets `x-envoy-external-address`, and, unless
 *   `preserveExternalRequestId`, a fresh `x-request-id`.
 *
 * HCMs without `useRemoteAddress` (sidecars) trust their callers' `x-envoy-*` headers: inside the
 * mesh a client may set `x-envoy-upstream-rq-timeout-ms` (design.md §5).
 */
import { unmapIpv4 } from '../../envoy/cidr.js';
import { isIP } from 'node:net';
import { cidrContains, cidrFromRange, parseIp, type Cidr } from '../../envoy/cidr.js';
import type { HttpConnectionManager } from '../../envoy/types.js';

/** The compiled edge settings of one HCM config. */
export interface EdgePolicy {
  readonly useRemoteAddress: boolean;
  readonly xffNumTrustedHops: number;
  readonly skipXffAppend: boolean;
  /** `internalAddressConfig.cidrRanges`; empty = no address is internal. */
  readonly internalRanges: readonly Cidr[];
  readonly preserveExternalRequestId: boolean;
}

const cache = new WeakMap<HttpConnectionManager, EdgePolicy>();

/** Compiles (once per config object) the edge settings of an HCM; invalid ranges are ignored. */
export function edgePolicyOf(config: HttpConnectionManager): EdgePolicy {
  let p = cache.get(config);
  if (p !== undefined) return p;
  const ranges: Cidr[] = [];
  for (const r of config.internalAddressConfig?.cidrRanges ?? []) {
    try {
      ranges.push(cidrFromRange(r, 'internalAddressConfig'));
    } catch {
      // Envoy rejects the config; a proxy that already accepted it treats the range as absent.
    }
  }
  p = {
    useRemoteAddress: config.useRemoteAddress?.value === true,
    xffNumTrustedHops: Math.max(0, config.xffNumTrustedHops ?? 0),
    skipXffAppend: config.skipXffAppend === true,
    internalRanges: ranges,
    preserveExternalRequestId: config.preserveExternalRequestId === true,
  };
  cache.set(config, p);
  return p;
}

/**
 * Envoy's trusted client address at an edge: `remote` when `hops` is 0; otherwise the `hops`-th
 * valid address from the right of the incoming `xff` (before this proxy appends), or `remote`
 * when XFF has fewer entries or that entry is not an IP address.
 */
export function trustedClientAddress(xff: string | readonly string[] | undefined, remote: string | undefined, hops: number): string | undefined {
  if (hops <= 0 || xff === undefined) return remote;
  const entries = (typeof xff === 'string' ? xff : xff.join(',')).split(',');
  if (entries.length < hops) return remote;
  const candidate = entries[entries.length - hops]!.trim();
  return isIP(candidate) !== 0 ? unmapIpv4(candidate) : remote;
}

/** True when `address` lies in one of the HCM's internal ranges. */
export function isInternalAddress(address: string | undefined, ranges: readonly Cidr[]): boolean {
  if (address === undefined || ranges.length === 0) return false;
  const ip = parseIp(address);
  return ip !== undefined && ranges.some((c) => cidrContains(c, ip));
}

/** Removes every `x-envoy-*` request header (Envoy's internal-only headers, external requests). */
export function stripEnvoyHeaders(headers: Record<string, unknown>): void {
  for (const name of Object.keys(headers)) if (name.startsWith('x-envoy-')) delete headers[name];
}

/** Istio's peer metadata exchange headers (consumed by the server side's `istio.metadata_exchange`). */
export const PEER_METADATA_HEADERS = ['x-envoy-peer-metadata', 'x-envoy-peer-metadata-id'] as const;

const clientAddresses = new WeakMap<object, string>();

/** Records the trusted client address the connection manager settled on for a request. */
export function setClientAddress(req: object, address: string): void {
  clientAddresses.set(req, address);
}

/** The trusted client address recorded for a request at an edge (undefined elsewhere). */
export function clientAddressOf(req: object): string | undefined {
  return clientAddresses.get(req);
}
