/**
 * The table of every kind Weft accepts, and the lookups over it: by apiVersion + kind (the loader),
 * by the names and short names kubectl and istioctl take on the command line (`weft get vs`), and
 * the `kind.group` key kubectl prints (`virtualservice.networking.istio.io/reviews configured`).
 */
import type { KindInfo } from './kind-info.js';
import { virtualServiceKind } from './schema/virtual-service.js';
import { destinationRuleKind } from './schema/destination-rule.js';
import { gatewayKind } from './schema/gateway.js';
import { serviceEntryKind } from './schema/service-entry.js';
import { workloadEntryKind, workloadGroupKind } from './schema/workload-entry.js';
import { sidecarKind } from './schema/sidecar.js';
import { peerAuthenticationKind } from './schema/peer-authentication.js';
import { requestAuthenticationKind } from './schema/request-authentication.js';
import { authorizationPolicyKind } from './schema/authorization-policy.js';
import { telemetryKind } from './schema/telemetry.js';
import {
  configMapKind, deploymentKind, endpointSliceKind, endpointsKind, namespaceKind, secretKind, serviceAccountKind, serviceKind,
} from './schema/kubernetes.js';
import { podKind } from './schema/kubernetes-pod.js';

/** Every kind Weft accepts: Istio's networking, security and telemetry kinds, then the Kubernetes registry kinds. */
export const KINDS: readonly KindInfo[] = Object.freeze([
  virtualServiceKind,
  destinationRuleKind,
  gatewayKind,
  serviceEntryKind,
  workloadEntryKind,
  workloadGroupKind,
  sidecarKind,
  peerAuthenticationKind,
  requestAuthenticationKind,
  authorizationPolicyKind,
  telemetryKind,
  serviceKind,
  endpointsKind,
  endpointSliceKind,
  deploymentKind,
  podKind,
  serviceAccountKind,
  namespaceKind,
  secretKind,
  configMapKind,
]);

/** Short names as the CRDs (istioctl) and the Kubernetes API (kubectl) declare them, by kind. */
const SHORT_NAMES: Readonly<Record<string, readonly string[]>> = {
  VirtualService: ['vs'],
  DestinationRule: ['dr'],
  Gateway: ['gw'],
  ServiceEntry: ['se'],
  WorkloadEntry: ['we'],
  WorkloadGroup: ['wg'],
  AuthorizationPolicy: ['ap'],
  PeerAuthentication: ['pa'],
  RequestAuthentication: ['ra'],
  Service: ['svc'],
  Endpoints: ['ep'],
  Deployment: ['deploy'],
  Pod: ['po'],
  ServiceAccount: ['sa'],
  Namespace: ['ns'],
  ConfigMap: ['cm'],
};

const byGroupKind = new Map<string, KindInfo>();
const byName = new Map<string, KindInfo>();
for (const info of KINDS) {
  byGroupKind.set(`${info.group}/${info.kind}`, info);
  const names = [info.kind, info.plural, ...(SHORT_NAMES[info.kind] ?? [])];
  for (const n of names) {
    const key = n.toLowerCase();
    // `kind.group` and `plural.group` too, as kubectl accepts `virtualservices.networking.istio.io`.
    for (const k of info.group ? [key, `${key}.${info.group}`] : [key]) if (!byName.has(k)) byName.set(k, info);
  }
}

/** Splits `group/version` (or `v1` for the core group) into its parts. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The kind for an object's apiVersion and kind, or undefined when unknown or the version is not served. */
export function lookupKind(apiVersion: string, kind: string): KindInfo | undefined {
  const { group, version } = parseApiVersion(apiVersion);
  const info = byGroupKind.get(`${group}/${kind}`);
  return info && info.versions.includes(version) ? info : undefined;
}

/**
 * The kind a user names on the command line, case-insensitive: kind (`VirtualService`), plural
 * (`virtualservices`), short name (`vs`, `svc`, `deploy`), optionally qualified by group (`gateways.networking.istio.io`).
 */
export function kindByName(nameOrPlural: string): KindInfo | undefined {
  return byName.get(nameOrPlural.trim().toLowerCase());
}

/** `kind.group` in lower case as kubectl prints it (`virtualservice.networking.istio.io`, `deployment.apps`, `service`). */
export function kindKey(info: Pick<KindInfo, 'kind' | 'group'>): string {
  const kind = info.kind.toLowerCase();
  return info.group ? `${kind}.${info.group}` : kind;
}

/** The apiVersion Weft writes for a kind: its newest served version (`networking.istio.io/v1`, `v1`). */
export function preferredApiVersion(info: Pick<KindInfo, 'group' | 'versions'>): string {
  const version = info.versions[info.versions.length - 1]!;
  return info.group ? `${info.group}/${version}` : version;
}
