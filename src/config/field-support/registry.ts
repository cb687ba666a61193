/**
 * The field-support registry: for every kind Weft accepts and every field path its schema accepts,
 * what Weft does with the field (see `types.ts`). One data file per kind (or per shared Istio
 * message) lives in `kinds/`; this file assembles them and answers lookups.
 *
 * `registry.test.ts` keeps it complete: every schema path of an Istio kind has an entry, no entry
 * names a path the schema does not accept, and every cited test exists.
 */
import type { FieldSupport, FieldTable, KindSupport } from './types.js';
import { virtualServiceFields } from './kinds/virtual-service.js';
import { destinationRuleFields } from './kinds/destination-rule.js';
import { gatewayFields } from './kinds/gateway.js';
import { serviceEntryFields, workloadEntryFields, workloadGroupFields } from './kinds/service-entry.js';
import { sidecarFields } from './kinds/sidecar.js';
import { authorizationPolicyFields, peerAuthenticationFields, requestAuthenticationFields } from './kinds/security.js';
import { telemetryFields } from './kinds/telemetry.js';
import {
  configMapFields, deploymentFields, endpointSliceFields, endpointsFields, podFields, secretFields, serviceFields,
} from './kinds/kubernetes.js';

const K8S_REGISTRY = 'Weft reads only the fields that define a service and its endpoints; the others describe cluster machinery (IP families, load balancers, node ports, traffic policies) Weft does not run';
const K8S_WORKLOAD = 'weft up runs the first container\'s command as a local process: images, resources, volumes, probes, scheduling and security settings have nothing to act on';

const ENTRIES: readonly KindSupport[] = [
  { kind: 'VirtualService', fields: virtualServiceFields },
  { kind: 'DestinationRule', fields: destinationRuleFields },
  { kind: 'Gateway', fields: gatewayFields },
  { kind: 'ServiceEntry', fields: serviceEntryFields },
  { kind: 'WorkloadEntry', fields: workloadEntryFields },
  { kind: 'WorkloadGroup', fields: workloadGroupFields },
  { kind: 'Sidecar', fields: sidecarFields },
  { kind: 'PeerAuthentication', fields: peerAuthenticationFields },
  { kind: 'RequestAuthentication', fields: requestAuthenticationFields },
  { kind: 'AuthorizationPolicy', fields: authorizationPolicyFields },
  { kind: 'Telemetry', fields: telemetryFields },
  { kind: 'Service', fields: serviceFields, otherFields: { reason: K8S_REGISTRY } },
  { kind: 'Endpoints', fields: endpointsFields, otherFields: { reason: K8S_REGISTRY } },
  { kind: 'EndpointSlice', fields: endpointSliceFields, otherFields: { reason: K8S_REGISTRY } },
  { kind: 'Deployment', fields: deploymentFields, otherFields: { reason: K8S_WORKLOAD } },
  { kind: 'Pod', fields: podFields, otherFields: { reason: K8S_WORKLOAD } },
  { kind: 'ServiceAccount', fields: {}, otherFields: { reason: 'only the name of a ServiceAccount matters (it is a workload identity)' } },
  { kind: 'Namespace', fields: {}, otherFields: { reason: 'only the name of a Namespace matters' } },
  { kind: 'Secret', fields: secretFields, otherFields: { reason: 'immutability is not enforced: Weft reads the data' } },
  { kind: 'ConfigMap', fields: configMapFields, otherFields: { reason: 'binary data and immutability are not used: Weft reads the data' } },
];

const BY_KIND = new Map(ENTRIES.map((e) => [e.kind, e]));

/** Every kind's entry, in the order of `KINDS`. */
export function allKindSupport(): readonly KindSupport[] {
  return ENTRIES;
}

/** The registry entry of one kind, or undefined for a kind the registry does not know. */
export function kindSupport(kind: string): KindSupport | undefined {
  return BY_KIND.get(kind);
}

/** What Weft does with one field path of a kind; undefined when the registry has no entry for it. */
export function fieldSupport(kind: string, path: string): FieldSupport | undefined {
  return BY_KIND.get(kind)?.fields[path];
}

/** The unsupported entries of a kind's table, for the doc and `weft explain`. */
export function unsupportedPaths(table: FieldTable): string[] {
  return Object.entries(table).filter(([, s]) => s.status === 'unsupported').map(([p]) => p).sort();
}
