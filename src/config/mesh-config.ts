/**
 * Mesh-wide settings, Istio's MeshConfig as far as Weft reads it, with Istio's defaults
 * (and Weft's safer path normalization default, design.md §5). Configuration below the registry and
 * the model, which both read it (Istio keeps it in pkg/config/mesh).
 */
import type { LocalityLoadBalancerSetting } from './schema/destination-rule.js';

/** How request paths are normalized before authorization and routing. */
export type PathNormalization = 'NONE' | 'BASE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES' | 'WEFT_STRICT';

/** An extension provider declared in mesh config (ext_authz, tracers, access loggers). */
export interface ExtensionProvider {
  readonly name: string;
  readonly envoyExtAuthzHttp?: {
    readonly service: string;
    readonly port: number;
    readonly pathPrefix?: string;
    readonly timeout?: string;
    readonly failOpen?: boolean;
    readonly statusOnError?: string;
    readonly includeRequestHeadersInCheck?: readonly string[];
    readonly headersToUpstreamOnAllow?: readonly string[];
    readonly headersToDownstreamOnDeny?: readonly string[];
  };
  readonly envoyFileAccessLog?: { readonly path?: string; readonly logFormat?: { readonly text?: string; readonly labels?: Record<string, unknown> } };
  readonly prometheus?: Record<string, never>;
  /** Zipkin tracer; `maxTagLength` caps the `http.url` span tag (istiod: HCM `max_path_tag_length`, 256 when unset). */
  readonly zipkin?: { readonly service: string; readonly port: number; readonly maxTagLength?: number };
  readonly opentelemetry?: { readonly service: string; readonly port: number };
}

/** How a gateway forwards client certificate details (Istio's `Topology.ForwardClientCertDetails`, Envoy's enum). */
export type ForwardClientCertMode = 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';

/**
 * Istio's ProxyConfig `gatewayTopology` (mesh config `defaultConfig.gatewayTopology`): proxies in
 * front of the gateways (XFF hops to trust) and the gateways' XFCC handling (istiod's default
 * SANITIZE_SET when unset).
 */
export interface GatewayTopology {
  readonly numTrustedProxies: number;
  readonly forwardClientCertDetails?: ForwardClientCertMode;
}

/** Mesh configuration. */
export interface MeshConfig {
  /** Namespace whose policies apply mesh-wide (Istio: `istio-system`). */
  readonly rootNamespace: string;
  readonly trustDomain: string;
  /** DNS suffix of Kubernetes service hosts (`svc.cluster.local` follows `<name>.<ns>.`). */
  readonly domainSuffix: string;
  readonly outboundTrafficPolicy: { readonly mode: 'ALLOW_ANY' | 'REGISTRY_ONLY' };
  readonly enableAutoMtls: boolean;
  readonly pathNormalization: PathNormalization;
  /** Default connect timeout for clusters, ms (Istio: 10 s). */
  readonly connectTimeoutMs: number;
  /** Labels selecting the ingress gateway workload (Istio's default Gateway selector). */
  readonly ingressGatewaySelector: Readonly<Record<string, string>>;
  readonly extensionProviders: readonly ExtensionProvider[];
  readonly defaultProviders: { readonly metrics?: readonly string[]; readonly tracing?: readonly string[]; readonly accessLogging?: readonly string[] };
  /** Access log path when turned on mesh-wide (`/dev/stdout`), empty = off. */
  readonly accessLogFile: string;
  readonly accessLogEncoding: 'TEXT' | 'JSON';
  /** `defaultConfig.gatewayTopology`; Istio's default trusts no proxy in front of gateways. */
  readonly gatewayTopology: GatewayTopology;
  /**
   * Weft extension: gateways keep an external client's `x-request-id` (Envoy's HCM
   * `preserve_external_request_id`; Istio has no mesh or proxy config field for it, users patch
   * the gateway HCM with an EnvoyFilter). Default false: external requests get a fresh id.
   */
  readonly preserveExternalRequestId: boolean;
  /**
   * Mesh-wide `localityLbSetting` (DestinationRules override it); Istio's default is
   * `{enabled: true}`: locality failover for every destination that has outlier detection.
   */
  readonly localityLbSetting?: LocalityLoadBalancerSetting;
  /**
   * `protocolDetectionTimeout` (ms): how long the inspectors of a port with no declared protocol
   * wait for the client's first bytes before treating the connection as opaque TCP (Envoy's
   * `listener_filters_timeout`). Istio's default is 0s: no timeout, so a server-first protocol on
   * such a port waits for the client to speak. Absent = 0.
   */
  readonly protocolDetectionTimeoutMs?: number;
}

/** Istio's defaults, with Weft's stricter path normalization. */
export const DEFAULT_MESH_CONFIG: MeshConfig = Object.freeze({
  rootNamespace: 'istio-system',
  trustDomain: 'cluster.local',
  domainSuffix: 'cluster.local',
  outboundTrafficPolicy: Object.freeze({ mode: 'ALLOW_ANY' as const }),
  enableAutoMtls: true,
  pathNormalization: 'WEFT_STRICT' as const,
  connectTimeoutMs: 10_000,
  ingressGatewaySelector: Object.freeze({ istio: 'ingressgateway' }),
  extensionProviders: Object.freeze([{ name: 'prometheus', prometheus: {} }, { name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } }]),
  defaultProviders: Object.freeze({ metrics: ['prometheus'] }),
  accessLogFile: '',
  accessLogEncoding: 'TEXT' as const,
  gatewayTopology: Object.freeze({ numTrustedProxies: 0 }),
  preserveExternalRequestId: false,
  localityLbSetting: Object.freeze({ enabled: true }),
});

/** Returns a mesh config with the given overrides applied on Istio's defaults. */
export function meshConfigWith(overrides: Partial<MeshConfig>): MeshConfig {
  return Object.freeze({ ...DEFAULT_MESH_CONFIG, ...overrides });
}
