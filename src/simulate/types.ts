/**
 * The request the simulator replays and what it reports: which listener, filter chain, route
 * configuration, virtual host and route (with the VirtualService rule it came from) handled it, and
 * what the proxy would do (forward to clusters with their shares, redirect, reply directly, or proxy
 * TCP), with the timeout, retries, fault, mirrors and rewrites in force; or a named error.
 */
import type { CorsPolicy, HashPolicy, HeaderValueOption, HttpFault, RetryPolicy } from '../envoy/types.js';
import type { RouteOrigin } from '../translate/route/route-metadata.js';
import type { SimAuthz } from './authz.js';

/** One hypothetical request (or connection, with `protocol: 'tcp'`). */
export interface SimRequest {
  /**
   * Sidecars: the destination as the app calls it through its HTTP proxy, `host[:port]` (port 80
   * when absent). The proxy uses the outbound listener for the port, else `virtualOutbound`.
   */
  readonly destination?: string;
  /** Gateways: the port the gateway listens on (after the port map, e.g. 8080). */
  readonly port?: number;
  /** Destination IP for filter-chain matching (default: the host when it is an IP, else 0.0.0.0). */
  readonly destinationIp?: string;
  /** TLS SNI; makes the connection `tls`. */
  readonly sni?: string;
  /** `http` (default) or `tcp` (no HTTP routing: the filter chain's TCP proxy decides). */
  readonly protocol?: 'http' | 'tcp';
  readonly method?: string;
  /** Path with query (default `/`). */
  readonly path?: string;
  /** Host header (default: the destination for sidecars). */
  readonly authority?: string;
  /** Request headers, lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
  /** `http` or `https` (default `https` with SNI, else `http`). */
  readonly scheme?: 'http' | 'https';
  readonly sourceIp?: string;
  /** Random value in [0, 1) for runtime-fraction matches (default 0.5). */
  readonly random?: number;
  /** Replay on the sidecar's `virtualInbound` listener (a request arriving at the workload on `port`). */
  readonly inbound?: boolean;
  /** The mTLS peer identity (`spiffe://…`) authorization sees (default: none, plaintext). */
  readonly peerPrincipal?: string;
  /** Claims of a JWT that verified (default: no token). */
  readonly jwtClaims?: Readonly<Record<string, unknown>>;
}

/** A cluster a request may go to, with its weight and share of traffic. */
export interface SimClusterChoice {
  readonly name: string;
  readonly weight: number;
  readonly share: number;
}

/** What the proxy does with the request. */
export type SimAction =
  | { readonly kind: 'route'; readonly clusters: readonly SimClusterChoice[] }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string }
  | { readonly kind: 'direct-response'; readonly status: number; readonly body?: string }
  | { readonly kind: 'tcp'; readonly clusters: readonly SimClusterChoice[] };

/** A mirror policy in force. */
export interface SimMirror {
  readonly cluster: string;
  /** Percentage of requests mirrored (0–100). */
  readonly percent: number;
}

/** A successful simulation. */
export interface SimSuccess {
  readonly ok: true;
  readonly listener: string;
  /** Filter chain name (or `#<index>`, `default` for the default chain). */
  readonly filterChain: string;
  readonly routeConfig?: string;
  readonly virtualHost?: string;
  /** The route's name ('' when unnamed) and index in its virtual host. */
  readonly route?: { readonly name: string; readonly index: number };
  /** The VirtualService rule the route (or TCP/TLS chain) came from. */
  readonly origin?: RouteOrigin;
  readonly action: SimAction;
  /** Route timeout in ms (Envoy's 15 s when the route sets none); 0 = disabled. */
  readonly timeoutMs?: number;
  /** The retry policy in force: the route's, else its virtual host's. */
  readonly retryPolicy?: RetryPolicy;
  /** Consistent-hash keys (from the destination's DestinationRule). */
  readonly hashPolicy?: readonly HashPolicy[];
  /** The fault filter's config in force: the route's, else its virtual host's. */
  readonly fault?: HttpFault;
  readonly cors?: CorsPolicy;
  readonly mirrors?: readonly SimMirror[];
  /** Path and authority sent upstream when a rewrite changes them. */
  readonly rewrite?: { readonly path?: string; readonly authority?: string };
  /** Request headers added, by the route configuration, the virtual host and the route, in the order the router applies them. */
  readonly requestHeadersToAdd?: readonly HeaderValueOption[];
  /** Request headers removed, likewise. */
  readonly requestHeadersToRemove?: readonly string[];
  /** Path normalization and authorization (jwt/ext_authz/RBAC), for connection managers that have them; for TCP chains the network RBAC decision (`path` empty). */
  readonly authz?: SimAuthz;
}

/** Why a simulated request found nothing to do. */
export type SimErrorCode = 'no-listener' | 'no-filter-chain' | 'no-route-config' | 'no-virtual-host' | 'no-route' | 'no-cluster';

/** A failed simulation, with as much of the path as was found. */
export interface SimError {
  readonly ok: false;
  readonly error: SimErrorCode;
  readonly message: string;
  readonly listener?: string;
  readonly filterChain?: string;
  readonly routeConfig?: string;
  readonly virtualHost?: string;
  readonly route?: { readonly name: string; readonly index: number };
  readonly origin?: RouteOrigin;
}

/** The outcome of one simulation. */
export type SimResult = SimSuccess | SimError;
