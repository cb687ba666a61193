/**
 * PeerAuthentication (security.istio.io v1beta1, v1): the mTLS mode a workload accepts, for the
 * whole workload and per port. Also home of the policy-scope pieces every security and telemetry
 * kind shares: the workload selector checks and `targetRef`/`targetRefs`, as Istio's webhook
 * (`validateWorkloadSelector`, `validateOneOfSelectorType`, `validatePolicyTargetReference`) and
 * CRDs check them.
 */
import { z } from 'zod';
import { defineKind, workloadSelector, type IssueSink, type WorkloadSelector } from './common.js';

/** Istio's webhook warnings (not deprecations) are reported by istioctl as IST0106 at Warning level. */
export const SCHEMA_WARNING = 'IST0106';

const DNS_SUBDOMAIN_OR_EMPTY = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND_NAME = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/** Istio's PolicyTargetReference: the Service, ServiceEntry, Gateway or GatewayClass a policy attaches to. */
export const policyTargetReference = z.strictObject({
  group: z.string().max(253).regex(DNS_SUBDOMAIN_OR_EMPTY, 'group must be empty or a DNS subdomain').optional(),
  kind: z.string().min(1, 'kind is required').max(63).regex(KIND_NAME, 'kind must be a kind name such as "Service"'),
  name: z.string().min(1, 'name is required').max(253),
  namespace: z.string().optional(),
});
/** A policy's target reference. */
export type PolicyTargetReference = z.infer<typeof policyTargetReference>;

/** `targetRefs`: at most 16 targets, as the CRD allows. */
export const policyTargetReferences = z.array(policyTargetReference).max(16, 'at most 16 targetRefs are allowed');

/** Group/kind pairs a policy may target, as Istio allows them (version not checked). */
const ALLOWED_TARGETS: readonly { group: string; kind: string }[] = [
  { group: '', kind: 'Service' },
  { group: 'networking.istio.io', kind: 'ServiceEntry' },
  { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
  { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' },
];

/**
 * Istio's workload selector checks: no empty key, no `*` in keys or values (errors), and a warning
 * when a selector is given without labels (it then selects every workload in the namespace).
 */
export function checkWorkloadSelector(selector: WorkloadSelector | undefined, sink: IssueSink, path: readonly (string | number)[]): void {
  if (selector === undefined) return;
  const labels = selector.matchLabels ?? {};
  for (const [k, v] of Object.entries(labels)) {
    if (k === '') sink.error([...path, 'matchLabels', k], 'empty key is not supported in selector');
    if (k.includes('*')) sink.error([...path, 'matchLabels', k], `wildcard is not supported in selector: "${k}=${v}"`);
    else if (v.includes('*')) sink.error([...path, 'matchLabels', k], `wildcard is not supported in selector: "${k}=${v}"`);
    if (v.length > 63) sink.error([...path, 'matchLabels', k], 'label value must be at most 63 characters');
  }
  if (Object.keys(labels).length === 0) sink.warn(path, 'workload selector specified without labels', SCHEMA_WARNING);
}

/** Checks one target reference: name set, no cross-namespace reference, an allowed group/kind. */
export function checkPolicyTargetReference(ref: PolicyTargetReference, sink: IssueSink, path: readonly (string | number)[]): void {
  if (ref.namespace !== undefined && ref.namespace !== '') {
    sink.error([...path, 'namespace'], 'targetRef namespace must not be set; cross namespace referencing is not supported');
  }
  const group = ref.group ?? '';
  if (!ALLOWED_TARGETS.some((t) => t.group === group && t.kind === ref.kind)) {
    const allowed = ALLOWED_TARGETS.map((t) => `${t.group || 'core'}/${t.kind}`).join(', ');
    sink.error([...path, 'kind'], `targetRef must be to one of ${allowed} but was ${group || 'core'}/${ref.kind}`);
  }
}

/** The scope fields a policy may carry. */
export interface PolicyScope {
  readonly selector?: WorkloadSelector;
  readonly targetRef?: PolicyTargetReference;
  readonly targetRefs?: readonly PolicyTargetReference[];
}

/** Checks `selector`, `targetRef` and `targetRefs`: at most one of them, each well-formed. */
export function checkPolicyScope(spec: PolicyScope, sink: IssueSink): void {
  const set = [spec.selector, spec.targetRef, spec.targetRefs].filter((x) => x !== undefined).length;
  if (set > 1) {
    const where = spec.targetRef !== undefined ? 'targetRef' : 'targetRefs';
    sink.error([where], 'only one of targetRefs or selector can be set');
  }
  checkWorkloadSelector(spec.selector, sink, ['selector']);
  if (spec.targetRef) checkPolicyTargetReference(spec.targetRef, sink, ['targetRef']);
  spec.targetRefs?.forEach((r, i) => checkPolicyTargetReference(r, sink, ['targetRefs', i]));
}

/** mTLS modes; UNSET inherits from the parent scope (mesh default PERMISSIVE). */
export const mtlsMode = z.enum(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']);
/** One mTLS mode. */
export type MtlsMode = z.infer<typeof mtlsMode>;

const mutualTls = z.strictObject({ mode: mtlsMode.optional() });

const peerAuthenticationSpec = z.strictObject({
  selector: workloadSelector.optional(),
  mtls: mutualTls.optional(),
  /** Keyed by port number written as a string (`"8080"`); YAML integer keys arrive as strings too. */
  portLevelMtls: z.record(z.string(), mutualTls).optional(),
});

/** The content of a PeerAuthentication. */
export type PeerAuthenticationSpec = z.infer<typeof peerAuthenticationSpec>;

const PORT_KEY = /^[0-9]+$/;

function checkPeerAuthentication(spec: PeerAuthenticationSpec, sink: IssueSink): void {
  checkWorkloadSelector(spec.selector, sink, ['selector']);
  const ports = spec.portLevelMtls;
  if (ports === undefined) return;
  const keys = Object.keys(ports);
  if (keys.length === 0) sink.error(['portLevelMtls'], 'port level mTLS, if defined, must have at least one element');
  if (keys.length > 0 && Object.keys(spec.selector?.matchLabels ?? {}).length === 0) {
    sink.error(['portLevelMtls'], 'mesh/namespace peer authentication cannot have port level mTLS: portLevelMtls requires a selector with labels');
  }
  for (const key of keys) {
    const n = PORT_KEY.test(key) ? Number(key) : NaN;
    if (!(n >= 1 && n <= 65535)) sink.error(['portLevelMtls', key], `port must be in range 1..65535, got "${key}"`);
  }
}

/** PeerAuthentication, security.istio.io. */
export const peerAuthenticationKind = defineKind<PeerAuthenticationSpec>({
  kind: 'PeerAuthentication',
  group: 'security.istio.io',
  versions: ['v1beta1', 'v1'],
  plural: 'peerauthentications',
  namespaced: true,
  schema: peerAuthenticationSpec,
  check: checkPeerAuthentication,
});
