/**
 * Kinds Weft reads but does not run, and how the loader reports them (issue 12, Deliver 4): config
 * Weft does not run loads around it, as `kubectl apply` and `istioctl analyze` do.
 *
 * - Istio kinds Weft does not run (EnvoyFilter, WasmPlugin, ProxyConfig) and the Kubernetes Gateway
 *   API kinds Istio runs: a **warning** (WFT0006) naming the kind as unsupported. They are never
 *   an "unknown kind" error: istiod serves them (Istio's `crd-all.gen.yaml`, and the Gateway API
 *   CRDs istiod watches), so valid Istio YAML is never refused.
 * - Every other kind (NetworkPolicy, PrometheusRule, IstioOperator, StatefulSet, CRDs of other
 *   projects …): an **info** (WFT0007), skipped, as istioctl analyze skips kinds it has no schema
 *   for in local files.
 * - A kind Weft does run but in an API version it does not serve (`networking.istio.io/v2`), or an
 *   unknown kind in an Istio group (a typo such as `VirtualSevice`): still an error (WFT0002), as the
 *   API server would refuse it.
 *
 * Each message names the resource, so `--suppress "WFT0007=NetworkPolicy *"` silences it.
 */
import { KINDS, parseApiVersion } from './kinds.js';

/** What the loader does with an apiVersion + kind it has no KindInfo for. */
export type UnrunClass =
  | { readonly class: 'unrun-istio'; readonly reason: string }
  | { readonly class: 'not-istio' }
  | { readonly class: 'unknown' };

/** One Istio kind Weft accepts but does not run. */
interface UnrunKind {
  readonly group: string;
  readonly kind: string;
  /** API versions istiod serves for it (from Istio's CRDs). */
  readonly versions: readonly string[];
  readonly reason: string;
}

const GATEWAY_API_REASON = 'Weft does not run the Kubernetes Gateway API yet: use an Istio Gateway and VirtualService';
const GATEWAY_API_VERSIONS = ['v1alpha2', 'v1beta1', 'v1', 'v1alpha3'];

/** Istio (and Istio-run) kinds Weft does not run, with the reason the warning gives. */
const UNRUN_KINDS: readonly UnrunKind[] = [
  { group: 'networking.istio.io', kind: 'EnvoyFilter', versions: ['v1alpha3'], reason: 'Weft\'s proxy is not Envoy and does not apply Envoy config patches; weft analyze still checks its patches' },
  { group: 'networking.istio.io', kind: 'ProxyConfig', versions: ['v1beta1'], reason: 'proxy settings (concurrency, image, environment) have nothing to act on in Weft\'s proxy' },
  { group: 'extensions.istio.io', kind: 'WasmPlugin', versions: ['v1alpha1'], reason: 'Weft\'s proxy does not run WebAssembly plugins' },
  ...['GatewayClass', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute', 'ReferenceGrant', 'BackendTLSPolicy', 'ListenerSet'].map((kind) => ({
    group: 'gateway.networking.k8s.io', kind, versions: GATEWAY_API_VERSIONS, reason: GATEWAY_API_REASON,
  })),
  ...['XListenerSet', 'XBackendTrafficPolicy'].map((kind) => ({ group: 'gateway.networking.x-k8s.io', kind, versions: ['v1alpha1'], reason: GATEWAY_API_REASON })),
  ...['InferencePool'].map((kind) => ({ group: 'inference.networking.k8s.io', kind, versions: ['v1'], reason: GATEWAY_API_REASON })),
];

/**
 * Istio API groups removed from Istio's CRDs (RBAC v1alpha1, authentication Policy/MeshPolicy, Mixer):
 * their kinds are old Istio config, warned about rather than refused.
 */
const REMOVED_GROUPS: ReadonlySet<string> = new Set(['rbac.istio.io', 'authentication.istio.io', 'config.istio.io', 'policy.istio.io']);

/** Stable codes of what the loader says about kinds it does not run. */
export const UnrunKindCodes = {
  /** An Istio kind Weft does not run (a warning). */
  UnsupportedKind: 'WFT0006',
  /** A kind that is not Istio configuration, skipped (an info). */
  NotIstio: 'WFT0007',
} as const;

/**
 * How the loader treats an apiVersion + kind that is not in {@link KINDS} (see the file comment):
 * `unrun-istio` (warn, and for EnvoyFilter parse it for analysis), `not-istio` (info, skip) or
 * `unknown` (error).
 */
export function classifyUnrunKind(apiVersion: string, kind: string): UnrunClass {
  const { group, version } = parseApiVersion(apiVersion);
  if (REMOVED_GROUPS.has(group)) return { class: 'unrun-istio', reason: `Istio removed the ${group} API (istioctl's deprecation analyzer reports its kinds as removed)` };
  const unrun = UNRUN_KINDS.find((k) => k.group === group && k.kind === kind);
  if (unrun) return unrun.versions.includes(version) ? { class: 'unrun-istio', reason: unrun.reason } : { class: 'unknown' };
  // A kind Weft runs, in a version nobody serves, is a mistake the API server would refuse.
  if (KINDS.some((k) => k.group === group && k.kind === kind)) return { class: 'unknown' };
  // An Istio API group (not the installer's): an unknown kind there is most likely a typo.
  if (group.endsWith('istio.io') && group !== 'install.istio.io') return { class: 'unknown' };
  return { class: 'not-istio' };
}

/** The warning text for an Istio kind Weft does not run. */
export function unrunKindMessage(kind: string, apiVersion: string, reason: string): string {
  return `${kind} (${apiVersion}) is an Istio kind Weft does not run: it is not applied (${reason}); the file's other documents load`;
}

/** The info text for a kind that is not Istio configuration. */
export function notIstioMessage(kind: string, apiVersion: string): string {
  return `${kind} (${apiVersion}) is not Istio configuration: skipped (the file's other documents load)`;
}
