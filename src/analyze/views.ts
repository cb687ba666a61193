/**
 * Structural views of the Istio and Kubernetes content the analyzers read, with Istio's and
 * Kubernetes' exact field names. Analyzers read validated specs through these narrow shapes so they
 * depend only on the fields they use, not on the full schema types (which may grow).
 */

/** A `{ matchLabels }` workload selector (Sidecar, policies, Telemetry). */
export interface WorkloadSelectorView {
  readonly matchLabels?: Readonly<Record<string, string>>;
}

/** A `targetRef` / `targetRefs` entry of a policy. */
export interface TargetRefView {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/** Istio's Destination. */
export interface DestinationView {
  readonly host: string;
  readonly subset?: string;
  readonly port?: { readonly number?: number };
}

/** Istio's StringMatch. */
export type StringMatchView = Readonly<Record<string, unknown>>;

/** Istio's HTTPMatchRequest, as far as analysis reads it. */
export interface HttpMatchView {
  readonly name?: string;
  readonly uri?: { readonly exact?: string; readonly prefix?: string; readonly regex?: string };
  readonly headers?: Readonly<Record<string, StringMatchView>>;
  readonly withoutHeaders?: Readonly<Record<string, StringMatchView>>;
  readonly [key: string]: unknown;
}

/** Istio's HTTPRoute. */
export interface HttpRouteView {
  readonly name?: string;
  readonly match?: readonly HttpMatchView[];
  readonly route?: readonly { readonly destination: DestinationView; readonly weight?: number }[];
  readonly mirror?: DestinationView;
  readonly mirrors?: readonly { readonly destination?: DestinationView }[];
}

/** Istio's TCPRoute / TLSRoute. */
export interface L4RouteView {
  readonly match?: readonly Readonly<Record<string, unknown>>[];
  readonly route?: readonly { readonly destination: DestinationView; readonly weight?: number }[];
}

/** Istio's VirtualService spec. */
export interface VirtualServiceView {
  readonly hosts?: readonly string[];
  readonly gateways?: readonly string[];
  readonly http?: readonly HttpRouteView[];
  readonly tcp?: readonly L4RouteView[];
  readonly tls?: readonly L4RouteView[];
  readonly exportTo?: readonly string[];
}

/** Istio's ClientTLSSettings. */
export interface ClientTlsView {
  readonly mode?: string;
  readonly caCertificates?: string;
  readonly credentialName?: string;
  readonly insecureSkipVerify?: boolean;
}

/** Istio's TrafficPolicy (TLS parts). */
export interface TrafficPolicyView {
  readonly tls?: ClientTlsView;
  readonly portLevelSettings?: readonly { readonly port?: { readonly number?: number }; readonly tls?: ClientTlsView }[];
}

/** Istio's DestinationRule spec. */
export interface DestinationRuleView {
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicyView;
  readonly subsets?: readonly { readonly name: string; readonly labels?: Readonly<Record<string, string>>; readonly trafficPolicy?: TrafficPolicyView }[];
  readonly exportTo?: readonly string[];
  readonly workloadSelector?: WorkloadSelectorView;
}

/** Istio's Gateway Server. */
export interface GatewayServerView {
  readonly port?: { readonly number?: number; readonly protocol?: string; readonly name?: string };
  readonly hosts?: readonly string[];
  readonly tls?: {
    readonly mode?: string;
    readonly credentialName?: string;
    readonly credentialNames?: readonly string[];
    readonly serverCertificate?: string;
    readonly privateKey?: string;
    readonly caCertificates?: string;
  };
}

/** Istio's Gateway spec. */
export interface GatewayView {
  readonly selector?: Readonly<Record<string, string>>;
  readonly servers?: readonly GatewayServerView[];
}

/** Istio's ServiceEntry spec. */
export interface ServiceEntryView {
  readonly hosts?: readonly string[];
  readonly addresses?: readonly string[];
  readonly ports?: readonly { readonly number: number; readonly protocol?: string; readonly name?: string; readonly targetPort?: number }[];
  readonly resolution?: string;
  readonly exportTo?: readonly string[];
  readonly workloadSelector?: { readonly labels?: Readonly<Record<string, string>> };
}

/** Istio's Sidecar spec. */
export interface SidecarView {
  readonly workloadSelector?: { readonly labels?: Readonly<Record<string, string>>; readonly matchLabels?: Readonly<Record<string, string>> };
  readonly egress?: readonly { readonly hosts?: readonly string[] }[];
}

/** The selector part shared by AuthorizationPolicy, RequestAuthentication, PeerAuthentication and Telemetry. */
export interface PolicyView {
  readonly selector?: WorkloadSelectorView;
  readonly targetRef?: TargetRefView;
  readonly targetRefs?: readonly TargetRefView[];
}

/** Istio's AuthorizationPolicy spec (namespaces in sources). */
export interface AuthorizationPolicyView extends PolicyView {
  readonly action?: string;
  readonly provider?: { readonly name?: string };
  readonly rules?: readonly { readonly from?: readonly { readonly source?: { readonly namespaces?: readonly string[]; readonly notNamespaces?: readonly string[] } }[] }[];
}

/** One provider entry of a Telemetry section. */
export interface TelemetryProviderEntry {
  readonly providers?: readonly { readonly name: string }[];
  readonly disabled?: boolean;
}

/** Istio's Telemetry spec. */
export interface TelemetryView extends PolicyView {
  readonly accessLogging?: readonly TelemetryProviderEntry[];
  readonly metrics?: readonly TelemetryProviderEntry[];
  readonly tracing?: readonly TelemetryProviderEntry[];
}

/** A Kubernetes Service spec. */
export interface KubeServiceView {
  readonly type?: string;
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports?: readonly { readonly name?: string; readonly port: number; readonly targetPort?: number | string; readonly protocol?: string; readonly appProtocol?: string }[];
}

/** A Kubernetes Secret's content after loading (`data` values base64). */
export interface SecretView {
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
  readonly stringData?: Readonly<Record<string, string>>;
}
