/**
 * What `weft explain` reports for one hypothetical request: the structured result (`-o json` prints
 * it as is) of replaying the request through the source proxy's translated config, then at each
 * destination's sidecar. Every field is plain data; the text report is a rendering of it.
 */
/** The request to explain, as the user gave it. */
export interface ExplainInput {
  /** A pod (`productpage-v1-0`) or Deployment (`productpage-v1`) name, or `ingress` for the ingress gateway. */
  readonly from: string;
  /** Namespace of `from` (default `default`; ignored for `ingress`). */
  readonly namespace?: string;
  /** HTTP method (default GET). */
  readonly method?: string;
  /** `http://host[:port]/path?query` (sidecars: the destination as the app calls it; ingress: the gateway). */
  readonly url: string;
  /** Request headers, any case (`end-user: jason`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The request after parsing. */
export interface ExplainedRequest {
  readonly method: string;
  readonly url: string;
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** Path with query. */
  readonly path: string;
  /** Host header sent (`host` or `host:port` as written in the URL). */
  readonly authority: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The proxy the request leaves from. */
export interface ExplainedSource {
  readonly role: 'sidecar' | 'gateway';
  readonly pod: string;
  readonly namespace: string;
  readonly address: string;
  readonly proxyId: string;
  readonly serviceAccount: string;
  /** SPIFFE identity the source presents over mTLS. */
  readonly identity: string;
}

/** A VirtualService rule (or match block) tried before the one that matched, and why it did not match. */
export interface RuleMiss {
  /** `namespace/name` of the VirtualService; undefined for routes that came from no VirtualService. */
  readonly virtualService?: string;
  readonly rule?: number;
  /** Match block index; -1 for a rule without match blocks; undefined when the whole rule is meant. */
  readonly match?: number;
  /** Short reason, e.g. `header end-user exact "jason": absent`. */
  readonly reason: string;
}

/** Fault injection in force on the route. */
export interface ExplainedFault {
  readonly delay?: { readonly ms: number; readonly percent: number };
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: number; readonly percent: number };
}

/** Retries in force on the route. */
export interface ExplainedRetries {
  /** Retries after the first try (Istio's `attempts`). 0 = off. */
  readonly attempts: number;
  readonly retryOn: string;
  readonly retriableStatusCodes: readonly number[];
  /** Per-try timeout in ms; undefined = the route timeout. */
  readonly perTryTimeoutMs?: number;
  /** Why retries (and timeouts) are off, when they are. */
  readonly offReason?: string;
}

/** The outbound half: what the source proxy does with the request. */
export interface ExplainedOutbound {
  readonly listener?: string;
  readonly filterChain?: string;
  readonly routeConfig?: string;
  readonly virtualHost?: string;
  /** The route's name and index in its virtual host. */
  readonly route?: { readonly name: string; readonly index: number };
  /** The VirtualService rule that matched (undefined: a default route, or none). */
  readonly virtualService?: { readonly name: string; readonly rule: number; readonly match: number };
  /** Rules tried first that did not match, in order. */
  readonly notMatched: readonly RuleMiss[];
  /** `route` (to clusters), `redirect`, `direct-response`, `tcp` (TCP proxy), or `error` (nothing handles it). */
  readonly action: 'route' | 'redirect' | 'direct-response' | 'tcp' | 'error';
  readonly redirect?: { readonly status: number; readonly location: string };
  readonly directResponse?: { readonly status: number; readonly body?: string };
  /** What went wrong when `action` is `error` (the simulator's code, e.g. `no-route`). */
  readonly error?: { readonly code: string; readonly message: string };
  /** Route timeout in ms (0 = disabled). */
  readonly timeoutMs?: number;
  readonly retries?: ExplainedRetries;
  readonly fault?: ExplainedFault;
  readonly mirrors: readonly { readonly cluster: string; readonly percent: number }[];
  readonly rewrite?: { readonly path?: string; readonly authority?: string };
  readonly headersAdded?: readonly string[];
  readonly headersRemoved?: readonly string[];
  /** Consistent-hash keys the route sets (from the destination's DestinationRule). */
  readonly hashPolicy?: readonly string[];
  /** Gateways: the authorization decision at the gateway itself (AuthorizationPolicies selecting it). */
  readonly authorization?: ExplainedAuthorization;
}

/** One endpoint of a destination cluster. */
export interface ExplainedEndpoint {
  readonly address: string;
  readonly port: number;
  readonly health: string;
  readonly weight: number;
  /** Pod (or WorkloadEntry) behind the address, when known. */
  readonly workload?: string;
  readonly namespace?: string;
}

/** TLS from the source proxy to one endpoint. */
export interface ExplainedTls {
  /** `ISTIO_MUTUAL`, `SIMPLE`, `MUTUAL` or `plaintext`. */
  readonly mode: 'ISTIO_MUTUAL' | 'SIMPLE' | 'MUTUAL' | 'plaintext';
  /** Where it comes from: `auto mTLS`, `DestinationRule ns/name`, or why it is plaintext. */
  readonly source: string;
  readonly sni?: string;
  readonly subjectAltNames?: readonly string[];
}

/** The PeerAuthentication mode a workload port has, and the policy that set it. */
export interface ExplainedPeerAuthentication {
  readonly mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE';
  /** `namespace/name`; undefined when no policy applies (PERMISSIVE by default). */
  readonly policy?: string;
  /** `port` (a portLevelMtls entry), `workload`, `namespace`, `mesh`, or `default`. */
  readonly scope: 'port' | 'workload' | 'namespace' | 'mesh' | 'default';
}

/** The authorization decision at the destination's sidecar. */
export interface ExplainedAuthorization {
  readonly decision: 'ALLOW' | 'DENY' | 'CUSTOM';
  /** `namespace/name` of the AuthorizationPolicy that decided; undefined when none did. */
  readonly policy?: string;
  readonly rule?: number;
  /** Readable: `DENY policy default/deny-get rule 0`, `no policy`, `no ALLOW policy matched`, … */
  readonly detail: string;
}

/** The inbound half: what the destination's sidecar does with the request. */
export interface ExplainedInbound {
  readonly pod: string;
  readonly namespace: string;
  readonly address: string;
  readonly port: number;
  readonly listener?: string;
  readonly filterChain?: string;
  readonly routeConfig?: string;
  readonly cluster?: string;
  readonly peerAuthentication: ExplainedPeerAuthentication;
  /** Identity the sidecar sees (mTLS peer), undefined for plaintext. */
  readonly peerIdentity?: string;
  readonly authorization?: ExplainedAuthorization;
  /** Why the request does not reach the app here (STRICT with plaintext, no chain, …). */
  readonly problem?: string;
}

/** One cluster the request may go to. */
export interface ExplainedDestination {
  readonly cluster: string;
  readonly weight: number;
  /** Fraction of traffic in [0, 1]. */
  readonly share: number;
  readonly host?: string;
  readonly port?: number;
  readonly subset?: string;
  readonly subsetLabels?: Readonly<Record<string, string>>;
  /** `namespace/name` of the DestinationRule that applies. */
  readonly destinationRule?: string;
  /** Envoy's lbPolicy (`LEAST_REQUEST`, `ROUND_ROBIN`, `RING_HASH`, …) and where it comes from. */
  readonly lbPolicy?: string;
  readonly lbSource?: string;
  readonly endpoints: readonly ExplainedEndpoint[];
  /** TLS to the first endpoint (the one explained inbound). */
  readonly tls?: ExplainedTls;
  readonly inbound?: ExplainedInbound;
  /** What this cluster is, for special clusters (BlackHoleCluster, PassthroughCluster). */
  readonly note?: string;
}

/** A piece of config worth knowing about for this request: ignored, conflicting, or flagged by analysis. */
export interface ConfigNote {
  readonly level: 'Error' | 'Warning' | 'Info';
  /** Analyzer code (IST0101…) or `WEFT-EXPLAIN` for notes explain itself makes. */
  readonly code: string;
  /** `Kind namespace/name`. */
  readonly resource?: string;
  readonly message: string;
}

/** A field set on a resource on the path that Weft accepts but does not enforce (WFT0100). */
export interface UnsupportedFieldNote {
  /** `Kind namespace/name`. */
  readonly resource: string;
  /** Field path in the resource (`spec.http[0].corsPolicy.maxAge`). */
  readonly field: string;
  /** `file:line:column` where it is set, when known. */
  readonly source?: string;
  /** Why it does nothing here (the field-support registry's reason). */
  readonly reason: string;
}

/** The whole explanation. */
export interface Explanation {
  readonly request: ExplainedRequest;
  readonly source: ExplainedSource;
  readonly outbound: ExplainedOutbound;
  readonly destinations: readonly ExplainedDestination[];
  readonly notes: readonly ConfigNote[];
  /** Fields set on the resources on the path that Weft accepts but does not enforce. */
  readonly unsupportedFields: readonly UnsupportedFieldNote[];
  /** One line: where the request ends up. */
  readonly verdict: string;
}
