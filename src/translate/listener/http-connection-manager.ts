/**
 * Builds the HTTP connection manager network filter as istiod does for sidecars and gateways: RDS
 * over ADS (or an inline route configuration for inbound), HTTP filters in istiod's order (the
 * authn/authz filters, fault, CORS, and the router last), remote
 * address handling, request-id generation, and path normalization from mesh config
 * `pathNormalization` (Weft's default WEFT_STRICT: normalize, merge slashes, reject encoded slashes).
 */
import type { Filter, ForwardClientCertDetails, HttpConnectionManager, HttpFilter, PathWithEscapedSlashesAction, RouteConfiguration } from '../../envoy/types.js';
import type { PathNormalization } from '../../config/mesh-config.js';
import { TypeUrl } from '../../envoy/type-url.js';

/** Name of the HCM network filter. */
export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
/** Name of the router HTTP filter (always last). */
export const ROUTER_FILTER = 'envoy.filters.http.router';

/** How the HCM is used. */
export interface HcmOptions {
  readonly statPrefix: string;
  /** RDS route configuration name (outbound, gateways). */
  readonly rds?: string;
  /** Inline route configuration (inbound). */
  readonly routeConfig?: RouteConfiguration;
  /** Gateways trust the connection's peer address for XFF (istiod: true on gateways). */
  readonly useRemoteAddress: boolean;
  readonly pathNormalization: PathNormalization;
  readonly forwardClientCertDetails: ForwardClientCertDetails;
  /** XFF hops to trust at a gateway (mesh config `gatewayTopology.numTrustedProxies`); default 0. */
  readonly xffNumTrustedHops?: number;
  /** Keep an external request's `x-request-id` (Envoy's `preserve_external_request_id`). */
  readonly preserveExternalRequestId?: boolean;
  /** `istio-envoy` on inbound and gateways; unset (Envoy's default) outbound, as istiod. */
  readonly serverName?: string;
  /** jwt_authn / ext_authz / RBAC filters (inbound and gateways), placed before fault and CORS. */
  readonly securityFilters?: readonly HttpFilter[];
}

/**
 * HTTP filters in istiod's order (pilot/pkg/networking/core/listener.go `buildHTTPConnectionManager`):
 * the security filters (ext_authz for CUSTOM → jwt_authn → RBAC DENY/AUDIT/ALLOW), fault, CORS (both
 * read their per-route configs), router. istiod's metadata-exchange, grpc_stats and istio.stats
 * filters are not emitted: Weft's proxy records Istio's metrics in its connection manager. Weft's
 * proxy builds its chain from exactly this list (src/proxy/hcm/http-filter-registry.ts).
 */
export function httpFilters(security: readonly HttpFilter[] = []): HttpFilter[] {
  return [
    ...security,
    { name: 'envoy.filters.http.fault', typedConfig: { '@type': TypeUrl.Fault } },
    { name: 'envoy.filters.http.cors', typedConfig: { '@type': TypeUrl.Cors } },
    { name: ROUTER_FILTER, typedConfig: { '@type': TypeUrl.Router } },
  ];
}

/** Envoy path handling for a mesh config `pathNormalization` value. */
export function pathNormalizationSettings(p: PathNormalization): Pick<HttpConnectionManager, 'normalizePath' | 'mergeSlashes' | 'pathWithEscapedSlashesAction'> {
  const action = (a: PathWithEscapedSlashesAction) => ({ pathWithEscapedSlashesAction: a });
  switch (p) {
    case 'NONE':
      return { normalizePath: { value: false }, ...action('KEEP_UNCHANGED') };
    case 'BASE':
      return { normalizePath: { value: true } };
    case 'MERGE_SLASHES':
      return { normalizePath: { value: true }, mergeSlashes: true };
    case 'DECODE_AND_MERGE_SLASHES':
      return { normalizePath: { value: true }, mergeSlashes: true, ...action('UNESCAPE_AND_FORWARD') };
    case 'WEFT_STRICT':
    default:
      return { normalizePath: { value: true }, mergeSlashes: true, ...action('REJECT_REQUEST') };
  }
}

/** Builds the HCM config. */
export function buildHttpConnectionManager(o: HcmOptions): HttpConnectionManager {
  return {
    statPrefix: o.statPrefix,
    ...(o.rds !== undefined
      ? { rds: { configSource: { ads: {}, initialFetchTimeout: { seconds: 0, nanos: 0 }, resourceApiVersion: 'V3' }, routeConfigName: o.rds } }
      : {}),
    ...(o.routeConfig ? { routeConfig: o.routeConfig } : {}),
    httpFilters: httpFilters(o.securityFilters),
    useRemoteAddress: { value: o.useRemoteAddress },
    xffNumTrustedHops: o.xffNumTrustedHops ?? 0,
    generateRequestId: { value: true },
    ...(o.preserveExternalRequestId === true ? { preserveExternalRequestId: true } : {}),
    forwardClientCertDetails: o.forwardClientCertDetails,
    ...(o.serverName ? { serverName: o.serverName } : {}),
    upgradeConfigs: [{ upgradeType: 'websocket' }],
    ...pathNormalizationSettings(o.pathNormalization),
  };
}

/** Wraps an HCM config as a listener network filter. */
export function hcmFilter(hcm: HttpConnectionManager): Filter {
  return { name: HCM_FILTER, typedConfig: { '@type': TypeUrl.HttpConnectionManager, ...hcm } };
}
